/* output.c - streams finished cases to the reports in report order. */
#include "output.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report_html.h"

struct output {
    struct json_stream *json;
    struct junit_stream *junit;
    struct case_result *results;
    unsigned char *done;        /* done[i]: results[i] is final */
    size_t n;
    size_t next;                /* the first case not yet written */
    int failed;                 /* a write failed; the report is dropped at the end */
    const char *html;           /* --html FILE, or NULL */
    char *json_path;            /* the JSON report the HTML is rendered from */
    int json_temp;              /* json_path is ours (--html without --json) */
    pthread_mutex_t lock;
};

/* --html without --json: the JSON report goes to a temporary file. */
static int temp_json(struct output *o, char *err, size_t errlen)
{
    const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    int fd = -1;
    o->json_path = xasprintf("%s/smtpspec-XXXXXX.json", dir);
    if (o->json_path)
        fd = mkstemps(o->json_path, 5);
    if (fd < 0) {
        snprintf(err, errlen, "--html: cannot create a temporary file in %s", dir);
        return -1;
    }
    close(fd);
    o->json_temp = 1;
    return 0;
}

int output_open(const struct output_files *files, struct case_result *results, size_t n,
                struct output **out, char *err, size_t errlen)
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
    o->html = files->html;
    if (files->json)
        o->json_path = strdup(files->json);
    else if (files->html && temp_json(o, err, errlen) != 0) {
        output_abort(o);
        return -1;
    }
    if ((o->json_path && json_stream_open(o->json_path, &o->json, err, errlen) != 0) ||
        (files->junit && junit_stream_open(files->junit, files->strict, files->baseline,
                                           &o->junit, err, errlen) != 0)) {
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

/* The HTML report, from the JSON report just written. */
static int render_html(const struct output *o, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_load_file(o->json_path, 0, &jerr);
    if (!root) {
        snprintf(err, errlen, "--html: cannot read back %s: %s", o->json_path, jerr.text);
        return -1;
    }
    int rc = report_html_write(root, o->html, err, errlen);
    json_decref(root);
    return rc;
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
    if (rc == 0 && o->html && render_html(o, e2, sizeof e2) != 0) {
        snprintf(err, errlen, "%s", e2);
        rc = -1;
    }
    output_abort(o);
    return rc;
}

void output_abort(struct output *o)
{
    if (!o)
        return;
    json_stream_abort(o->json);
    junit_stream_abort(o->junit);
    if (o->json_temp)
        unlink(o->json_path);
    free(o->json_path);
    pthread_mutex_destroy(&o->lock);
    free(o->done);
    free(o);
}
