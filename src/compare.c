/* compare.c - smtpspec compare: JSON reports side by side, as a matrix
 * with one column per report (a server, or a run) and one row per rule
 * or per case, the verdict in each cell (the model: Autobahn's matrix).
 * A rule's cell is the worst verdict of the findings that cite it in
 * that report, "-" when none does; a case's cell is its verdict, "n/a"
 * when the report has no such case. */
#include "compare.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "html.h"
#include "report.h"

#define MAX_REPORTS 26      /* columns are lettered A to Z */
#define KEY_SHOWN 64        /* a longer rule or case id is cut on the terminal */

struct column {
    const char *file;
    json_t *report;
};

/* One row: a key (rule id or case id) and a verdict per column. */
struct row {
    const char *key;
    const json_t *cite;         /* a finding or case with rule/source/quote */
    const char *cell[MAX_REPORTS];
    int worst;                  /* rank of the worst cell, for ordering */
};

struct matrix {
    struct row *v;
    size_t n, cap;
    json_t *index;              /* key -> position in v, so a row is found at once */
};

static int rank(const char *verdict)
{
    for (int i = 0; i < 6; i++)
        if (!strcmp(verdict, html_verdicts_worst_first[i]))
            return 6 - i;
    return 0;
}

static struct row *row_for(struct matrix *m, const char *key, const json_t *cite)
{
    json_t *at = json_object_get(m->index, key);
    if (at)
        return &m->v[json_integer_value(at)];
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        struct row *v = realloc(m->v, cap * sizeof *v);
        if (!v)
            return NULL;
        m->v = v;
        m->cap = cap;
    }
    if (json_object_set_new(m->index, key, json_integer((json_int_t)m->n)) != 0)
        return NULL;
    struct row *r = &m->v[m->n++];
    memset(r, 0, sizeof *r);
    r->key = key;
    r->cite = cite;
    return r;
}

/* Puts verdict in column col of the row if it is worse than what is there. */
static int set_cell(struct matrix *m, const char *key, const json_t *cite, size_t col,
                    const char *verdict)
{
    struct row *r = row_for(m, key, cite);
    if (!r)
        return -1;
    if (!r->cell[col] || rank(verdict) > rank(r->cell[col]))
        r->cell[col] = verdict;
    if (rank(verdict) > r->worst)
        r->worst = rank(verdict);
    return 0;
}

static int build(const struct column *cols, size_t ncols, int by_case, struct matrix *m)
{
    if (!(m->index = json_object()))
        return -1;
    for (size_t c = 0; c < ncols; c++) {
        const json_t *list = jarr(cols[c].report, by_case ? "cases" : "findings");
        size_t i;
        json_t *x;
        json_array_foreach(list, i, x) {
            const char *key = jstr(x, by_case ? "id" : "rule");
            if (*key && set_cell(m, key, x, c, html_verdict(jstr(x, "verdict"))) != 0)
                return -1;
        }
    }
    return 0;
}

static int worst_first(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    return x->worst != y->worst ? y->worst - x->worst : strcmp(x->key, y->key);
}

static int differs(const struct row *r, size_t ncols)
{
    for (size_t c = 1; c < ncols; c++)
        if ((r->cell[c] != NULL) != (r->cell[0] != NULL) ||
            (r->cell[c] && strcmp(r->cell[c], r->cell[0])))
            return 1;
    return 0;
}

static const char *empty_cell(int by_case)
{
    return by_case ? "n/a" : "-";
}

/* The first line of the server's greeting, which names most servers. */
static const char *greeting(const json_t *report)
{
    const json_t *lines = jarr(jobj(jobj(report, "server"), "greeting"), "lines");
    const char *g = json_string_value(json_array_get(lines, 0));
    return g ? g : "(no greeting)";
}

/* Report text for the terminal: at most len - 1 bytes, control bytes as
 * "?" (a report may be hostile; escape sequences stay off the screen). */
static const char *term(const char *s, char *buf, size_t len)
{
    size_t i = 0;
    for (; s[i] && i + 1 < len; i++)
        buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    buf[i] = '\0';
    return buf;
}

