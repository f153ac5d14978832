/* report_json.c - the JSON report (schema: reports/report.schema.json).
 *
 * Bytes from the wire are written as "wire strings" (buf.h: wire_escape),
 * so every report is valid UTF-8 JSON.  The report is streamed: "cases"
 * comes first and each case is written as it is handed over, so memory
 * does not grow with the run; the other members follow at the end. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "report.h"

#define SENT_MAX EXCHANGE_KEEP_SENT  /* longer sent data is cut in the report */

static json_t *wire_string(const char *p, size_t n)
{
    char *esc = wire_escape(p ? p : "", p ? n : 0);
    json_t *s = esc ? json_string(esc) : NULL;
    free(esc);
    return s ? s : json_string("");
}

/* Our own text (reasons, titles): UTF-8 by construction; should it ever
 * not be, it is written as a wire string rather than lost. */
static json_t *text(const char *s)
{
    json_t *j = json_string(s ? s : "");
    return j ? j : wire_string(s, strlen(s));
}

static json_t *str_or_null(const char *s)
{
    return s ? text(s) : json_null();
}

/* The reply's lines, without terminators: those that start within the
 * first max bytes. */
static json_t *reply_lines(const struct reply *r, size_t max)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->nlines && (i == 0 || r->lines[i].off < max); i++) {
        size_t len = r->lines[i].len < max ? r->lines[i].len : max;
        json_array_append_new(a, wire_string(r->raw + r->lines[i].off, len));
    }
    return a;
}

static json_t *reply_json(const struct reply *r)
{
    json_t *defects = json_array();
    for (int d = 0; d < RD_COUNT; d++)
        if (reply_has(r, (enum reply_defect)d))
            json_array_append_new(defects, json_string(reply_defect_info((enum reply_defect)d)->what));
    json_t *lines = reply_lines(r, EXCHANGE_KEEP_RECEIVED);
    size_t shown = json_array_size(lines);
    return json_pack("{s:o, s:o, s:I, s:b, s:o}",
                     "code", r->code >= 0 ? json_integer(r->code) : json_null(),
                     "lines", lines,
                     "line_count", (json_int_t)r->total_lines,
                     "lines_truncated", shown < r->total_lines ||
                         (r->nlines && r->lines[0].len > EXCHANGE_KEEP_RECEIVED),
                     "defects", defects);
}

/* The command line as sent, without its final CRLF; "" for the greeting. */
static json_t *command_json(const struct exchange *e)
{
    size_t n = e->sent.len;
    if (n > SENT_MAX)
        n = SENT_MAX;
    else if (n >= 2 && e->sent.data[n - 2] == '\r' && e->sent.data[n - 1] == '\n')
        n -= 2;
    return wire_string(e->sent.data, n);
}

/* "rule", "source" and "quote" of the rule a verdict cites (null without). */
static void cite(json_t *obj, const struct rule *r)
{
    json_object_set_new(obj, "rule", r ? text(r->id) : json_null());
    json_object_set_new(obj, "source", r ? text(r->source) : json_null());
    json_object_set_new(obj, "quote", r ? text(r->quote) : json_null());
}

