/* report_junit.c - JUnit XML: one testsuite per suite (those with security
 * probes first), one testcase per
 * case; fail -> <failure>, error -> <error>, skip -> <skipped>, warn ->
 * passes with a "WARN:" line in <system-out> so CI shows it without
 * failing the build; --strict makes warn a <failure>.  With --baseline, a
 * failure whose findings are all in the baseline is written as
 * <skipped type="known"> (as pytest writes an expected failure), so that a
 * CI test view fails on what the exit status fails on; the message says
 * "new" or "known".  Every element and attribute the common JUnit schema
 * requires is written.  Cases are written as they come (junit_stream_*). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

/* Appends s as XML character data.  s is already a wire string (ASCII or
 * valid UTF-8, no control characters), so only markup needs escaping. */
static void xml_text(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '&': buf_puts(b, "&amp;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        case '\'': buf_puts(b, "&apos;"); break;
        default: buf_append(b, s, 1);
        }
    }
}

static void xml_wire(struct buf *b, const char *p, size_t n)
{
    char *esc = wire_escape(p ? p : "", p ? n : 0);
    xml_text(b, esc);
    free(esc);
}

static void transcript(struct buf *b, const struct case_result *c)
{
    for (size_t i = 0; i < c->nex; i++) {
        const struct exchange *e = &c->ex[i];
        if (e->sent.len) {
            buf_puts(b, "C: ");
            xml_wire(b, e->sent.data, e->sent.len > 4096 ? 4096 : e->sent.len);
            buf_puts(b, "\n");
        }
        buf_puts(b, "S: ");
        xml_wire(b, e->received.data, e->received.len > 4096 ? 4096 : e->received.len);
        buf_puts(b, "\n");
        if (e->verdict != V_PASS) {
            buf_printf(b, "   %s: ", verdict_name(e->verdict));
            xml_text(b, e->reason.data);
            buf_puts(b, "\n");
        }
        if (e->rule) {
            buf_printf(b, "   rule %s (", e->rule->id);
            xml_text(b, e->rule->source);
            buf_puts(b, "): ");
            xml_text(b, e->rule->quote);
            buf_puts(b, "\n");
        }
    }
}

enum tag { T_NONE, T_FAILURE, T_ERROR, T_SKIPPED };

/* Are all of c's findings that make it a failure in the baseline? */
static int all_known(const struct case_result *c, int strict, const struct baseline *base)
{
    for (size_t i = 0; i < c->nex; i++) {
        const struct exchange *e = &c->ex[i];
        for (size_t k = 0; k < e->nfindings; k++) {
            const struct finding *f = &e->findings[k];
            int fails = f->verdict == V_FAIL || (strict && f->verdict == V_WARN);
            if (fails && (!f->rule || !baseline_find(base, f->rule->id, e->table_cmd,
                                                     e->has_reply ? e->reply.code : -1)))
                return 0;
        }
    }
    return 1;
}

/* Which element a case gets, and the word that starts its message. */
static enum tag case_tag(const struct case_result *c, int strict, const struct baseline *base,
                         const char **mark)
{
    *mark = "";
    if (c->verdict == V_FAIL || (c->verdict == V_WARN && strict)) {
        if (!base)
            return T_FAILURE;
        if (all_known(c, strict, base)) {
            *mark = "known (in the baseline): ";
            return T_SKIPPED;
        }
        *mark = "new: ";
        return T_FAILURE;
    }
    if (c->verdict == V_ERROR)
        return T_ERROR;
    return c->verdict == V_SKIP ? T_SKIPPED : T_NONE;
}

