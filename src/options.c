/* options.c - command-line parsing; every option is described in
 * doc/smtpspec.usage (--help and the man page) and in README.md. */
#include "options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    O_SUITE = 256, O_CASE, O_LIST, O_LIST_CODES, O_JSON, O_JUNIT, O_HELO,
    O_MAIL_FROM, O_RCPT, O_TIMEOUT, O_CONNECT_TIMEOUT, O_PROFILE, O_STRICT,
    O_NO_COLOR, O_INSECURE, O_STARTTLS, O_CACERT, O_SUITES_DIR, O_MAX_LINE, O_MAX_REPLY, O_VERSION,
    O_RULES_DIR, O_LIST_RULES, O_DOMAIN, O_MAX_CONNECT_FAILURES, O_MAX_TIME,
    O_CASE_TIME, O_RETRIES, O_RETRY_DELAY, O_AUTH_USER, O_AUTH_PASS, O_EXCLUDE, O_BASELINE, O_WRITE_BASELINE, O_HTML,
    O_RELAY_FROM, O_RELAY_TO
};

static const struct option longopts[] = {
    { "suite", required_argument, NULL, O_SUITE },
    { "case", required_argument, NULL, O_CASE },
    { "exclude", required_argument, NULL, O_EXCLUDE },
    { "suites-dir", required_argument, NULL, O_SUITES_DIR },
    { "list", no_argument, NULL, O_LIST },
    { "list-codes", no_argument, NULL, O_LIST_CODES },
    { "rules-dir", required_argument, NULL, O_RULES_DIR },
    { "list-rules", no_argument, NULL, O_LIST_RULES },
    { "domain", required_argument, NULL, O_DOMAIN },
    { "max-connect-failures", required_argument, NULL, O_MAX_CONNECT_FAILURES },
    { "max-time", required_argument, NULL, O_MAX_TIME },
    { "case-time", required_argument, NULL, O_CASE_TIME },
    { "retries", required_argument, NULL, O_RETRIES },
    { "retry-delay", required_argument, NULL, O_RETRY_DELAY },
    { "json", required_argument, NULL, O_JSON },
    { "baseline", required_argument, NULL, O_BASELINE },
    { "write-baseline", required_argument, NULL, O_WRITE_BASELINE },
    { "junit", required_argument, NULL, O_JUNIT },
    { "html", required_argument, NULL, O_HTML },
    { "quiet", no_argument, NULL, 'q' },
    { "helo", required_argument, NULL, O_HELO },
    { "mail-from", required_argument, NULL, O_MAIL_FROM },
    { "rcpt", required_argument, NULL, O_RCPT },
    { "auth-user", required_argument, NULL, O_AUTH_USER },
    { "relay-from", required_argument, NULL, O_RELAY_FROM },
    { "relay-to", required_argument, NULL, O_RELAY_TO },
    { "auth-pass", required_argument, NULL, O_AUTH_PASS },
    { "timeout", required_argument, NULL, O_TIMEOUT },
    { "connect-timeout", required_argument, NULL, O_CONNECT_TIMEOUT },
    { "profile", required_argument, NULL, O_PROFILE },
    { "strict", no_argument, NULL, O_STRICT },
    { "jobs", required_argument, NULL, 'j' },
    { "verbose", no_argument, NULL, 'v' },
    { "no-color", no_argument, NULL, O_NO_COLOR },
    { "insecure", no_argument, NULL, O_INSECURE },
    { "starttls", no_argument, NULL, O_STARTTLS },
    { "cacert", required_argument, NULL, O_CACERT },
    { "max-line", required_argument, NULL, O_MAX_LINE },
    { "max-reply", required_argument, NULL, O_MAX_REPLY },
    { "version", no_argument, NULL, O_VERSION },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* The text comes from doc/smtpspec.usage, as the man page does. */
#include "usage.h"

void options_usage(FILE *out)
{
    fputs(usage_text, out);
}

static int bad(char *err, size_t errlen, const char *fmt, const char *arg)
{
    snprintf(err, errlen, fmt, arg);
    return -1;
}

/* Seconds (decimal allowed) to milliseconds. */
static int parse_secs(const char *s, long *ms)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !(v > 0) || v > 86400)
        return -1;
    *ms = (long)(v * 1000 + 0.5);
    if (*ms < 1)
        *ms = 1;
    return 0;
}

static int parse_size(const char *s, size_t lo, size_t hi, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = (size_t)v;
    return 0;
}