static json_t *findings_json(const struct exchange *e)
{
    json_t *a = json_array();
    for (size_t i = 0; i < e->nfindings; i++) {
        const struct finding *f = &e->findings[i];
        json_t *o = json_pack("{s:s, s:o}", "verdict", verdict_name(f->verdict),
                              "message", text(f->message));
        cite(o, f->rule);
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *exchange_json(const struct exchange *e)
{
    static const char *const closes[] = { NULL, "clean", "reset" };
    json_t *allowed = json_array();
    for (size_t i = 0; e->checked && i < e->check.nallowed; i++)
        json_array_append_new(allowed, json_integer(e->check.allowed[i]));
    size_t sent = e->sent.len > SENT_MAX ? SENT_MAX : e->sent.len;
    json_t *o = json_pack("{s:o, s:s, s:o, s:o, s:b, s:I, s:b, s:I, s:o, s:o, s:s, s:o, s:I,"
                          " s:o, s:o}",
                     "command", command_json(e),
                     "table_command", e->table_cmd ? e->table_cmd : "",
                     "sent", wire_string(e->sent.data, sent),
                     "received", wire_string(e->received.data, e->received.len),
                     "sent_truncated", e->sent_total > sent,
                     "sent_bytes", (json_int_t)e->sent_total,
                     "received_truncated", e->received_total > e->received.len,
                     "received_bytes", (json_int_t)e->received_total,
                     "reply", e->has_reply ? reply_json(&e->reply) : json_null(),
                     "allowed", allowed,
                     "verdict", verdict_name(e->verdict),
                     "reason", text(e->reason.data),
                     "elapsed_ms", (json_int_t)e->elapsed_ms,
                     "closed", str_or_null(closes[e->closed]),
                     "findings", findings_json(e));
    if (o)
        cite(o, e->rule);
    return o;
}

static json_t *strings(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, text(v[i]));
    return a;
}

/* The facts of one handshake (tls.h); every string is printable ASCII. */
static json_t *tls_json(const struct tls_facts *f)
{
    if (!f)
        return json_null();
    json_t *sans = json_array();
    for (int i = 0; i < f->nsans; i++)
        json_array_append_new(sans, json_string(f->sans[i]));
    json_t *cert = !f->has_cert ? json_null()
        : json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:i, s:i}",
                    "subject", f->subject, "issuer", f->issuer, "sans", sans,
                    "not_before", f->not_before, "not_after", f->not_after,
                    "key_type", f->key_type, "key_bits", f->key_bits,
                    "chain_length", f->chain_length);
    if (!f->has_cert)
        json_decref(sans);
    json_t *verify = !f->verify_done ? json_null()
        : json_pack("{s:b, s:I, s:s}", "ok", f->verified, "code", (json_int_t)f->verify_code,
                    "reason", f->verify_reason);
    return json_pack("{s:s, s:s, s:o, s:o, s:o}", "version", f->version, "cipher", f->cipher,
                     "sni", f->sni[0] ? json_string(f->sni) : json_null(),
                     "certificate", cert, "verification", verify);
}

static json_t *keywords_json(const char *p)
{
    json_t *kw = json_array();
    while (p && *p) {
        size_t n = strcspn(p, " ");
        json_array_append_new(kw, json_stringn(p, n));
        p += n + (p[n] == ' ');
    }
    return kw;
}

/* "security": true with the advisory and the fix, or "security": false. */
static void security_json(json_t *o, const char *advisory, const char *fix)
{
    json_object_set_new(o, "security", json_boolean(advisory != NULL));
    if (advisory) {
        json_object_set_new(o, "advisory", text(advisory));
        json_object_set_new(o, "fix", text(fix));
    }
}

static json_t *case_json(const struct case_result *c)
{
    json_t *ex = json_array();
    for (size_t i = 0; i < c->nex; i++)
        json_array_append_new(ex, exchange_json(&c->ex[i]));
    json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:s, s:o, s:I, s:i, s:o}",
                     "id", text(c->def->id),
                     "suite", text(c->def->suite ? c->def->suite->id : ""),
                     "title", text(c->def->title),
                     "refs", strings(c->def->refs, c->def->nrefs),
                     "verdict", verdict_name(c->verdict),
                     "reason", text(c->reason),
                     "duration_ms", (json_int_t)c->duration_ms,
                     "attempts", c->attempts,
                     "exchanges", ex);
    if (o)
        json_object_set_new(o, "tls", tls_json(c->tls));
    if (o)
        security_json(o, c->def->advisory, c->def->fix);
    if (o)
        cite(o, c->rule);
    return o;
}

