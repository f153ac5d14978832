/* options.h - the command line. */
#ifndef SMTPSPEC_OPTIONS_H
#define SMTPSPEC_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "codes.h"

#define OPT_MAX_LIST 64

struct options {
    const char *target;             /* NULL with --list */
    const char *suites[OPT_MAX_LIST];
    size_t nsuites;
    const char *cases[OPT_MAX_LIST]; /* globs */
    size_t ncases;
    const char *excludes[OPT_MAX_LIST]; /* --exclude globs */
    size_t nexcludes;
    const char *suites_dir;
    const char *rules_dir;          /* NULL: RULES_DIR, else the source tree's */
    const char *json_path;
    const char *junit_path;
    const char *html_path;
    const char *baseline;           /* --baseline FILE, or NULL */
    const char *write_baseline;     /* --write-baseline FILE, or NULL */
    const char *helo;
    const char *mail_from;
    const char *domain;             /* ${domain}; NULL: from the target */
    const char *rcpt[2];
    const char *relay_from;         /* the open-relay probes' sender and recipient */
    const char *relay_to;
    const char *auth_user;          /* --auth-user / --auth-pass, or NULL */
    const char *auth_pass;
    size_t nrcpt;
    long timeout_ms;                /* 0 = per-command defaults */
    long connect_timeout_ms;
    long max_time_ms;               /* --max-time; 0 = none */
    long case_time_ms;              /* --case-time; 0 = 4 x the longest reply timeout */
    int retries;                    /* after a 421 greeting */
    long retry_delay_ms;
    enum profile profile;
    int strict;
    int jobs;
    int max_connect_failures;       /* circuit breaker; 0 = never */
    int verbose;
    int quiet;                      /* -q: no progress line, totals only */
    int color;                      /* -1 auto, 0 off */
    int insecure;
    int starttls;                   /* --starttls: every case over TLS */
    const char *cacert;             /* --cacert FILE, or NULL */
    size_t max_line;
    size_t max_reply;
    int list;
    int list_codes;
    int list_rules;
    int help;
    int version;
};

/* Parses argv.  Returns 0, or -1 with a message in err (exit status 2). */
int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen);
void options_usage(FILE *out);

#endif
