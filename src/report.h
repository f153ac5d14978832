/* report.h - the run as a whole, and the three ways it is written out:
 * JSON (report_json.c), JUnit XML (report_junit.c), the terminal
 * summary (report_text.c). */
#ifndef SMTPSPEC_REPORT_H
#define SMTPSPEC_REPORT_H

#include <stdio.h>

#include "result.h"
#include "baseline.h"
#include "runner.h"

struct run_report {
    const char *target_url;     /* as the user gave it, normalised */
    const char *host;
    int port;
    int tls;
    enum profile profile;
    char started[32];           /* ISO 8601 UTC */
    long duration_ms;
    int strict;
    const struct run_config *cfg;
    const struct server_info *server;
    const struct case_result *cases;
    size_t ncases;
    size_t count[V_COUNT];
    const char *stopped_by;     /* "max-time", "SIGINT", "SIGTERM"; NULL: complete */
    struct run_stats stats;     /* what the 421 backoff did */
    const struct baseline *baseline;  /* --baseline (entries marked seen), or NULL */
    size_t new_count[V_COUNT];  /* with a baseline: findings not in it, per verdict */
};

/* Counts verdicts into r->count. */
void report_count(struct run_report *r);

/* Each writer returns 0, or -1 with a message in err.  Files are written
 * atomically (temporary file in the same directory, then rename). */
int report_json_write(const struct run_report *r, const char *path, char *err, size_t errlen);
int report_junit_write(const struct run_report *r, const char *path, char *err, size_t errlen);

/* The same, case by case as the run goes: open, one call per case in
 * report order, then finish (which writes the rest from r, whose cases
 * may be retired by then, and renames the file into place) or abort.
 * finish and abort free the stream. */
struct json_stream;
int json_stream_open(const char *path, struct json_stream **out, char *err, size_t errlen);
int json_stream_case(struct json_stream *s, const struct case_result *c);
int json_stream_finish(struct json_stream *s, const struct run_report *r, char *err,
                       size_t errlen);
void json_stream_abort(struct json_stream *s);

struct junit_stream;
int junit_stream_open(const char *path, int strict, const struct baseline *baseline,
                      struct junit_stream **out, char *err, size_t errlen);
int junit_stream_case(struct junit_stream *s, const struct case_result *c);
int junit_stream_finish(struct junit_stream *s, const struct run_report *r, char *err,
                        size_t errlen);
void junit_stream_abort(struct junit_stream *s);
/* The terminal summary; quiet: the totals (and baseline) lines only. */
void report_text(const struct run_report *r, FILE *out, int color, int quiet);

/* Can write_file_atomic write path?  It must not be empty, a directory or
 * another non-regular file, and a file must be creatable beside it (one is
 * created and removed).  Returns 0, or -1 with the reason in err. */
int check_writable(const char *path, char *err, size_t errlen);

/* Writes data to path atomically.  Returns 0 or -1 with err set. */
int write_file_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen);

/* A file written bit by bit into a temporary file beside path, which
 * atomic_commit renames into place (and atomic_abort removes).  Both free
 * a.  atomic_unlink_all removes every temporary file still open; it is
 * async-signal-safe. */
struct atomic_file;
int atomic_open(const char *path, struct atomic_file **a, char *err, size_t errlen);
FILE *atomic_stream(struct atomic_file *a);
int atomic_commit(struct atomic_file *a, char *err, size_t errlen);
void atomic_abort(struct atomic_file *a);
void atomic_unlink_all(void);

#endif