static enum tag testcase(struct buf *b, int strict, const struct baseline *base,
                         const struct case_result *c)
{
    static const char *const tags[] = { NULL, "failure", "error", "skipped" };
    const char *name = strchr(c->def->id, '.') ? strchr(c->def->id, '.') + 1 : c->def->id;
    buf_puts(b, "    <testcase classname=\"smtpspec.");
    xml_text(b, c->def->suite ? c->def->suite->id : "");
    buf_puts(b, "\" name=\"");
    xml_text(b, name);
    buf_printf(b, "\" time=\"%.3f\">\n", c->duration_ms / 1000.0);
    const char *mark;
    enum tag tag = case_tag(c, strict, base, &mark);
    if (tag != T_NONE) {
        buf_printf(b, "      <%s type=\"%s\" message=\"%s", tags[tag],
                   *mark == 'k' ? "known" : verdict_name(c->verdict), mark);
        xml_text(b, c->reason);
        buf_printf(b, "\"/>\n");
    }
    buf_puts(b, "      <system-out>");
    if (c->verdict == V_WARN || c->verdict == V_INFO) {
        buf_puts(b, c->verdict == V_WARN ? "WARN: " : "INFO: ");
        xml_text(b, c->reason);
        buf_puts(b, "\n");
    }
    if (c->rule) {
        buf_printf(b, "rule: %s (", c->rule->id);
        xml_text(b, c->rule->source);
        buf_puts(b, "): ");
        xml_text(b, c->rule->quote);
        buf_puts(b, "\n");
    }
    buf_puts(b, "title: ");
    xml_text(b, c->def->title);
    buf_puts(b, "\n");
    if (c->def->advisory) {
        buf_puts(b, "security: ");
        xml_text(b, c->def->advisory);
        buf_puts(b, "\nfix: ");
        xml_text(b, c->def->fix);
        buf_puts(b, "\n");
    }
    transcript(b, c);
    buf_puts(b, "</system-out>\n    </testcase>\n");
    return tag;
}

/* The <testcase> elements go to a scratch file as cases come; the
 * <testsuite> elements around them need counts, so they are written at
 * the end, copying each suite's stretch of the scratch file. */
struct junit_suite {
    const struct suite *suite;
    long start, end;            /* its testcases in the scratch file */
    size_t tagged[4], tests;    /* by enum tag */
    long ms;
    int security;               /* holds security probes: written first */
};

struct junit_stream {
    struct atomic_file *file;
    FILE *body;
    int strict;
    const struct baseline *baseline;
    struct junit_suite *suites;
    size_t nsuites;
};

int junit_stream_open(const char *path, int strict, const struct baseline *baseline,
                      struct junit_stream **out, char *err, size_t errlen)
{
    struct junit_stream *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s || !(s->body = tmpfile())) {
        snprintf(err, errlen, "%s: cannot create a scratch file", path);
        free(s);
        return -1;
    }
    if (atomic_open(path, &s->file, err, errlen) != 0) {
        fclose(s->body);
        free(s);
        return -1;
    }
    s->strict = strict;
    s->baseline = baseline;
    *out = s;
    return 0;
}

int junit_stream_case(struct junit_stream *s, const struct case_result *c)
{
    struct junit_suite *js = s->nsuites ? &s->suites[s->nsuites - 1] : NULL;
    if (!js || js->suite != c->def->suite) {
        js = realloc(s->suites, (s->nsuites + 1) * sizeof *js);
        if (!js)
            return -1;
        s->suites = js;
        js = &s->suites[s->nsuites++];
        memset(js, 0, sizeof *js);
        js->suite = c->def->suite;
        js->start = js->end = ftell(s->body);
    }
    struct buf b = BUF_INIT;
    js->tagged[testcase(&b, s->strict, s->baseline, c)]++;
    fwrite(b.data ? b.data : "", 1, b.len, s->body);
    buf_free(&b);
    js->end = ftell(s->body);
    js->tests++;
    js->ms += c->duration_ms;
    js->security |= c->def->advisory != NULL;
    return ferror(s->body) ? -1 : 0;
}

static void copy_range(FILE *from, long start, long end, FILE *to)
{
    char chunk[16384];
    fseek(from, start, SEEK_SET);
    for (long left = end - start; left > 0;) {
        size_t n = fread(chunk, 1, left < (long)sizeof chunk ? (size_t)left : sizeof chunk, from);
        if (n == 0)
            break;
        fwrite(chunk, 1, n, to);
        left -= (long)n;
    }
}

