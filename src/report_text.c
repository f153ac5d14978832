/* report_text.c - the terminal summary: one block per behaviour (worst
 * first, with the rule, its sentence, one example exchange and the cases
 * that saw it), then a line per case that ended in error or skip, then
 * the totals. */
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "report.h"

static const char *const colors[V_COUNT] = {
    [V_PASS] = "\033[32m", [V_INFO] = "\033[36m", [V_SKIP] = "\033[2m", [V_WARN] = "\033[33m",
    [V_ERROR] = "\033[35m", [V_FAIL] = "\033[31m",
};
#define RESET "\033[0m"

void report_count(struct run_report *r)
{
    memset(r->count, 0, sizeof r->count);
    for (size_t i = 0; i < r->ncases; i++)
        r->count[r->cases[i].verdict]++;
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
    } else if (e->received.len) {  /* a retired case: its first line */
        size_t len = strcspn(e->received.data, "\r\n");
        rep = wire_escape(e->received.data, len > 200 ? 200 : len);
    }
    fprintf(out, "        %s%s%s -> %s\n", n ? "C: " : "(greeting)", cmd ? cmd : "",
            n > 200 ? "..." : "", rep ? rep : "(no reply)");
    free(cmd);
    free(rep);
}

/* A behaviour: verdict, rule, where, the sentence, one example, the cases. */
static void print_behaviour(FILE *out, const struct behaviour *h, int color,
                            const struct baseline *base)
{
    if (base)
        fprintf(out, "%s ", baseline_find(base, h->rule->id, h->command, h->code)
                ? "known" : "NEW  ");
    fprintf(out, "%s%-5s%s %s (%s): %s answered %s", color ? colors[h->verdict] : "",
            verdict_name(h->verdict), color ? RESET : "", h->rule->id, h->rule->source,
            strcmp(h->command, CMD_GREETING) == 0 ? "the greeting" : h->command,
            h->code >= 0 ? "" : "nothing");
    if (h->code >= 0)
        fprintf(out, "%d", h->code);
    fprintf(out, "\n        \"%s\"\n", h->rule->quote);
    print_exchange(out, h->example);
    fprintf(out, "        %s\n        seen in %zu case%s:", h->message, h->ncases,
            h->ncases == 1 ? "" : "s");
    for (size_t k = 0; k < h->ncases && k < 8; k++)
        fprintf(out, " %s", h->cases[k]->def->id);
    fprintf(out, "%s\n", h->ncases > 8 ? " ..." : "");
    if (h->advisory)
        fprintf(out, "        security: %s\n        fix: %s\n", h->advisory, h->fix);
}

/* Cases that ended without a rule-citing verdict: error and skip. */
static void print_unjudged(const struct run_report *r, FILE *out, int color)
{
    for (size_t i = 0; i < r->ncases; i++) {
        const struct case_result *c = &r->cases[i];
        if (c->verdict != V_ERROR && c->verdict != V_SKIP)
            continue;
        fprintf(out, "%s%-5s%s %s: %s\n", color ? colors[c->verdict] : "",
                verdict_name(c->verdict), color ? RESET : "", c->def->id,
                c->reason ? c->reason : "");
    }
}

/* Baseline entries no finding of the run matched. */
static void print_fixed(const struct run_report *r, FILE *out)
{
    for (size_t i = 0; r->baseline && i < r->baseline->n; i++) {
        const struct baseline_entry *e = &r->baseline->v[i];
        if (e->seen)
            continue;
        fprintf(out, "fixed %s %s ", e->rule, e->command);
        if (e->code >= 0)
            fprintf(out, "%d", e->code);
        else
            fprintf(out, "-");
        fprintf(out, ": in the baseline (line %d), not seen in this run\n", e->line);
    }
}

/* One line on what the discovery connection's TLS showed. */
static void print_tls(const struct server_info *s, FILE *out)
{
    const struct tls_facts *f = s->tls;
    if (!f && !s->tls_error)
        return;
    const char *mode = s->tls_implicit ? "implicit TLS" : "STARTTLS";
    if (!f) {
        fprintf(out, "TLS: %s advertised, but %s\n", mode, s->tls_error);
        return;
    }
    fprintf(out, "TLS: %s, %s %s; certificate %s", mode, f->version, f->cipher,
            f->has_cert ? f->subject : "none");
    if (f->has_cert)
        fprintf(out, " (%s %d bits, not after %s)", f->key_type, f->key_bits, f->not_after);
    if (!f->verify_done)
        fprintf(out, ", not verified (--insecure)\n");
    else if (f->verified)
        fprintf(out, ", verified\n");
    else
        fprintf(out, ", did not verify: %s\n", f->verify_reason);
}

void report_text(const struct run_report *r, FILE *out, int color, int quiet)
{
    struct behaviours b;
    if (!quiet && behaviours_collect(r->cases, r->ncases, &b) == 0) {
        for (size_t i = 0; i < b.n; i++) {
            /* security findings come first (findings.h), under their own heading */
            if (b.v[0].advisory && (i == 0 || (!b.v[i].advisory && b.v[i - 1].advisory)))
                fprintf(out, "%s findings:\n", b.v[i].advisory ? "Security" : "Other");
            print_behaviour(out, &b.v[i], color, r->baseline);
        }
        if (b.n)
            fprintf(out, "\n");
        behaviours_free(&b);
    }
    if (!quiet) {
        print_unjudged(r, out, color);
        print_fixed(r, out);
        fprintf(out, "\n");
        if (r->server)
            print_tls(r->server, out);
    }
    fprintf(out, "%zu cases: ", r->ncases);
    for (int v = 0; v < V_COUNT; v++) {
        fprintf(out, "%s%s%zu %s%s", v ? ", " : "", color && r->count[v] ? colors[v] : "",
                r->count[v], verdict_name((enum verdict)v), color && r->count[v] ? RESET : "");
    }
    fprintf(out, " (%s, %.1f s)", r->target_url, r->duration_ms / 1000.0);
    if (r->stopped_by)
        fprintf(out, "; incomplete: %s", strcmp(r->stopped_by, "max-time") == 0
                ? "--max-time was up" : r->stopped_by);
    fprintf(out, "\n");
    if (r->baseline) {
        size_t fixed = 0;
        for (size_t i = 0; i < r->baseline->n; i++)
            fixed += !r->baseline->v[i].seen;
        fprintf(out, "baseline: new findings: %zu fail, %zu warn, %zu info; %zu baseline "
                "entr%s not seen\n", r->new_count[V_FAIL], r->new_count[V_WARN],
                r->new_count[V_INFO], fixed, fixed == 1 ? "y" : "ies");
    }
    if (r->stats.greetings_421)
        fprintf(out, "backoff: %zu greetings were 421; %zu retries; concurrency ended at %d\n",
                r->stats.greetings_421, r->stats.retries, r->stats.jobs);
}