/* Values that go into command lines: no line breaks or NUL, bounded. */
static int check_value(const char *opt, const char *v, size_t max, char *err, size_t errlen)
{
    if (!*v || strlen(v) > max || strpbrk(v, "\r\n")) {
        snprintf(err, errlen, "%s: must be 1..%zu characters without line breaks", opt, max);
        return -1;
    }
    return 0;
}

/* --relay-from/--relay-to: one mailbox, local@domain, as RCPT and MAIL
 * take it between the angle brackets. */
static int check_mailbox(const char *opt, const char *v, char *err, size_t errlen)
{
    const char *at = strrchr(v, '@');
    if (check_value(opt, v, 254, err, errlen) != 0)
        return -1;
    if (!at || at == v || !at[1] || strpbrk(v, " \t<>")) {
        snprintf(err, errlen, "%s: \"%s\" is not a mailbox (local-part@domain, without "
                 "<> or spaces)", opt, v);
        return -1;
    }
    return 0;
}

static int push(const char **list, size_t *n, const char *v, const char *opt,
                char *err, size_t errlen)
{
    if (*n >= OPT_MAX_LIST)
        return bad(err, errlen, "%s: given too many times", opt);
    list[(*n)++] = v;
    return 0;
}

static int one_option(int c, const char *arg, struct options *o, char *err, size_t errlen)
{
    size_t sz;
    switch (c) {
    case O_SUITE: return push(o->suites, &o->nsuites, arg, "--suite", err, errlen);
    case O_CASE: return push(o->cases, &o->ncases, arg, "--case", err, errlen);
    case O_EXCLUDE: return push(o->excludes, &o->nexcludes, arg, "--exclude", err, errlen);
    case O_BASELINE: o->baseline = arg; return 0;
    case O_WRITE_BASELINE: o->write_baseline = arg; return 0;
    case O_SUITES_DIR: o->suites_dir = arg; return 0;
    case O_LIST: o->list = 1; return 0;
    case O_LIST_CODES: o->list_codes = 1; return 0;
    case O_RULES_DIR: o->rules_dir = arg; return 0;
    case O_LIST_RULES: o->list_rules = 1; return 0;
    case O_MAX_TIME:
        return parse_secs(arg, &o->max_time_ms) ? bad(err, errlen,
               "--max-time: \"%s\" is not a number of seconds (0 < s <= 86400)", arg) : 0;
    case O_CASE_TIME:
        return parse_secs(arg, &o->case_time_ms) ? bad(err, errlen,
               "--case-time: \"%s\" is not a number of seconds (0 < s <= 86400)", arg) : 0;
    case O_RETRY_DELAY:
        return parse_secs(arg, &o->retry_delay_ms) ? bad(err, errlen,
               "--retry-delay: \"%s\" is not a number of seconds (0 < s <= 86400)", arg) : 0;
    case O_RETRIES:
        if (parse_size(arg, 0, 10, &sz) != 0)
            return bad(err, errlen, "--retries: \"%s\" is not a number from 0 to 10", arg);
        o->retries = (int)sz;
        return 0;
    case O_MAX_CONNECT_FAILURES:
        if (parse_size(arg, 0, 1000, &sz) != 0)
            return bad(err, errlen, "--max-connect-failures: \"%s\" is not a number from 0 "
                       "to 1000", arg);
        o->max_connect_failures = (int)sz;
        return 0;
    case O_DOMAIN: o->domain = arg; return check_value("--domain", arg, 255, err, errlen);
    case O_JSON: o->json_path = arg; return 0;
    case O_JUNIT: o->junit_path = arg; return 0;
    case O_HTML: o->html_path = arg; return 0;
    case 'q': o->quiet = 1; return 0;
    case O_HELO: o->helo = arg; return check_value("--helo", arg, 255, err, errlen);
    case O_MAIL_FROM:
        o->mail_from = arg;
        return check_value("--mail-from", arg, 254, err, errlen);
    case O_RCPT:
        if (o->nrcpt == 2)
            return bad(err, errlen, "%s: given more than twice", "--rcpt");
        o->rcpt[o->nrcpt++] = arg;
        return check_value("--rcpt", arg, 254, err, errlen);
    case O_RELAY_FROM: o->relay_from = arg; return check_mailbox("--relay-from", arg, err, errlen);
    case O_RELAY_TO: o->relay_to = arg; return check_mailbox("--relay-to", arg, err, errlen);
    case O_AUTH_USER: o->auth_user = arg; return check_value("--auth-user", arg, 255, err, errlen);
    case O_AUTH_PASS: o->auth_pass = arg; return check_value("--auth-pass", arg, 255, err, errlen);
    case O_TIMEOUT:
        return parse_secs(arg, &o->timeout_ms) ? bad(err, errlen,
               "--timeout: \"%s\" is not a number of seconds (0 < s <= 86400)", arg) : 0;
    case O_CONNECT_TIMEOUT:
        return parse_secs(arg, &o->connect_timeout_ms) ? bad(err, errlen,
               "--connect-timeout: \"%s\" is not a number of seconds", arg) : 0;
    case O_PROFILE: {
        int p = profile_parse(arg);
        if (p < 0)
            return bad(err, errlen, "--profile: \"%s\" is not rfc5321 or rfc821", arg);
        o->profile = (enum profile)p;
        return 0;
    }
    case O_STRICT: o->strict = 1; return 0;
    case 'j':
        if (parse_size(arg, 1, 64, &sz) != 0)
            return bad(err, errlen, "--jobs: \"%s\" is not a number from 1 to 64", arg);
        o->jobs = (int)sz;
        return 0;
    case 'v': o->verbose = 1; return 0;
    case O_NO_COLOR: o->color = 0; return 0;
    case O_INSECURE: o->insecure = 1; return 0;
    case O_STARTTLS: o->starttls = 1; return 0;
    case O_CACERT:
        o->cacert = arg;
        return *arg ? 0 : bad(err, errlen, "%s", "--cacert: empty file name");
    case O_MAX_LINE:
        return parse_size(arg, 512, 1u << 24, &o->max_line) ? bad(err, errlen,
               "--max-line: \"%s\" is not a size from 512 to 16777216", arg) : 0;
    case O_MAX_REPLY:
        return parse_size(arg, 512, 1u << 26, &o->max_reply) ? bad(err, errlen,
               "--max-reply: \"%s\" is not a size from 512 to 67108864", arg) : 0;
    case O_VERSION: o->version = 1; return 0;
    case 'h': o->help = 1; return 0;
    default: return bad(err, errlen, "%s", "unknown option (see --help)");
    }
}

