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

#define SECRETS_BASE64 4

struct run_config {
    struct conn_opts conn;
    int starttls;               /* --starttls: each case upgrades before its steps */
    /* Credentials (--auth-user/--auth-pass), masked in the transcript and
     * the reports: the first SECRETS_BASE64 in Base64, then the raw user
     * name and password; NULL entries are unused. */
    const char *secrets[6];
    enum profile profile;
    struct vars vars;           /* ${helo}, ${mail_from}, ... */
    long timeout_ms;            /* per reply; 0 = RFC 5321 §4.5.3.2 / 10 */
    struct session_limits limits;
    int jobs;                   /* cases run at once */
    int max_connect_failures;   /* stop after this many failed connections in a row; 0: never */
    long long deadline_ms;      /* clock_ms() when --max-time is up; 0: none */
    long case_time_ms;          /* one case, all its attempts included */
    int retries;                /* more attempts after a 421 greeting */
    long retry_delay_ms;        /* before the first of them; doubles */
    /* Called (from a worker thread) once results[i] is final; may be NULL. */
    void (*case_done)(void *ctx, size_t i);
    /* Called (from a worker thread) as case i starts; may be NULL. */
    void (*case_start)(void *ctx, size_t i);
    void *done_ctx;             /* ctx of both */
    FILE *transcript;           /* live transcript (-v), or NULL */
    const struct catalog *catalog;  /* the rules every verdict cites */
};

/* What the backoff did. */
struct run_stats {
    size_t greetings_421;       /* connections greeted with 421 */
    size_t retries;             /* attempts made again after one */
    int jobs;                   /* the concurrency the run ended with */
};

/* The per-reply timeout used for table command cmd, in ms, cut to what is
 * left of --max-time. */
long runner_timeout_ms(const struct run_config *cfg, const char *cmd);

/* Is --max-time up? */
int runner_out_of_time(const struct run_config *cfg);

/* Connects once, reads the greeting and the EHLO reply, says QUIT (again
 * after a delay while the greeting is 421).  Fills *info (freed with
 * server_info_free) and counts into *stats. */
void runner_discover(const struct run_config *cfg, struct server_info *info,
                     struct run_stats *stats);

/* Runs n cases, at most cfg->jobs at a time (fewer after 421 greetings);
 * results[i] belongs to cases[i] and is freed by the caller with
 * case_result_free.  A case greeted with 421 is tried again after
 * cfg->retry_delay_ms, doubling, at most cfg->retries times, within
 * cfg->case_time_ms.  Returns 0, or -1 when threads could not be started
 * (the cases then run one by one). */
int runner_run(const struct run_config *cfg, const struct server_info *info,
               const struct casedef *const *cases, size_t n,
               struct case_result *results, struct run_stats *stats);

#endif