/* One entry per behaviour (findings.h), worst first. */
static json_t *behaviours_json(const struct run_report *r)
{
    struct behaviours b;
    json_t *a = json_array();
    if (behaviours_collect(r->cases, r->ncases, &b) != 0)
        return a;
    for (size_t i = 0; i < b.n; i++) {
        const struct behaviour *h = &b.v[i];
        json_t *ids = json_array();
        for (size_t k = 0; k < h->ncases; k++)
            json_array_append_new(ids, text(h->cases[k]->def->id));
        json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:{s:o, s:o, s:o, s:b, s:o}}",
                              "verdict", verdict_name(h->verdict),
                              "command", h->command,
                              "code", h->code >= 0 ? json_integer(h->code) : json_null(),
                              "cases", ids,
                              "example", "case", text(h->example_case->def->id),
                              "command", command_json(h->example),
                              "received", wire_string(h->example->received.data,
                                                      h->example->received.len),
                              "received_truncated", h->example->received_total >
                                                    h->example->received.len,
                              "message", text(h->message));
        cite(o, h->rule);
        security_json(o, h->advisory, h->fix);
        if (r->baseline)
            json_object_set_new(o, "baseline", json_string(
                baseline_find(r->baseline, h->rule->id, h->command, h->code) ? "known" : "new"));
        json_array_append_new(a, o);
    }
    behaviours_free(&b);
    return a;
}

/* A raw reply as {code, lines}, or null when nothing came. */
static json_t *raw_reply_json(const struct buf *raw)
{
    struct reply r;
    if (raw->len == 0 || reply_parse(raw->data, raw->len, &r) != 0)
        return json_null();
    json_t *j = json_pack("{s:o, s:o}", "code",
                          r.code >= 0 ? json_integer(r.code) : json_null(),
                          "lines", reply_lines(&r, EXCHANGE_KEEP_RECEIVED));
    reply_free(&r);
    return j;
}

/* What the discovery connection learnt of TLS; null when the target is
 * plain and does not advertise STARTTLS. */
static json_t *server_tls_json(const struct server_info *s)
{
    if (!s->tls_implicit && !s->tls && !s->tls_error)
        return json_null();
    return json_pack("{s:s, s:o, s:o, s:o, s:o}",
                     "mode", s->tls_implicit ? "implicit" : "starttls",
                     "error", str_or_null(s->tls_error),
                     "session", tls_json(s->tls),
                     "ehlo", s->tls_implicit ? json_null() : raw_reply_json(&s->tls_ehlo),
                     "keywords", s->tls_implicit ? json_null() : keywords_json(s->tls_keywords));
}

static json_t *server_json(const struct server_info *s)
{
    return json_pack("{s:b, s:o, s:s, s:o, s:o, s:o, s:o}",
                     "connected", s->connected,
                     "error", str_or_null(s->connect_error),
                     "peer", s->peer,
                     "greeting", raw_reply_json(&s->greeting),
                     "ehlo", raw_reply_json(&s->ehlo),
                     "keywords", keywords_json(s->keywords),
                     "tls", server_tls_json(s));
}

/* With --baseline: how many findings were new, and the entries no
 * finding matched (fixed, or not reached); else null. */
static json_t *baseline_json(const struct run_report *r)
{
    if (!r->baseline)
        return json_null();
    json_t *fixed = json_array();
    for (size_t i = 0; i < r->baseline->n; i++) {
        const struct baseline_entry *e = &r->baseline->v[i];
        if (e->seen)
            continue;
        json_array_append_new(fixed, json_pack("{s:o, s:o, s:o, s:o}",
            "rule", text(e->rule), "command", text(e->command),
            "code", e->code >= 0 ? json_integer(e->code) : json_null(),
            "comment", e->comment ? text(e->comment) : json_null()));
    }
    return json_pack("{s:I, s:I, s:I, s:o}", "new_fail", (json_int_t)r->new_count[V_FAIL],
                     "new_warn", (json_int_t)r->new_count[V_WARN],
                     "new_info", (json_int_t)r->new_count[V_INFO], "fixed", fixed);
}

