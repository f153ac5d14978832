/* report_html.c - the HTML report: one self-contained page, rendered from
 * the JSON report, for a person to read, print and pass on.  Overview and
 * totals first, then the findings worst first, then every case with its
 * transcript folded.  The filters by verdict and suite are checkboxes and
 * radio buttons driven by CSS, so they work with scripts off. */
#include "report_html.h"

#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "report.h"

/* o's verdict as one of the six names ("none" otherwise): it goes into
 * class and data attributes unescaped, and a report may be hostile. */
static const char *verdict_of(const json_t *o)
{
    return html_verdict(jstr(o, "verdict"));
}

static void fact(FILE *f, const char *name, const char *value)
{
    fputs("<dt>", f);
    html_text(f, name);
    fputs("</dt><dd>", f);
    html_text(f, value);
    fputs("</dd>\n", f);
}

/* A reply object {code, lines} as a <pre>. */
static void reply_pre(FILE *f, const json_t *reply)
{
    const json_t *lines = jarr(reply, "lines");
    size_t i;
    json_t *l;
    fputs("<pre>", f);
    json_array_foreach(lines, i, l) {
        html_wire(f, json_string_value(l));
        putc('\n', f);
    }
    fputs("</pre>\n", f);
}

static void keywords(FILE *f, const json_t *kw)
{
    size_t i;
    json_t *k;
    fputs("<ul class=\"keywords\">", f);
    json_array_foreach(kw, i, k) {
        fputs("<li class=\"mono\">", f);
        html_text(f, json_string_value(k));
        fputs("</li>", f);
    }
    fputs("</ul>\n", f);
}

/* The facts of one handshake (report_json.c: tls_json). */
static void tls_facts(FILE *f, const json_t *t)
{
    const json_t *cert = jobj(t, "certificate"), *v = jobj(t, "verification");
    char bits[32];
    fputs("<dl class=\"facts tls\">\n", f);
    fact(f, "TLS", jstr(t, "version"));
    fact(f, "cipher", jstr(t, "cipher"));
    if (cert) {
        fact(f, "subject", jstr(cert, "subject"));
        fact(f, "issuer", jstr(cert, "issuer"));
        fact(f, "valid", jstr(cert, "not_before"));
        fact(f, "until", jstr(cert, "not_after"));
        snprintf(bits, sizeof bits, "%lld bits", jint(cert, "key_bits"));
        fact(f, jstr(cert, "key_type"), bits);
    }
    if (v)
        fact(f, "verification", json_is_true(json_object_get(v, "ok")) ? "ok"
                                                                       : jstr(v, "reason"));
    fputs("</dl>\n", f);
}

static void server_section(FILE *f, const json_t *server)
{
    const json_t *tls = jobj(server, "tls");
    fputs("<h2 id=\"server\">Server</h2>\n", f);
    if (!json_is_true(json_object_get(server, "connected"))) {
        fputs("<p>Not connected: ", f);
        html_text(f, jstr(server, "error"));
        fputs("</p>\n", f);
        return;
    }
    fputs("<h3>Greeting</h3>\n", f);
    reply_pre(f, jobj(server, "greeting"));
    fputs("<h3>EHLO keywords</h3>\n", f);
    keywords(f, jarr(server, "keywords"));
    if (!tls)
        return;
    fprintf(f, "<h3>TLS (%s)</h3>\n", strcmp(jstr(tls, "mode"), "implicit") ? "STARTTLS"
                                                                             : "implicit");
    if (*jstr(tls, "error")) {
        fputs("<p>", f);
        html_text(f, jstr(tls, "error"));
        fputs("</p>\n", f);
    }
    if (jobj(tls, "session"))
        tls_facts(f, jobj(tls, "session"));
    if (jarr(tls, "keywords")) {
        fputs("<h3>EHLO keywords over TLS</h3>\n", f);
        keywords(f, jarr(tls, "keywords"));
    }
}

