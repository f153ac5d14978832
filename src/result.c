/* result.c - releasing results. */
#include "result.h"

#include <stdlib.h>

void exchange_free(struct exchange *e)
{
    free(e->table_cmd);
    buf_free(&e->sent);
    buf_free(&e->received);
    if (e->has_reply)
        reply_free(&e->reply);
    buf_free(&e->reason);
}

void case_result_free(struct case_result *r)
{
    for (size_t i = 0; i < r->nex; i++)
        exchange_free(&r->ex[i]);
    free(r->ex);
    free(r->reason);
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
}
