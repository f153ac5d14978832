/* output.c - streams finished cases to the reports in report order. */
#include "output.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct output {
    struct json_stream *json;
    struct junit_stream *junit;
    struct case_result *results;
    unsigned char *done;        /* done[i]: results[i] is final */
    size_t n;
    size_t next;                /* the first case not yet written */
    int failed;                 /* a write failed; the report is dropped at the end */
    pthread_mutex_t lock;
};

int output_open(const char *json_path, const char *junit_path, int strict,
                struct case_result *results, size_t n, struct output **out,
                char *err, size_t errlen)
{
    struct output *o = calloc(1, sizeof *o);
    *out = NULL;
    if (!o || !(o->done = calloc(n ? n : 1, 1))) {
        free(o);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    o->results = results;
    o->n = n;
    pthread_mutex_init(&o->lock, NULL);
    if ((json_path && json_stream_open(json_path, &o->json, err, errlen) != 0) ||
        (junit_path && junit_stream_open(junit_path, strict, &o->junit, err, errlen) != 0)) {
        output_abort(o);
        return -1;
    }
    *out = o;
    return 0;
}

/* Writes and retires every case from o->next on that is final. */
static void flush_ready(struct output *o)
{
    for (; o->next < o->n && o->done[o->next]; o->next++) {
        struct case_result *c = &o->results[o->next];
        if (o->json && json_stream_case(o->json, c) != 0)
            o->failed = 1;
        if (o->junit && junit_stream_case(o->junit, c) != 0)
            o->failed = 1;
        case_result_retire(c);
    }
}

void output_case_done(void *ctx, size_t i)
{
    struct output *o = ctx;
    pthread_mutex_lock(&o->lock);
    if (i < o->n)
        o->done[i] = 1;
    flush_ready(o);
    pthread_mutex_unlock(&o->lock);
}

int output_finish(struct output *o, const struct run_report *r, char *err, size_t errlen)
{
    int rc = 0;
    char e2[512];
    for (size_t i = o->next; i < o->n; i++)
        o->done[i] = 1;     /* the runner has returned: every result is final */
    flush_ready(o);
    if (o->failed) {    /* a report without every case would mislead: none */
        snprintf(err, errlen, "a case could not be written to the reports (out of memory "
                 "or a write error); no report was written");
        output_abort(o);
        return -1;
    }
    if (o->json && json_stream_finish(o->json, r, e2, sizeof e2) != 0 && rc == 0) {
        snprintf(err, errlen, "%s", e2);
        rc = -1;
    }
    if (o->junit && junit_stream_finish(o->junit, r, e2, sizeof e2) != 0 && rc == 0) {
        snprintf(err, errlen, "%s", e2);
        rc = -1;
    }
    o->json = NULL;
    o->junit = NULL;
    output_abort(o);
    return rc;
}

void output_abort(struct output *o)
{
    if (!o)
        return;
    json_stream_abort(o->json);
    junit_stream_abort(o->junit);
    pthread_mutex_destroy(&o->lock);
    free(o->done);
    free(o);
}
