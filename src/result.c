/* result.c - findings, and releasing results. */
#include "result.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Recomputes verdict, rule and reason from e's findings. */
static void exchange_resum(struct exchange *e)
{
    e->verdict = V_PASS;
    e->rule = NULL;
    buf_free(&e->reason);
    for (size_t i = 0; i < e->nfindings; i++) {
        const struct finding *f = &e->findings[i];
        if (f->verdict > e->verdict) {
            e->verdict = f->verdict;
            e->rule = f->rule;
        } else if (f->verdict == e->verdict && !e->rule) {
            e->rule = f->rule;
        }
        if (e->reason.len)
            buf_puts(&e->reason, "; ");
        buf_puts(&e->reason, f->message);
        if (f->rule)
            buf_printf(&e->reason, " [%s]", f->rule->id);
    }
}

int exchange_add_finding(struct exchange *e, enum verdict v, const struct rule *rule,
                         const char *message)
{
    for (size_t i = 0; rule && i < e->nfindings; i++)
        if (e->findings[i].rule == rule)
            return 0;   /* one rule judges an exchange once */
    struct finding *f = realloc(e->findings, (e->nfindings + 1) * sizeof *f);
    if (!f)
        return -1;
    e->findings = f;
    f = &f[e->nfindings];
    f->verdict = v;
    f->rule = rule;
    f->message = strdup(message);
    if (!f->message)
        return -1;
    e->nfindings++;
    exchange_resum(e);
    return 0;
}

int exchange_addf(struct exchange *e, enum verdict v, const struct rule *rule,
                  const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return exchange_add_finding(e, v, rule, msg);
}

void exchange_drop_rule(struct exchange *e, const struct rule *rule)
{
    size_t kept = 0;
    for (size_t i = 0; i < e->nfindings; i++) {
        if (e->findings[i].rule == rule)
            free(e->findings[i].message);
        else
            e->findings[kept++] = e->findings[i];
    }
    e->nfindings = kept;
    exchange_resum(e);
}

static void keep(struct buf *b, size_t *total, size_t max, const char *p, size_t n)
{
    *total += n;
    if (b->len < max)
        buf_append(b, p, n < max - b->len ? n : max - b->len);
}

void exchange_sent(struct exchange *e, const char *p, size_t n)
{
    keep(&e->sent, &e->sent_total, EXCHANGE_KEEP_SENT, p, n);
}

void exchange_received(struct exchange *e, const char *p, size_t n)
{
    keep(&e->received, &e->received_total, EXCHANGE_KEEP_RECEIVED, p, n);
}

void exchange_shrink(struct exchange *e)
{
    if (e->has_reply)
        reply_shrink(&e->reply, EXCHANGE_KEEP_RECEIVED);
    buf_truncate(&e->received, e->received.len);
    buf_truncate(&e->sent, e->sent.len);
}

void case_result_retire(struct case_result *r)
{
    for (size_t i = 0; i < r->nex; i++) {
        struct exchange *e = &r->ex[i];
        buf_truncate(&e->sent, EXCHANGE_KEEP_RETIRED);
        buf_truncate(&e->received, EXCHANGE_KEEP_RETIRED);
        if (e->has_reply)
            reply_drop_lines(&e->reply);
        buf_truncate(&e->reason, e->reason.len);
    }
    free(r->tls);       /* written out with the case */
    r->tls = NULL;
    r->retired = 1;
}

void exchange_free(struct exchange *e)
{
    free(e->table_cmd);
    buf_free(&e->sent);
    buf_free(&e->received);
    if (e->has_reply)
        reply_free(&e->reply);
    for (size_t i = 0; i < e->nfindings; i++)
        free(e->findings[i].message);
    free(e->findings);
    buf_free(&e->reason);
}

void case_result_free(struct case_result *r)
{
    for (size_t i = 0; i < r->nex; i++)
        exchange_free(&r->ex[i]);
    free(r->ex);
    free(r->reason);
    free(r->tls);
    r->tls = NULL;
    r->ex = NULL;
    r->nex = 0;
    r->reason = NULL;
}

void server_info_free(struct server_info *s)
{
    free(s->connect_error);
    buf_free(&s->greeting);
    buf_free(&s->ehlo);
    free(s->keywords);
    free(s->tls);
    free(s->tls_error);
    buf_free(&s->tls_ehlo);
    free(s->tls_keywords);
}