static void print_legend(const struct column *cols, size_t ncols, FILE *out)
{
    char url[128], started[40], greet[73];
    for (size_t c = 0; c < ncols; c++) {
        const json_t *r = cols[c].report, *s = jobj(r, "summary");
        fprintf(out, "%c  %s  %s  (%s): %lld fail, %lld warn, %lld info, %lld cases\n"
                "   %s\n", (int)('A' + c), term(jstr(jobj(r, "target"), "url"), url, sizeof url),
                term(jstr(r, "started"), started, sizeof started), cols[c].file,
                jint(s, "fail"), jint(s, "warn"), jint(s, "info"), jint(s, "total"),
                term(greeting(r), greet, sizeof greet));
    }
}

static void print_text(const struct column *cols, size_t ncols, const struct matrix *m,
                       int by_case, int only_diff, FILE *out)
{
    char key[KEY_SHOWN + 1];
    int width = 4;
    size_t shown = 0;
    for (size_t i = 0; i < m->n; i++)
        if ((int)strlen(m->v[i].key) > width)
            width = (int)strlen(m->v[i].key);
    if (width > KEY_SHOWN)
        width = KEY_SHOWN;
    print_legend(cols, ncols, out);
    fprintf(out, "\n%-*s", width, by_case ? "case" : "rule");
    for (size_t c = 0; c < ncols; c++)
        fprintf(out, "  %-5c", (int)('A' + c));
    fputc('\n', out);
    for (size_t i = 0; i < m->n; i++) {
        if (only_diff && !differs(&m->v[i], ncols))
            continue;
        shown++;
        fprintf(out, "%-*s", width, term(m->v[i].key, key, sizeof key));
        for (size_t c = 0; c < ncols; c++)
            fprintf(out, "  %-5s", m->v[i].cell[c] ? m->v[i].cell[c] : empty_cell(by_case));
        fputc('\n', out);
    }
    if (shown == 0)
        fprintf(out, "(no %s)\n", only_diff ? "row differs" : by_case ? "case" : "finding");
}

