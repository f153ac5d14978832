/* report_junit.c - JUnit XML: one testsuite per suite, one testcase per
 * case; fail -> <failure>, error -> <error>, skip -> <skipped>, warn ->
 * passes with a "WARN:" line in <system-out> (and in the name's
 * properties) so CI shows it without failing the build; --strict makes
 * warn a <failure>. */
#include <stdlib.h>
#include <string.h>

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

static void testcase(struct buf *b, const struct run_report *r, const struct case_result *c)
{
    const char *name = strchr(c->def->id, '.') ? strchr(c->def->id, '.') + 1 : c->def->id;
    buf_puts(b, "    <testcase classname=\"smtpspec.");
    xml_text(b, c->def->suite ? c->def->suite->id : "");
    buf_puts(b, "\" name=\"");
    xml_text(b, name);
    buf_printf(b, "\" time=\"%.3f\">\n", c->duration_ms / 1000.0);
    const char *tag = NULL;
    if (c->verdict == V_FAIL || (c->verdict == V_WARN && r->strict))
        tag = "failure";
    else if (c->verdict == V_ERROR)
        tag = "error";
    else if (c->verdict == V_SKIP)
        tag = "skipped";
    if (tag) {
        buf_printf(b, "      <%s type=\"%s\" message=\"", tag, verdict_name(c->verdict));
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
    transcript(b, c);
    buf_puts(b, "</system-out>\n    </testcase>\n");
}

/* One <testsuite> for the cases of suite id (they are contiguous). */
static size_t testsuite(struct buf *b, const struct run_report *r, size_t first)
{
    const struct suite *s = r->cases[first].def->suite;
    size_t last = first, counts[V_COUNT] = { 0 };
    long ms = 0;
    while (last < r->ncases && r->cases[last].def->suite == s) {
        counts[r->cases[last].verdict]++;
        ms += r->cases[last].duration_ms;
        last++;
    }
    size_t failures = counts[V_FAIL] + (r->strict ? counts[V_WARN] : 0);
    buf_puts(b, "  <testsuite name=\"smtpspec.");
    xml_text(b, s ? s->id : "");
    buf_printf(b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
               "time=\"%.3f\" timestamp=\"%s\">\n", last - first, failures,
               counts[V_ERROR], counts[V_SKIP], ms / 1000.0, r->started);
    for (size_t i = first; i < last; i++)
        testcase(b, r, &r->cases[i]);
    buf_puts(b, "  </testsuite>\n");
    return last;
}

int report_junit_write(const struct run_report *r, const char *path, char *err, size_t errlen)
{
    struct buf b = BUF_INIT;
    size_t failures = r->count[V_FAIL] + (r->strict ? r->count[V_WARN] : 0);
    buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    buf_printf(&b, "<testsuites name=\"smtpspec ");
    xml_text(&b, r->target_url);
    buf_printf(&b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
               "time=\"%.3f\">\n", r->ncases, failures, r->count[V_ERROR],
               r->count[V_SKIP], r->duration_ms / 1000.0);
    for (size_t i = 0; i < r->ncases;)
        i = testsuite(&b, r, i);
    buf_puts(&b, "</testsuites>\n");
    if (!b.data) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int rc = write_file_atomic(path, b.data, b.len, err, errlen);
    buf_free(&b);
    return rc;
}