/* Everything but "cases". */
static json_t *report_json(const struct run_report *r)
{
    json_t *summary = json_object();
    json_object_set_new(summary, "total", json_integer((json_int_t)r->ncases));
    for (int v = 0; v < V_COUNT; v++)
        json_object_set_new(summary, verdict_name((enum verdict)v),
                            json_integer((json_int_t)r->count[v]));
    return json_pack("{s:{s:s, s:s}, s:s, s:{s:s, s:s, s:i, s:b}, s:s, s:I, s:b, s:o, s:s,"
                     " s:{s:b, s:I, s:I, s:i, s:i, s:b, s:b, s:b, s:b, s:b}, s:{s:I, s:I, s:i},"
                     " s:o, s:o, s:o, s:o}",
                     "tool", "name", "smtpspec", "version", PACKAGE_VERSION,
                     "string_encoding", "wire-escape",
                     "target", "url", r->target_url, "host", r->host, "port", r->port,
                     "tls", r->tls,
                     "started", r->started,
                     "duration_ms", (json_int_t)r->duration_ms,
                     "complete", !r->stopped_by,
                     "stopped_by", str_or_null(r->stopped_by),
                     "profile", profile_name(r->profile),
                     "options", "strict", r->strict,
                     "timeout_ms", (json_int_t)r->cfg->timeout_ms,
                     "case_time_ms", (json_int_t)r->cfg->case_time_ms,
                     "jobs", r->cfg->jobs,
                     "retries", r->cfg->retries,
                     "rcpt_given", r->cfg->vars.value[VAR_RCPT] != NULL,
                     "starttls", r->cfg->starttls,
                     "insecure", r->cfg->conn.insecure,
                     "cacert_given", r->cfg->conn.cafile != NULL,
                     "auth_given", r->cfg->secrets[0] != NULL,
                     "backoff", "greetings_421", (json_int_t)r->stats.greetings_421,
                     "retries", (json_int_t)r->stats.retries,
                     "jobs", r->stats.jobs,
                     "server", server_json(r->server),
                     "summary", summary,
                     "findings", behaviours_json(r),
                     "baseline", baseline_json(r));
}

struct json_stream {
    struct atomic_file *file;
    FILE *f;
    size_t ncases;
};

/* jansson output, indented to sit inside the "cases" array. */
static int indented(const char *p, size_t n, void *data)
{
    FILE *f = data;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n')
            fputs("\n    ", f);
        else
            putc(p[i], f);
    }
    return 0;
}

int json_stream_open(const char *path, struct json_stream **out, char *err, size_t errlen)
{
    struct json_stream *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    if (atomic_open(path, &s->file, err, errlen) != 0) {
        free(s);
        return -1;
    }
    s->f = atomic_stream(s->file);
    fputs("{\n  \"cases\": [", s->f);
    *out = s;
    return 0;
}

int json_stream_case(struct json_stream *s, const struct case_result *c)
{
    json_t *j = case_json(c);
    if (!j)
        return -1;
    fputs(s->ncases++ ? ",\n    " : "\n    ", s->f);
    int rc = json_dump_callback(j, indented, s->f, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    json_decref(j);
    return rc == 0 && !ferror(s->f) ? 0 : -1;
}

int json_stream_finish(struct json_stream *s, const struct run_report *r, char *err,
                       size_t errlen)
{
    json_t *root = report_json(r);
    char *rest = root ? json_dumps(root, JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;
    json_decref(root);
    if (!rest) {
        snprintf(err, errlen, "could not build the JSON report");
        json_stream_abort(s);
        return -1;
    }
    fprintf(s->f, "%s],%s\n", s->ncases ? "\n  " : "", rest + 1);  /* rest starts with "{" */
    free(rest);
    int rc = atomic_commit(s->file, err, errlen);
    free(s);
    return rc;
}

void json_stream_abort(struct json_stream *s)
{
    if (!s)
        return;
    atomic_abort(s->file);
    free(s);
}

int report_json_write(const struct run_report *r, const char *path, char *err, size_t errlen)
{
    struct json_stream *s;
    if (json_stream_open(path, &s, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < r->ncases; i++)
        json_stream_case(s, &r->cases[i]);
    return json_stream_finish(s, r, err, errlen);
}