/* The run's facts as <properties>, the first child of each testsuite. */
static void properties(struct buf *b, const struct run_report *r)
{
    buf_puts(b, "    <properties>\n      <property name=\"target\" value=\"");
    xml_text(b, r->target_url);
    buf_puts(b, "\"/>\n      <property name=\"smtpspec.version\" value=\"" PACKAGE_VERSION
             "\"/>\n      <property name=\"profile\" value=\"");
    xml_text(b, profile_name(r->profile));
    buf_puts(b, "\"/>\n    </properties>\n");
}

/* The common schema wants id, package and hostname on each testsuite,
 * a timestamp without time zone (ours is UTC), and system-out and
 * system-err after the testcases. */
static void write_suite(const struct junit_stream *s, size_t index, FILE *out,
                        const struct run_report *r)
{
    const struct junit_suite *js = &s->suites[index];
    char host[256] = "localhost";
    struct buf b = BUF_INIT;
    gethostname(host, sizeof host - 1);
    buf_printf(&b, "  <testsuite id=\"%zu\" package=\"smtpspec\" hostname=\"", index);
    xml_wire(&b, host, strlen(host));
    buf_puts(&b, "\" name=\"smtpspec.");
    xml_text(&b, js->suite ? js->suite->id : "");
    buf_printf(&b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
               "time=\"%.3f\" timestamp=\"%.19s\">\n", js->tests, js->tagged[T_FAILURE],
               js->tagged[T_ERROR], js->tagged[T_SKIPPED], js->ms / 1000.0, r->started);
    properties(&b, r);
    fwrite(b.data, 1, b.len, out);
    buf_free(&b);
    copy_range(s->body, js->start, js->end, out);
    fputs("    <system-out/>\n    <system-err/>\n  </testsuite>\n", out);
}

int junit_stream_finish(struct junit_stream *s, const struct run_report *r, char *err,
                        size_t errlen)
{
    FILE *out = atomic_stream(s->file);
    struct buf b = BUF_INIT;
    size_t tagged[4] = { 0 };
    for (size_t i = 0; i < s->nsuites; i++)
        for (int t = 0; t < 4; t++)
            tagged[t] += s->suites[i].tagged[t];
    buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    buf_printf(&b, "<testsuites name=\"smtpspec ");
    xml_text(&b, r->target_url);
    buf_printf(&b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
               "time=\"%.3f\">\n", r->ncases, tagged[T_FAILURE], tagged[T_ERROR],
               tagged[T_SKIPPED], r->duration_ms / 1000.0);
    fwrite(b.data ? b.data : "", 1, b.len, out);
    buf_free(&b);
    fflush(s->body);
    for (int pass = 1; pass >= 0; pass--)     /* security probes first */
        for (size_t i = 0; i < s->nsuites; i++)
            if (s->suites[i].security == pass)
                write_suite(s, i, out, r);
    fputs("</testsuites>\n", out);
    int rc = ferror(s->body) ? -1 : 0;
    if (rc != 0) {
        snprintf(err, errlen, "the JUnit scratch file could not be read back");
        atomic_abort(s->file);
    } else {
        rc = atomic_commit(s->file, err, errlen);
    }
    fclose(s->body);
    free(s->suites);
    free(s);
    return rc;
}

void junit_stream_abort(struct junit_stream *s)
{
    if (!s)
        return;
    atomic_abort(s->file);
    fclose(s->body);
    free(s->suites);
    free(s);
}

int report_junit_write(const struct run_report *r, const char *path, char *err, size_t errlen)
{
    struct junit_stream *s;
    if (junit_stream_open(path, r->strict, r->baseline, &s, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < r->ncases; i++)
        junit_stream_case(s, &r->cases[i]);
    return junit_stream_finish(s, r, err, errlen);
}