static void html_table(size_t ncols, const struct matrix *m,
                       int by_case, int only_diff, FILE *f)
{
    fprintf(f, "<table class=\"matrix\" id=\"%s\">\n<tr><th>%s</th>", by_case ? "cases" : "rules",
            by_case ? "case" : "rule");
    for (size_t c = 0; c < ncols; c++)
        fprintf(f, "<th>%c</th>", (int)('A' + c));
    fputs("</tr>\n", f);
    for (size_t i = 0; i < m->n; i++) {
        const struct row *r = &m->v[i];
        if (only_diff && !differs(r, ncols))
            continue;
        fputs("<tr><td class=\"id\"><code>", f);
        html_text(f, r->key);
        fputs("</code>", f);
        if (by_case) {
            fputs(" <span class=\"muted\">", f);
            html_text(f, jstr(r->cite, "title"));
            fputs("</span>", f);
        } else {
            fputs(" <span class=\"src\">", f);
            html_text(f, jstr(r->cite, "source"));
            fputs("</span><br><span class=\"muted\">", f);
            html_text(f, jstr(r->cite, "quote"));
            fputs("</span>", f);
        }
        fputs("</td>", f);
        for (size_t c = 0; c < ncols; c++) {
            fputs("<td>", f);
            if (r->cell[c])
                html_badge(f, r->cell[c]);
            else
                fprintf(f, "<span class=\"badge v-none\">%s</span>", empty_cell(by_case));
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void write_html(FILE *f, const struct column *cols, size_t ncols,
                       const struct matrix *rules, const struct matrix *cases, int only_diff)
{
    html_page_start(f, "smtpspec: comparison");
    fputs("<h1>smtpspec: comparison</h1>\n<table class=\"legend\">\n<tr><th></th><th>target</th>"
          "<th>greeting</th><th>started</th><th>report</th><th>fail</th><th>warn</th>"
          "<th>info</th><th>cases</th></tr>\n", f);
    for (size_t c = 0; c < ncols; c++) {
        const json_t *r = cols[c].report, *s = jobj(r, "summary");
        fprintf(f, "<tr><th>%c</th><td><code>", (int)('A' + c));
        html_text(f, jstr(jobj(r, "target"), "url"));
        fputs("</code></td><td><code>", f);
        html_wire(f, greeting(r));
        fputs("</code></td><td>", f);
        html_text(f, jstr(r, "started"));
        fputs("</td><td>", f);
        html_text(f, cols[c].file);
        fprintf(f, "</td><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</td></tr>\n",
                jint(s, "fail"), jint(s, "warn"), jint(s, "info"), jint(s, "total"));
    }
    fputs("</table>\n<h2>Rules</h2>\n<p class=\"muted\">A cell is the worst verdict of the "
          "findings that cite the rule in that report; - : no finding cites it.</p>\n", f);
    html_table(ncols, rules, 0, only_diff, f);
    fputs("<h2>Cases</h2>\n", f);
    html_table(ncols, cases, 1, only_diff, f);
    html_page_end(f);
}

int compare_render(json_t *const *reports, const char *const *names, size_t n, int by_case,
                   int only_diff, FILE *text, FILE *html)
{
    struct column cols[MAX_REPORTS];
    struct matrix rules = { 0 }, cases = { 0 };
    int rc = 0;
    if (n > MAX_REPORTS)
        n = MAX_REPORTS;
    for (size_t c = 0; c < n; c++)
        cols[c] = (struct column){ names[c], reports[c] };
    if (build(cols, n, 0, &rules) != 0 || build(cols, n, 1, &cases) != 0) {
        rc = -1;
    } else {
        if (rules.n)
            qsort(rules.v, rules.n, sizeof *rules.v, worst_first);
        print_text(cols, n, by_case ? &cases : &rules, by_case, only_diff, text);
        if (html)
            write_html(html, cols, n, &rules, &cases, only_diff);
    }
    free(rules.v);
    free(cases.v);
    json_decref(rules.index);
    json_decref(cases.index);
    return rc;
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "smtpspec compare: ");
    fprintf(stderr, msg, arg);
    fprintf(stderr, " (see smtpspec --help)\n");
    return 2;
}

/* A report the matrix can use: an object with a "cases" array and a
 * "target" object, as reports/report.schema.json says. */
static int load(const char *path, json_t **out)
{
    json_error_t e;
    json_t *r = json_load_file(path, 0, &e);
    if (!r) {
        fprintf(stderr, "%s:%d: %s\n", path, e.line, e.text);
        return -1;
    }
    if (!json_is_object(r) || !jarr(r, "cases") || !jobj(r, "target") ||
        strcmp(jstr(jobj(r, "tool"), "name"), "smtpspec")) {
        fprintf(stderr, "%s:1: not a smtpspec JSON report (written with --json)\n", path);
        json_decref(r);
        return -1;
    }
    *out = r;
    return 0;
}

int compare_main(int argc, char **argv)
{
    json_t *reports[MAX_REPORTS] = { 0 };
    const char *names[MAX_REPORTS];
    size_t n = 0;
    const char *html = NULL;
    int by_case = 0, only_diff = 0, rc = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--html")) {
            if (++i == argc)
                return usage_error("option \"%s\" needs a value", a);
            html = argv[i];
        } else if (!strcmp(a, "--cases")) {
            by_case = 1;
        } else if (!strcmp(a, "--differ")) {
            only_diff = 1;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option \"%s\"", a);
        } else if (n == MAX_REPORTS) {
            return usage_error("more than 26 reports (from \"%s\" on)", a);
        } else {
            names[n++] = a;
        }
    }
    if (n == 0)
        return usage_error("%s", "no report given: smtpspec compare A.json B.json ...");
    char err[512];
    struct atomic_file *a = NULL;
    if (html && check_writable(html, err, sizeof err) != 0) {
        fprintf(stderr, "smtpspec compare: --html: %s\n", err);
        return 2;
    }
    for (size_t c = 0; c < n && rc == 0; c++)
        if (load(names[c], &reports[c]) != 0)
            rc = 2;
    if (rc == 0 && html && atomic_open(html, &a, err, sizeof err) != 0) {
        fprintf(stderr, "smtpspec compare: --html: %s\n", err);
        rc = 2;
    }
    if (rc == 0 && compare_render(reports, names, n, by_case, only_diff, stdout,
                                  a ? atomic_stream(a) : NULL) != 0) {
        fprintf(stderr, "smtpspec compare: out of memory\n");
        atomic_abort(a);
        rc = 2;
    } else if (rc == 0 && a && atomic_commit(a, err, sizeof err) != 0) {
        fprintf(stderr, "smtpspec compare: %s\n", err);
        rc = 2;
    }
    for (size_t c = 0; c < n; c++)
        json_decref(reports[c]);
    return rc;
}
