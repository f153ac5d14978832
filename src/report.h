/* report.h - the run as a whole, and the three ways it is written out:
 * JSON (report_json.c), JUnit XML (report_junit.c), the terminal
 * summary (report_text.c). */
#ifndef SMTPSPEC_REPORT_H
#define SMTPSPEC_REPORT_H

#include <stdio.h>

#include "result.h"
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
    int incomplete;             /* --max-time cut the run short */
};

/* Counts verdicts into r->count. */
void report_count(struct run_report *r);

/* Each writer returns 0, or -1 with a message in err.  Files are written
 * atomically (temporary file in the same directory, then rename). */
int report_json_write(const struct run_report *r, const char *path, char *err, size_t errlen);
int report_junit_write(const struct run_report *r, const char *path, char *err, size_t errlen);
void report_text(const struct run_report *r, FILE *out, int color);

/* Can write_file_atomic write path?  It must not be empty, a directory or
 * another non-regular file, and a file must be creatable beside it (one is
 * created and removed).  Returns 0, or -1 with the reason in err. */
int check_writable(const char *path, char *err, size_t errlen);

/* Writes data to path atomically.  Returns 0 or -1 with err set. */
int write_file_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen);

#endif