/* One row of counts, worst verdict first, then the total. */
static void totals(FILE *f, const json_t *summary, const json_t *baseline)
{
    fputs("<h2 id=\"totals\">Totals</h2>\n<table class=\"totals\">\n<tr>", f);
    for (int i = 0; i < 6; i++) {
        fputs("<th>", f);
        html_badge(f, html_verdicts_worst_first[i]);
        fputs("</th>", f);
    }
    fputs("<th>cases</th></tr>\n<tr>", f);
    for (int i = 0; i < 6; i++)
        fprintf(f, "<td class=\"count\" data-verdict=\"%s\">%lld</td>",
                html_verdicts_worst_first[i], jint(summary, html_verdicts_worst_first[i]));
    fprintf(f, "<td class=\"count\">%lld</td></tr>\n</table>\n", jint(summary, "total"));
    if (!baseline)
        return;
    fprintf(f, "<p class=\"baseline\">Baseline: %lld new fail, %lld new warn, %lld new info; "
            "%zu baseline entries not seen in this run.</p>\n", jint(baseline, "new_fail"),
            jint(baseline, "new_warn"), jint(baseline, "new_info"),
            json_array_size(jarr(baseline, "fixed")));
}

static void overview(FILE *f, const json_t *r)
{
    const json_t *target = jobj(r, "target"), *tool = jobj(r, "tool");
    const json_t *opts = jobj(r, "options");
    char buf[64];
    fputs("<header>\n<h1>smtpspec report: <span class=\"mono\">", f);
    html_text(f, jstr(target, "url"));
    fputs("</span></h1>\n<dl class=\"facts\">\n", f);
    fact(f, "started", jstr(r, "started"));
    snprintf(buf, sizeof buf, "%.1f s", jint(r, "duration_ms") / 1000.0);
    fact(f, "duration", buf);
    fact(f, "complete", json_is_true(json_object_get(r, "complete")) ? "yes"
         : *jstr(r, "stopped_by") ? jstr(r, "stopped_by") : "no");
    fact(f, "profile", jstr(r, "profile"));
    fact(f, "mode", json_is_true(json_object_get(opts, "starttls")) ? "every case over STARTTLS"
         : json_is_true(json_object_get(target, "tls")) ? "implicit TLS" : "plain text");
    fact(f, "smtpspec", jstr(tool, "version"));
    fputs("</dl>\n</header>\n", f);
}

/* "C: command" and "S: reply" of an exchange (or of a finding's example). */
static void exchange_pre(FILE *f, const char *command, const char *received, int truncated)
{
    fputs("<pre>", f);
    if (*command) {
        fputs("<span class=\"c\">C: ", f);
        html_wire(f, command);
        fputs("</span>\n", f);
    }
    fputs("<span class=\"s\">", f);
    html_wire(f, received);
    fputs(truncated ? "</span><span class=\"muted\">[truncated]</span></pre>" : "</span></pre>",
          f);
}

static void cite(FILE *f, const json_t *o)
{
    if (!*jstr(o, "rule"))
        return;
    fputs("<p class=\"rule\"><code>", f);
    html_text(f, jstr(o, "rule"));
    fputs("</code> <span class=\"src\">", f);
    html_text(f, jstr(o, "source"));
    fputs("</span></p>\n<blockquote class=\"quote\">", f);
    html_text(f, jstr(o, "quote"));
    fputs("</blockquote>\n", f);
}

static void case_link(FILE *f, const char *id)
{
    fputs("<a href=\"#case-", f);
    html_text(f, id);
    fputs("\">", f);
    html_text(f, id);
    fputs("</a>", f);
}

