/* findings.c - grouping rule-citing findings into behaviours. */
#include "findings.h"

#include <stdlib.h>
#include <string.h>

static int reply_code(const struct exchange *e)
{
    return e->has_reply ? e->reply.code : -1;
}

static int same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static struct behaviour *find(struct behaviours *b, const struct rule *rule,
                              const char *cmd, int code, const char *advisory)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].rule == rule && b->v[i].code == code && strcmp(b->v[i].command, cmd) == 0 &&
            same_text(b->v[i].advisory, advisory))
            return &b->v[i];
    return NULL;
}

static int add_case(struct behaviour *h, const struct case_result *c)
{
    if (h->ncases && h->cases[h->ncases - 1] == c)
        return 0;   /* the same case saw it twice */
    const struct case_result **v = realloc(h->cases, (h->ncases + 1) * sizeof *v);
    if (!v)
        return -1;
    h->cases = v;
    v[h->ncases++] = c;
    return 0;
}

static int add(struct behaviours *b, const struct case_result *c, const struct exchange *e,
               const struct finding *f)
{
    const char *advisory = c->def->advisory;
    struct behaviour *h = find(b, f->rule, e->table_cmd, reply_code(e), advisory);
    if (!h) {
        struct behaviour *v = realloc(b->v, (b->n + 1) * sizeof *v);
        if (!v)
            return -1;
        b->v = v;
        h = &v[b->n++];
        *h = (struct behaviour){ .rule = f->rule, .verdict = f->verdict,
                                 .command = e->table_cmd, .code = reply_code(e),
                                 .example_case = c, .example = e, .message = f->message,
                                 .advisory = advisory, .fix = c->def->fix };
    }
    return add_case(h, c);
}

static int worst_first(const void *a, const void *b)
{
    const struct behaviour *x = a, *y = b;
    if (!x->advisory != !y->advisory)
        return x->advisory ? -1 : 1;
    if (x->verdict != y->verdict)
        return x->verdict > y->verdict ? -1 : 1;
    int r = strcmp(x->rule->id, y->rule->id);
    if (!r)
        r = strcmp(x->command, y->command);
    if (!r)
        r = x->code - y->code;
    return r || !x->advisory ? r : strcmp(x->advisory, y->advisory);
}

int behaviours_collect(const struct case_result *cases, size_t n, struct behaviours *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < cases[i].nex; j++) {
            const struct exchange *e = &cases[i].ex[j];
            for (size_t k = 0; k < e->nfindings; k++)
                if (e->findings[k].rule && add(out, &cases[i], e, &e->findings[k]) != 0) {
                    behaviours_free(out);
                    return -1;
                }
        }
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, worst_first);
    return 0;
}

void behaviours_free(struct behaviours *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->v[i].cases);
    free(b->v);
    b->v = NULL;
    b->n = 0;
}
