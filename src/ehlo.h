/* ehlo.h - checks of reply *content* that the code table cannot express:
 * the greeting's domain, the EHLO response (keyword grammar, IANA
 * registry, parameters), and that a HELO reply is not EHLO-style.
 * Pure functions over a parsed reply; findings go to a callback. */
#ifndef SMTPSPEC_EHLO_H
#define SMTPSPEC_EHLO_H

#include "reply.h"

/* Called once per finding: rule is the catalog id of the rule the reply
 * breaks, or NULL for a note that is reported but not judged. */
typedef void (*check_report_fn)(void *ctx, const char *rule, const char *msg);

enum content_check {
    CHECK_GREETING = 0,     /* "220 " (Domain / address-literal) ... */
    CHECK_EHLO_DOMAIN,      /* first EHLO line starts with a Domain */
    CHECK_EHLO_KEYWORDS,    /* ehlo-keyword / ehlo-param grammar */
    CHECK_EHLO_REGISTRY,    /* non-X keywords are registered */
    CHECK_EHLO_DUPLICATES,  /* a keyword listed twice (noted, not judged) */
    CHECK_EHLO_PARAMS,      /* SIZE, AUTH and no-parameter keywords */
    CHECK_HELO_REPLY,       /* HELO reply is not an extended response */
    CHECK_NO_STARTTLS,      /* an EHLO reply over TLS does not list STARTTLS */
    CHECK_AUTH_PLAINTEXT,   /* a plaintext EHLO reply offers no AUTH PLAIN or LOGIN */
    CHECK_COUNT
};

/* Formats a finding and hands it to fn (for the checks in other modules). */
void content_report(check_report_fn fn, void *ctx, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "greeting", "ehlo-domain", ... -> the check, or -1. */
int content_check_parse(const char *name);
const char *content_check_name(enum content_check c);

/* Runs check c on reply r (which must be a 2yz reply for the EHLO and
 * HELO checks; other replies are not judged). */
void content_check_run(enum content_check c, const struct reply *r,
                       check_report_fn report, void *ctx);

/* The i-th id of the rules the checks may cite, or NULL past the last. */
const char *content_check_rule(size_t i);

/* The registered EHLO keyword that advertises command verb ("HELP" for
 * HELP, "CHUNKING" for BDAT), or NULL when no keyword names it. */
const char *ehlo_keyword_for_verb(const char *verb);

/* The RFC that registers keyword kw ("RFC 3207"), or NULL. */
const char *ehlo_registered(const char *kw, size_t len);

#endif