static void finding(FILE *f, const json_t *h, size_t index)
{
    const json_t *ex = jobj(h, "example"), *cases = jarr(h, "cases");
    const char *mark = jstr(h, "baseline");
    size_t i;
    json_t *c;
    fprintf(f, "<article class=\"finding v-%s\" id=\"finding-%zu\" data-verdict=\"%s\" "
            "data-rule=\"", verdict_of(h), index + 1, verdict_of(h));
    html_text(f, jstr(h, "rule"));
    fputs("\">\n<h3>", f);
    html_badge(f, verdict_of(h));
    fputs(" <span class=\"mono\">", f);
    html_wire(f, jstr(h, "command"));
    if (jint(h, "code") >= 0)
        fprintf(f, " &rarr; %lld", jint(h, "code"));
    fputs("</span>", f);
    if (*mark)
        fprintf(f, " <span class=\"mark %s\">%s</span>", !strcmp(mark, "known") ? "known" : "new",
                !strcmp(mark, "known") ? "known" : "new");
    int security = json_is_true(json_object_get(h, "security"));
    if (security)
        fputs(" <span class=\"sec\">security</span>", f);
    fputs("</h3>\n", f);
    cite(f, h);
    if (security) {
        fputs("<p class=\"advisory\"><b>Advisory:</b> ", f);
        html_text(f, jstr(h, "advisory"));
        fputs("<br><b>Fix:</b> ", f);
        html_text(f, jstr(h, "fix"));
        fputs("</p>\n", f);
    }
    fputs("<p class=\"message\">", f);
    html_text(f, jstr(ex, "message"));
    fputs("</p>\n<p class=\"muted\">Example, from ", f);
    case_link(f, jstr(ex, "case"));
    fputs(":</p>\n", f);
    exchange_pre(f, jstr(ex, "command"), jstr(ex, "received"),
                 json_is_true(json_object_get(ex, "received_truncated")));
    fprintf(f, "\n<p class=\"cases\">Seen in %zu case%s:", json_array_size(cases),
            json_array_size(cases) == 1 ? "" : "s");
    json_array_foreach(cases, i, c) {
        fputs(" ", f);
        case_link(f, json_string_value(c));
    }
    fputs("</p>\n</article>\n", f);
}

static void findings(FILE *f, const json_t *list)
{
    size_t i;
    json_t *h;
    fprintf(f, "<section id=\"findings\">\n<h2>Findings (%zu)</h2>\n", json_array_size(list));
    if (json_array_size(list) == 0)
        fputs("<p>No finding: every reply was one the rules allow.</p>\n", f);
    json_array_foreach(list, i, h)
        finding(f, h, i);
    fputs("</section>\n", f);
}

static void exchange_row(FILE *f, const json_t *e)
{
    const json_t *allowed = jarr(e, "allowed"), *fs = jarr(e, "findings");
    size_t i;
    json_t *x;
    fputs("<tr><td class=\"v\">", f);
    html_badge(f, verdict_of(e));
    fputs("</td><td>", f);
    exchange_pre(f, jstr(e, "command"), jstr(e, "received"),
                 json_is_true(json_object_get(e, "received_truncated")));
    if (json_array_size(allowed)) {
        fputs("<div class=\"muted\">allowed:", f);
        json_array_foreach(allowed, i, x)
            fprintf(f, " %lld", (long long)json_integer_value(x));
        fprintf(f, "; %lld ms</div>", jint(e, "elapsed_ms"));
    }
    if (*jstr(e, "reason")) {
        fputs("<div>", f);
        html_text(f, jstr(e, "reason"));
        fputs("</div>", f);
    }
    json_array_foreach(fs, i, x) {
        fputs("<div>", f);
        html_badge(f, verdict_of(x));
        fputs(" ", f);
        html_text(f, jstr(x, "message"));
        fputs(" <code>", f);
        html_text(f, jstr(x, "rule"));
        fputs("</code></div>", f);
    }
    fputs("</td></tr>\n", f);
}

/* The index of a case's suite in suites (added when new). */
static size_t suite_index(json_t *suites, const char *id)
{
    size_t i;
    json_t *s;
    json_array_foreach(suites, i, s)
        if (!strcmp(json_string_value(s), id))
            return i;
    json_array_append_new(suites, json_string(id));
    return json_array_size(suites) - 1;
}

