/* report_text.c - the terminal summary: a line per case that did not
 * pass, with the command, the reply and the reason; then the totals. */
#include <stdlib.h>
#include <string.h>

#include "report.h"

static const char *const colors[V_COUNT] = {
    [V_PASS] = "\033[32m", [V_SKIP] = "\033[2m", [V_WARN] = "\033[33m",
    [V_ERROR] = "\033[35m", [V_FAIL] = "\033[31m",
};
#define RESET "\033[0m"

void report_count(struct run_report *r)
{
    memset(r->count, 0, sizeof r->count);
    for (size_t i = 0; i < r->ncases; i++)
        r->count[r->cases[i].verdict]++;
}

/* The exchange that decided the verdict: the first one as bad as the case. */
static const struct exchange *deciding(const struct case_result *c)
{
    for (size_t i = 0; i < c->nex; i++)
        if (c->ex[i].verdict == c->verdict)
            return &c->ex[i];
    return NULL;
}

static void print_exchange(FILE *out, const struct exchange *e)
{
    size_t n = e->sent.len;
    while (n > 0 && (e->sent.data[n - 1] == '\n' || e->sent.data[n - 1] == '\r'))
        n--;
    char *cmd = wire_escape(e->sent.data ? e->sent.data : "", n > 200 ? 200 : n);
    char *rep = NULL;
    if (e->has_reply && e->reply.nlines) {
        const struct reply_line *last = &e->reply.lines[e->reply.nlines - 1];
        rep = wire_escape(e->reply.raw + last->off, last->len > 200 ? 200 : last->len);
    }
    fprintf(out, "        %s%s%s -> %s\n", n ? "C: " : "(greeting)", cmd ? cmd : "",
            n > 200 ? "..." : "", rep ? rep : "(no reply)");
    free(cmd);
    free(rep);
}

void report_text(const struct run_report *r, FILE *out, int color)
{
    for (size_t i = 0; i < r->ncases; i++) {
        const struct case_result *c = &r->cases[i];
        if (c->verdict == V_PASS)
            continue;
        fprintf(out, "%s%-5s%s %s: %s\n", color ? colors[c->verdict] : "",
                verdict_name(c->verdict), color ? RESET : "", c->def->id,
                c->def->title ? c->def->title : "");
        const struct exchange *e = deciding(c);
        if (e && c->verdict != V_SKIP)
            print_exchange(out, e);
        fprintf(out, "        %s\n", c->reason ? c->reason : "");
    }
    fprintf(out, "\n%zu cases: ", r->ncases);
    for (int v = 0; v < V_COUNT; v++) {
        fprintf(out, "%s%s%zu %s%s", v ? ", " : "", color && r->count[v] ? colors[v] : "",
                r->count[v], verdict_name((enum verdict)v), color && r->count[v] ? RESET : "");
    }
    fprintf(out, " (%s, %.1f s)\n", r->target_url, r->duration_ms / 1000.0);
}
