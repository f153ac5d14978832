/* judge.h - verdicts.  Every function here is a pure judgement of one
 * exchange in its context against the rule catalog: it adds findings to
 * the exchange, each citing the rule it breaks, and does no I/O.  The
 * runner decides *when* to judge; only this module (with the code table,
 * the reply parser and the content checks it consults) knows *which rule*
 * applies. */
#ifndef SMTPSPEC_JUDGE_H
#define SMTPSPEC_JUDGE_H

#include <stddef.h>

#include "codes.h"
#include "result.h"
#include "rules.h"
#include "suite.h"
#include "tls.h"

struct judge_ctx {
    const struct catalog *cat;
    enum profile profile;
    int refused;                /* the refusing greeting, 554 or 521; else 0 */
    int tls_active;             /* a TLS session is active (smtps or after STARTTLS) */
    const char *close_permitted;/* the case's close-permitted reason, or NULL */
    const char *codes_not_judged;/* the case's codes-not-judged reason, or NULL */
    const struct case_result *so_far;   /* the case's exchanges until now, or NULL */
    const char *keywords;       /* discovery EHLO keywords, may be NULL */
    int extended;               /* this connection's EHLO got 250 (no HELO since) */
};

/* A complete reply: its syntax, then its code against the code table,
 * then (after a 250 to EHLO) whether a command the EHLO reply advertised
 * was answered 500 or 502.  A 421 makes the exchange an error
 * (inconclusive), never a failure. */
void judge_reply(const struct judge_ctx *j, struct exchange *ex);

/* expect CODES RULE: the reply's code is in the step's set.  A 530 that
 * an advertised extension explains (authentication or TLS required) is a
 * policy refusal: the case cannot judge the command (skip). */
void judge_expect(const struct judge_ctx *j, struct exchange *ex, const struct step *st);

/* The server closed the connection at ex, before any QUIT and without a
 * 421.  replied: ex had its reply, and the close came after it.  Not a
 * finding after a 521 greeting (RFC 7504 §3 lets the server close), in a
 * case whose probe a server may take for an attack (close-permitted), or
 * once the replies are out of step with the commands (ex or an earlier
 * exchange got more than one reply): what the server then answers is no
 * longer what it was asked. */
void judge_close(const struct judge_ctx *j, struct exchange *ex, int replied);

/* n more bytes came after ex's complete reply to a single command line. */
void judge_extra_reply(const struct judge_ctx *j, struct exchange *ex, size_t n);

/* expect-close RULE: the server did not close within timeout_ms. */
void judge_not_closed(const struct judge_ctx *j, struct exchange *ex,
                      const struct step *st, long timeout_ms);

/* expect-keyword KW RULE: advertised is whether the EHLO reply lists KW. */
void judge_keyword(const struct judge_ctx *j, struct exchange *ex, const struct step *st,
                   int advertised);

/* expect-no-more RULE: n more bytes (a further reply) came after ex's
 * reply, where the case expects none; written: bytes the case wrote since
 * that reply (a chunk not yet complete), 0 when none. */
void judge_no_more(const struct judge_ctx *j, struct exchange *ex, const struct step *st,
                   size_t n, size_t written);

/* read CMD RULE: no reply came within timeout_ms (the connection stayed
 * open). */
void judge_no_reply(const struct judge_ctx *j, struct exchange *ex, const struct step *st,
                    long timeout_ms);

/* expect-silence SECS RULE: after message data that must not end the
 * data, ex got a reply (or, without one, a close) within timeout_ms.  A
 * 2yz reply breaks RULE: the server took the data as ended and accepted
 * it.  Anything else is the server refusing the data: a note. */
void judge_silence_broken(const struct judge_ctx *j, struct exchange *ex,
                          const struct step *st, long timeout_ms);

/* expect-same-code [RULE]: ex's reply code against prev's.  A difference
 * breaks RULE, or is a note when the step has none. */
void judge_same_code(const struct judge_ctx *j, struct exchange *ex,
                     const struct exchange *prev, const struct step *st);

/* expect-within SECS RULE: the reply's elapsed time. */
void judge_within(const struct judge_ctx *j, struct exchange *ex, const struct step *st);

/* starttls RULE: the handshake after ex (STARTTLS, answered 220) failed
 * for the reason why (OpenSSL's text). */
void judge_handshake_failed(const struct judge_ctx *j, struct exchange *ex,
                            const struct step *st, const char *why);

/* The certificate a handshake showed, as verified against the trusted
 * CAs and the target's name.  implicit: smtps:// (RFC 8314), where an
 * invalid certificate breaks a rule; after STARTTLS it is only a note. */
void judge_certificate(const struct judge_ctx *j, struct exchange *ex,
                       const struct tls_facts *f, int implicit);

/* check NAME: a content check of ex's reply. */
void judge_content(const struct judge_ctx *j, struct exchange *ex, int check);

/* Are the rules the built-in checks cite (reply syntax, code table,
 * closes, content checks) all in cat?  0, or -1 with a message in err. */
int judge_check_catalog(const struct catalog *cat, char *err, size_t errlen);

#endif