static void one_case(FILE *f, const json_t *c, size_t suite)
{
    const json_t *refs = jarr(c, "refs"), *ex = jarr(c, "exchanges");
    size_t i;
    json_t *x;
    fprintf(f, "<details class=\"case v-%s s-%zu\" id=\"case-", verdict_of(c), suite);
    html_text(f, jstr(c, "id"));
    fprintf(f, "\" data-verdict=\"%s\" data-suite=\"", verdict_of(c));
    html_text(f, jstr(c, "suite"));
    fputs("\"><summary>", f);
    html_badge(f, verdict_of(c));
    fputs(" <code>", f);
    html_text(f, jstr(c, "id"));
    fputs("</code> <span class=\"t\">", f);
    html_text(f, jstr(c, "title"));
    fprintf(f, "</span> <span class=\"muted\">%lld ms</span></summary>\n", jint(c, "duration_ms"));
    if (*jstr(c, "reason")) {
        fputs("<p>", f);
        html_text(f, jstr(c, "reason"));
        fputs("</p>\n", f);
    }
    cite(f, c);
    fputs("<p class=\"muted\">refs:", f);
    json_array_foreach(refs, i, x) {
        fputs(i ? "; " : " ", f);
        html_text(f, json_string_value(x));
    }
    fputs("</p>\n", f);
    if (jobj(c, "tls"))
        tls_facts(f, jobj(c, "tls"));
    if (json_array_size(ex) == 0) {
        fputs("<p class=\"muted\">No exchange: nothing was sent or received.</p>\n</details>\n", f);
        return;
    }
    fputs("<table class=\"transcript\">\n", f);
    json_array_foreach(ex, i, x)
        exchange_row(f, x);
    fputs("</table>\n</details>\n", f);
}

/* The CSS that hides what a filter leaves out: one rule per verdict
 * checkbox and per suite radio button. */
static void filter_style(FILE *f, size_t nsuites)
{
    fputs("<style>\n", f);
    for (int i = 0; i < 6; i++)
        fprintf(f, "#show-%s:not(:checked)~.case-list .v-%s{display:none}\n",
                html_verdicts_worst_first[i], html_verdicts_worst_first[i]);
    for (size_t i = 0; i < nsuites; i++)
        fprintf(f, "#suite-%zu:checked~.case-list .case:not(.s-%zu){display:none}\n", i, i);
    fputs("</style>\n", f);
}

/* The filter inputs are siblings of .case-list, before it, so that the
 * "~" selectors of filter_style reach it. */
static void cases_section(FILE *f, const json_t *r)
{
    const json_t *cases = jarr(r, "cases"), *summary = jobj(r, "summary");
    json_t *suites = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c)
        suite_index(suites, jstr(c, "suite"));
    filter_style(f, json_array_size(suites));
    fprintf(f, "<section id=\"cases\">\n<h2>Cases (%zu)</h2>\n", json_array_size(cases));
    fputs("<p class=\"noprint muted\">Untick a verdict to hide its cases, pick a suite to "
          "show only its cases; open a case for its transcript.</p>\n", f);
    for (int k = 0; k < 6; k++) {
        const char *v = html_verdicts_worst_first[k];
        fprintf(f, "<input type=\"checkbox\" id=\"show-%s\" checked>"
                "<label for=\"show-%s\">%s (%lld)</label>\n", v, v, v, jint(summary, v));
    }
    fputs("<br class=\"noprint\"><input type=\"radio\" name=\"suite\" id=\"suite-all\" "
          "checked><label for=\"suite-all\">all suites</label>\n", f);
    json_array_foreach(suites, i, c) {
        fprintf(f, "<input type=\"radio\" name=\"suite\" id=\"suite-%zu\">"
                "<label for=\"suite-%zu\">", i, i);
        html_text(f, json_string_value(c));
        fputs("</label>\n", f);
    }
    fputs("<div class=\"case-list\">\n", f);
    json_array_foreach(cases, i, c)
        one_case(f, c, suite_index(suites, jstr(c, "suite")));
    fputs("</div>\n</section>\n", f);
    json_decref(suites);
}

void report_html_stream(const json_t *r, FILE *f)
{
    char title[600];
    snprintf(title, sizeof title, "smtpspec: %.400s: %lld fail, %lld warn",
             jstr(jobj(r, "target"), "url"), jint(jobj(r, "summary"), "fail"),
             jint(jobj(r, "summary"), "warn"));
    html_page_start(f, title);
    overview(f, r);
    totals(f, jobj(r, "summary"), jobj(r, "baseline"));
    server_section(f, jobj(r, "server"));
    findings(f, jarr(r, "findings"));
    cases_section(f, r);
    html_page_end(f);
}

int report_html_write(const json_t *r, const char *path, char *err, size_t errlen)
{
    struct atomic_file *a;
    if (atomic_open(path, &a, err, errlen) != 0)
        return -1;
    report_html_stream(r, atomic_stream(a));
    return atomic_commit(a, err, errlen);
}
