/* runner.h - runs cases against the target: one connection per case,
 * every reply checked against the code table and the case's expectations. */
#ifndef SMTPSPEC_RUNNER_H
#define SMTPSPEC_RUNNER_H

#include <stdio.h>

#include "codes.h"
#include "result.h"
#include "rules.h"
#include "session.h"
#include "suite.h"
#include "transport.h"

struct run_config {
    struct conn_opts conn;
    enum profile profile;
    struct vars vars;           /* ${helo}, ${mail_from}, ... */
    long timeout_ms;            /* per reply; 0 = RFC 5321 §4.5.3.2 / 10 */
    struct session_limits limits;
    int jobs;                   /* cases run at once */
    int max_connect_failures;   /* stop after this many failed connections in a row; 0: never */
    long long deadline_ms;      /* clock_ms() when --max-time is up; 0: none */
    FILE *transcript;           /* live transcript (-v), or NULL */
    const struct catalog *catalog;  /* the rules every verdict cites */
};

/* The per-reply timeout used for table command cmd, in ms, cut to what is
 * left of --max-time. */
long runner_timeout_ms(const struct run_config *cfg, const char *cmd);

/* Is --max-time up? */
int runner_out_of_time(const struct run_config *cfg);

/* Connects once, reads the greeting and the EHLO reply, says QUIT.
 * Fills *info (freed with server_info_free). */
void runner_discover(const struct run_config *cfg, struct server_info *info);

/* Runs n cases, cfg->jobs at a time; results[i] belongs to cases[i] and
 * is freed by the caller with case_result_free.  Returns 0, or -1 when
 * threads could not be started (the cases then run one by one). */
int runner_run(const struct run_config *cfg, const struct server_info *info,
               const struct casedef *const *cases, size_t n,
               struct case_result *results);

#endif
