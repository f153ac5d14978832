/* output.h - the reports as the run goes: cases are handed over as they
 * finish, in any order and from any thread; they are written in report
 * order to the JSON and JUnit streams and then retired, so that a run's
 * memory does not grow with the bytes the server sends. */
#ifndef SMTPSPEC_OUTPUT_H
#define SMTPSPEC_OUTPUT_H

#include <stddef.h>

#include "report.h"

struct output;

/* The reports asked for; a NULL path: none. */
struct output_files {
    const char *json;
    const char *junit;
    const char *html;           /* rendered from the JSON report at the end */
    int strict;
    const struct baseline *baseline;    /* --baseline, or NULL */
};

/* Opens the reports.  results[0..n) are the run's, filled by the runner.
 * Returns 0 and sets *out (freed by output_finish or output_abort), or -1
 * with a message in err. */
int output_open(const struct output_files *files, struct case_result *results, size_t n,
                struct output **out, char *err, size_t errlen);

/* results[i] is final (run_config.case_done; ctx is the struct output). */
void output_case_done(void *ctx, size_t i);

/* Writes what is left from r and puts the reports in place.  Returns 0,
 * or -1 with the first error in err. */
int output_finish(struct output *o, const struct run_report *r, char *err, size_t errlen);
void output_abort(struct output *o);

#endif