int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
    int c;
    memset(o, 0, sizeof *o);
    o->helo = "smtpspec.invalid";
    o->mail_from = "smtpspec@smtpspec.invalid";
    o->relay_from = "smtpspec-relay@example.com";   /* RFC 2606: reserved, nobody's */
    o->relay_to = "smtpspec-relay@example.net";
    o->connect_timeout_ms = 30000;
    o->profile = PROFILE_RFC5321;
    o->jobs = 1;
    o->max_connect_failures = 3;
    o->retries = 3;
    o->retry_delay_ms = 1000;
    o->color = -1;
    o->max_line = 8192;
    o->max_reply = 262144;
    opterr = 0;
    optind = 0;     /* 0, not 1: glibc then also forgets a half-read "-xyz" */
    while ((c = getopt_long(argc, argv, ":j:qvh", longopts, NULL)) != -1) {
        if (c == '?' || c == ':') {
            /* a short option is named by optopt; a long one by its word */
            char name[64];
            if (optopt > 0 && optopt < 256)
                snprintf(name, sizeof name, "-%c", optopt);
            else
                snprintf(name, sizeof name, "%s", argv[optind - 1]);
            snprintf(err, errlen, c == '?' ? "unknown option \"%s\" (see --help)"
                                           : "option \"%s\" needs a value", name);
            return -1;
        }
        if (one_option(c, optarg, o, err, errlen) != 0)
            return -1;
    }
    if (o->help || o->version || o->list || o->list_codes || o->list_rules) {
        if (optind < argc && !(o->list && optind + 1 == argc))
            return bad(err, errlen, "unexpected argument \"%s\"", argv[optind]);
        return 0;
    }
    if (optind == argc)
        return bad(err, errlen, "%s", "missing TARGET (see --help)");
    if (optind + 1 < argc)
        return bad(err, errlen, "unexpected argument \"%s\"", argv[optind + 1]);
    o->target = argv[optind];
    if (!o->auth_user != !o->auth_pass)
        return bad(err, errlen, "%s", "--auth-user and --auth-pass go together");
    if (o->max_reply < o->max_line)
        o->max_reply = o->max_line;
    return 0;
}
