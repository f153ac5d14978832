/* progress.h - the one-line status a run shows on a terminal: cases done
 * of all, the verdicts so far (fail, warn, info: the cases with such
 * findings, counted as the summary counts them), and the case that has
 * been running longest.
 * It is redrawn in place from its own thread and erased at the end. */
#ifndef SMTPSPEC_PROGRESS_H
#define SMTPSPEC_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

#include "result.h"

struct progress;

/* Should a run show it?  Only when fd is a terminal, TERM is not "dumb",
 * CI is unset (CI logs are not terminals to redraw), and neither --quiet
 * nor --verbose (whose transcript shares stderr) is given. */
int progress_wanted(int fd, int quiet, int verbose);

/* Starts drawing on out for the n cases; NULL when it cannot (the run
 * goes on without).  progress_stop erases the line and frees it. */
struct progress *progress_start(FILE *out, const struct casedef *const *cases, size_t n);
void progress_case_start(struct progress *p, size_t i);
/* r is case i's final result. */
void progress_case_done(struct progress *p, size_t i, const struct case_result *r);
void progress_stop(struct progress *p);

#endif
