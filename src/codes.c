/* codes.c - the reply-code table (RFC 5321 §4.3.2, the seeds, RFC 7504).
 *
 * One row per (command, code, profile).  A row applies to a reply when the
 * command matches (ANY matches every command except the greeting), the
 * profile matches, its context holds and, for extension rows, the
 * extension keyword was advertised in the EHLO reply.
 *
 * Sources:
 *   RFC 5321 §4.3.2       per-command sequences, plus "any SMTP command can
 *                         return 500, 501, 421"
 *   seed 000              000_3395cd3f3773d80b.txt: RFC 821-era table incl.
 *                         SEND, SOML, SAML, TURN, 200 (RFC 876), 521 (RFC 1846)
 *   seed 004              004_dc86c7ccf5c28e7f.txt: the RFC 2821 §4.3.2 list
 *   extension RFCs        the verbs STARTTLS (RFC 3207), AUTH (RFC 4954) and
 *                         BDAT (RFC 3030), and 530 to other commands.  The
 *                         codes SIZE (RFC 1870 §6.1, §6.4: 452, 552 to MAIL
 *                         and RCPT, 552 at the end of data), SMTPUTF8 (RFC
 *                         6531 §3.5: 550 to MAIL, 553 to RCPT, 554 at the end
 *                         of data; §3.7.4.2: 252, 550 to VRFY and EXPN) and
 *                         DSN (RFC 3461 §5.1: 501) name for base commands are
 *                         in RFC 5321's sets already; 8BITMIME (RFC 6152)
 *                         names none.  They get no rows of their own.
 *   not here: ETRN        RFC 1985 is not in rfc/ and nothing there lists
 *                         ETRN's codes, so ETRN stays UNKNOWN.
 *
 * The extension verbs are table commands whether or not the server
 * advertised their keyword, and their rows carry no keyword: a server may
 * recognize a verb it does not offer (454 "TLS not available"), and RFC
 * 5321 §4.2.4 wants 502 for a recognized, unimplemented command.  Mapping
 * an unadvertised STARTTLS to UNKNOWN instead would judge that 502 (or a
 * 454, or a 530 STARTTLS-first) by 5321-4.2.4-unrecognized-500, though the
 * server plainly recognized the verb; and it would need the EHLO keywords
 * in codes_command().  What an advertised extension adds to *other*
 * commands (530 to MAIL, to AUTH, ...) applies only when it was
 * advertised.
 */
#include "codes.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

#define ANY "*"
#define P5 (1u << PROFILE_RFC5321)
#define P8 (1u << PROFILE_RFC821)
#define PB (P5 | P8)

enum row_ctx {
    CTX_ALWAYS = 0,
    CTX_REFUSED,        /* only after a 554/521 greeting */
    CTX_TLS             /* only while a TLS session is active */
};

struct code_row {
    const char *cmd;
    int code;
    unsigned profiles;
    enum row_ctx ctx;
    const char *ext;    /* EHLO keyword the row depends on, or NULL */
    const char *source;
};

#define S4332 "RFC 5321 §4.3.2"
#define S4332ANY "RFC 5321 §4.3.2 (any command)"
#define SEED0 "seed 000 (RFC 821 table)"
#define SEED4 "seed 004 (RFC 2821 §4.3.2)"
#define F6 "seed 000; RFC 5321 App. F.6 (servers MAY implement)"
#define A530 "RFC 4954 §6 (authentication required)"
#define T530 "RFC 3207 §4 (STARTTLS first)"
#define TLS4 "RFC 3207 §4"
#define NOTIMPL "RFC 5321 §4.2.4 (recognized, not implemented)"
#define AUTH4 "RFC 4954 §4"
#define AUTH6 "RFC 4954 §6"
#define BDAT2 "RFC 3030 §2 (250, or an appropriate 4XX or 5XX)"

static const struct code_row rows[] = {
    /* Connection establishment */
    { CMD_GREETING, 220, PB, CTX_ALWAYS, NULL, S4332 },
    { CMD_GREETING, 554, PB, CTX_ALWAYS, NULL, S4332 " (no SMTP service here, §3.1)" },
    { CMD_GREETING, 521, PB, CTX_ALWAYS, NULL, "RFC 7504 §3 (host does not accept mail)" },
    { CMD_GREETING, 421, PB, CTX_ALWAYS, NULL, SEED0 "; RFC 5321 §3.8" },

    /* Any command (RFC 5321 §4.3.2, first paragraphs) */
    { ANY, 500, P5, CTX_ALWAYS, NULL, S4332ANY },
    { ANY, 501, P5, CTX_ALWAYS, NULL, S4332ANY },
    { ANY, 421, P5, CTX_ALWAYS, NULL, S4332ANY },
    /* After a 554 greeting the server SHOULD answer 503 (§3.1); after a
     * 521 greeting it MAY go on answering 521 (RFC 7504 §3). */
    { ANY, 503, PB, CTX_REFUSED, NULL, "RFC 5321 §3.1 (after a 554 greeting)" },
    { ANY, 521, PB, CTX_REFUSED, NULL, "RFC 7504 §3 (after a 521 greeting)" },

    /* EHLO or HELO */
    { "EHLO", 250, P5, CTX_ALWAYS, NULL, S4332 },
    { "EHLO", 504, P5, CTX_ALWAYS, NULL, S4332 },
    { "EHLO", 550, P5, CTX_ALWAYS, NULL, S4332 },
    { "EHLO", 502, P5, CTX_ALWAYS, NULL, S4332 " (old-style server without EHLO)" },
    { "HELO", 250, P5, CTX_ALWAYS, NULL, S4332 },
    { "HELO", 504, P5, CTX_ALWAYS, NULL, S4332 },
    { "HELO", 550, P5, CTX_ALWAYS, NULL, S4332 },
    { "HELO", 502, P5, CTX_ALWAYS, NULL, S4332 },

    /* MAIL */
    { "MAIL", 250, P5, CTX_ALWAYS, NULL, S4332 },
    { "MAIL", 552, P5, CTX_ALWAYS, NULL, S4332 },
    { "MAIL", 451, P5, CTX_ALWAYS, NULL, S4332 },
    { "MAIL", 452, P5, CTX_ALWAYS, NULL, S4332 },
    { "MAIL", 550, P5, CTX_ALWAYS, NULL, S4332 },
    { "MAIL", 553, P5, CTX_ALWAYS, NULL, S4332 },
    { "MAIL", 503, P5, CTX_ALWAYS, NULL, S4332 },
    { "MAIL", 455, P5, CTX_ALWAYS, NULL, S4332 },
    { "MAIL", 555, P5, CTX_ALWAYS, NULL, S4332 "; §4.1.1.11" },

    /* RCPT */
    { "RCPT", 250, P5, CTX_ALWAYS, NULL, S4332 },
    { "RCPT", 251, P5, CTX_ALWAYS, NULL, S4332 },
    { "RCPT", 550, P5, CTX_ALWAYS, NULL, S4332 },
    { "RCPT", 551, P5, CTX_ALWAYS, NULL, S4332 },
    { "RCPT", 552, P5, CTX_ALWAYS, NULL, S4332 },
    { "RCPT", 553, P5, CTX_ALWAYS, NULL, S4332 },
    { "RCPT", 450, P5, CTX_ALWAYS, NULL, S4332 },
    { "RCPT", 451, P5, CTX_ALWAYS, NULL, S4332 },
    { "RCPT", 452, P5, CTX_ALWAYS, NULL, S4332 },
    { "RCPT", 503, P5, CTX_ALWAYS, NULL, S4332 },
    { "RCPT", 455, P5, CTX_ALWAYS, NULL, S4332 },
    { "RCPT", 555, P5, CTX_ALWAYS, NULL, S4332 "; §4.1.1.11" },

    /* DATA: the intermediate 354 and the errors to the command itself */
    { "DATA", 354, P5, CTX_ALWAYS, NULL, S4332 },
    { "DATA", 503, P5, CTX_ALWAYS, NULL, S4332 },
    { "DATA", 554, P5, CTX_ALWAYS, NULL, S4332 },
    { "DATA", 451, P5, CTX_ALWAYS, NULL, SEED4 },

    /* The reply to the end of mail data */
    { CMD_END_OF_DATA, 250, P5, CTX_ALWAYS, NULL, S4332 },
    { CMD_END_OF_DATA, 552, P5, CTX_ALWAYS, NULL, S4332 },
    { CMD_END_OF_DATA, 554, P5, CTX_ALWAYS, NULL, S4332 },
    { CMD_END_OF_DATA, 451, P5, CTX_ALWAYS, NULL, S4332 },
    { CMD_END_OF_DATA, 452, P5, CTX_ALWAYS, NULL, S4332 },
    { CMD_END_OF_DATA, 450, P5, CTX_ALWAYS, NULL, S4332 " (policy)" },
    { CMD_END_OF_DATA, 550, P5, CTX_ALWAYS, NULL, S4332 " (policy)" },

    { "RSET", 250, P5, CTX_ALWAYS, NULL, S4332 },

    { "VRFY", 250, P5, CTX_ALWAYS, NULL, S4332 },
    { "VRFY", 251, P5, CTX_ALWAYS, NULL, S4332 },
    { "VRFY", 252, P5, CTX_ALWAYS, NULL, S4332 },
    { "VRFY", 550, P5, CTX_ALWAYS, NULL, S4332 },
    { "VRFY", 551, P5, CTX_ALWAYS, NULL, S4332 },
    { "VRFY", 553, P5, CTX_ALWAYS, NULL, S4332 },
    { "VRFY", 502, P5, CTX_ALWAYS, NULL, S4332 },
    { "VRFY", 504, P5, CTX_ALWAYS, NULL, S4332 },

    { "EXPN", 250, P5, CTX_ALWAYS, NULL, S4332 },
    { "EXPN", 252, P5, CTX_ALWAYS, NULL, S4332 },
    { "EXPN", 550, P5, CTX_ALWAYS, NULL, S4332 },
    { "EXPN", 500, P5, CTX_ALWAYS, NULL, S4332 },
    { "EXPN", 502, P5, CTX_ALWAYS, NULL, S4332 },
    { "EXPN", 504, P5, CTX_ALWAYS, NULL, S4332 },

    { "HELP", 211, P5, CTX_ALWAYS, NULL, S4332 },
    { "HELP", 214, P5, CTX_ALWAYS, NULL, S4332 },
    { "HELP", 502, P5, CTX_ALWAYS, NULL, S4332 },
    { "HELP", 504, P5, CTX_ALWAYS, NULL, S4332 },

    { "NOOP", 250, P5, CTX_ALWAYS, NULL, S4332 },

    { "QUIT", 221, P5, CTX_ALWAYS, NULL, S4332 },

    /* A verb the server does not know: 500 (§4.2.4), plus the any-command
     * codes above. */
    { CMD_UNKNOWN, 500, P5, CTX_ALWAYS, NULL, "RFC 5321 §4.2.4 (unrecognized command: 500)" },

    /* SEND, SOML, SAML: RFC 821 commands; RFC 5321 App. F.6 lets servers
     * implement them with the RFC 821 model, whose codes seed 000 lists. */
    { "SEND", 250, PB, CTX_ALWAYS, NULL, F6 },
    { "SEND", 552, PB, CTX_ALWAYS, NULL, F6 },
    { "SEND", 451, PB, CTX_ALWAYS, NULL, F6 },
    { "SEND", 452, PB, CTX_ALWAYS, NULL, F6 },
    { "SEND", 500, PB, CTX_ALWAYS, NULL, F6 },
    { "SEND", 501, PB, CTX_ALWAYS, NULL, F6 },
    { "SEND", 502, PB, CTX_ALWAYS, NULL, F6 },
    { "SEND", 421, PB, CTX_ALWAYS, NULL, F6 },
    { "SOML", 250, PB, CTX_ALWAYS, NULL, F6 },
    { "SOML", 552, PB, CTX_ALWAYS, NULL, F6 },
    { "SOML", 451, PB, CTX_ALWAYS, NULL, F6 },
    { "SOML", 452, PB, CTX_ALWAYS, NULL, F6 },
    { "SOML", 500, PB, CTX_ALWAYS, NULL, F6 },
    { "SOML", 501, PB, CTX_ALWAYS, NULL, F6 },
    { "SOML", 502, PB, CTX_ALWAYS, NULL, F6 },
    { "SOML", 421, PB, CTX_ALWAYS, NULL, F6 },
    { "SAML", 250, PB, CTX_ALWAYS, NULL, F6 },
    { "SAML", 552, PB, CTX_ALWAYS, NULL, F6 },
    { "SAML", 451, PB, CTX_ALWAYS, NULL, F6 },
    { "SAML", 452, PB, CTX_ALWAYS, NULL, F6 },
    { "SAML", 500, PB, CTX_ALWAYS, NULL, F6 },
    { "SAML", 501, PB, CTX_ALWAYS, NULL, F6 },
    { "SAML", 502, PB, CTX_ALWAYS, NULL, F6 },
    { "SAML", 421, PB, CTX_ALWAYS, NULL, F6 },
    /* TURN: seed 000; deprecated by RFC 5321 App. F.1 (the legacy suite
     * judges acceptance; the table only knows the codes). */
    { "TURN", 250, PB, CTX_ALWAYS, NULL, SEED0 },
    { "TURN", 502, PB, CTX_ALWAYS, NULL, SEED0 },
    { "TURN", 500, PB, CTX_ALWAYS, NULL, SEED0 },
    { "TURN", 503, PB, CTX_ALWAYS, NULL, SEED0 },

    /* The RFC 821 profile: seed 000 row by row. */
    { "HELO", 250, P8, CTX_ALWAYS, NULL, SEED0 },
    { "HELO", 500, P8, CTX_ALWAYS, NULL, SEED0 },
    { "HELO", 501, P8, CTX_ALWAYS, NULL, SEED0 },
    { "HELO", 504, P8, CTX_ALWAYS, NULL, SEED0 },
    { "HELO", 521, P8, CTX_ALWAYS, NULL, SEED0 " (RFC 1846)" },
    { "HELO", 421, P8, CTX_ALWAYS, NULL, SEED0 },
    { "EHLO", 250, P8, CTX_ALWAYS, NULL, SEED0 },
    { "EHLO", 550, P8, CTX_ALWAYS, NULL, SEED0 },
    { "EHLO", 500, P8, CTX_ALWAYS, NULL, SEED0 },
    { "EHLO", 501, P8, CTX_ALWAYS, NULL, SEED0 },
    { "EHLO", 504, P8, CTX_ALWAYS, NULL, SEED0 },
    { "EHLO", 421, P8, CTX_ALWAYS, NULL, SEED0 },
    { "MAIL", 250, P8, CTX_ALWAYS, NULL, SEED0 },
    { "MAIL", 552, P8, CTX_ALWAYS, NULL, SEED0 },
    { "MAIL", 451, P8, CTX_ALWAYS, NULL, SEED0 },
    { "MAIL", 452, P8, CTX_ALWAYS, NULL, SEED0 },
    { "MAIL", 500, P8, CTX_ALWAYS, NULL, SEED0 },
    { "MAIL", 501, P8, CTX_ALWAYS, NULL, SEED0 },
    { "MAIL", 421, P8, CTX_ALWAYS, NULL, SEED0 },
    { "RCPT", 250, P8, CTX_ALWAYS, NULL, SEED0 },
    { "RCPT", 251, P8, CTX_ALWAYS, NULL, SEED0 },
    { "RCPT", 550, P8, CTX_ALWAYS, NULL, SEED0 },
    { "RCPT", 551, P8, CTX_ALWAYS, NULL, SEED0 },
    { "RCPT", 552, P8, CTX_ALWAYS, NULL, SEED0 },
    { "RCPT", 553, P8, CTX_ALWAYS, NULL, SEED0 },
    { "RCPT", 450, P8, CTX_ALWAYS, NULL, SEED0 },
    { "RCPT", 451, P8, CTX_ALWAYS, NULL, SEED0 },
    { "RCPT", 452, P8, CTX_ALWAYS, NULL, SEED0 },
    { "RCPT", 500, P8, CTX_ALWAYS, NULL, SEED0 },
    { "RCPT", 501, P8, CTX_ALWAYS, NULL, SEED0 },
    { "RCPT", 503, P8, CTX_ALWAYS, NULL, SEED0 },
    { "RCPT", 521, P8, CTX_ALWAYS, NULL, SEED0 " (RFC 1846)" },
    { "RCPT", 421, P8, CTX_ALWAYS, NULL, SEED0 },
    { "DATA", 354, P8, CTX_ALWAYS, NULL, SEED0 },
    { "DATA", 451, P8, CTX_ALWAYS, NULL, SEED0 },
    { "DATA", 554, P8, CTX_ALWAYS, NULL, SEED0 },
    { "DATA", 500, P8, CTX_ALWAYS, NULL, SEED0 },
    { "DATA", 501, P8, CTX_ALWAYS, NULL, SEED0 },
    { "DATA", 503, P8, CTX_ALWAYS, NULL, SEED0 },
    { "DATA", 421, P8, CTX_ALWAYS, NULL, SEED0 },
    { CMD_END_OF_DATA, 250, P8, CTX_ALWAYS, NULL, SEED0 },
    { CMD_END_OF_DATA, 552, P8, CTX_ALWAYS, NULL, SEED0 },
    { CMD_END_OF_DATA, 554, P8, CTX_ALWAYS, NULL, SEED0 },
    { CMD_END_OF_DATA, 451, P8, CTX_ALWAYS, NULL, SEED0 },
    { CMD_END_OF_DATA, 452, P8, CTX_ALWAYS, NULL, SEED0 },
    { "RSET", 200, P8, CTX_ALWAYS, NULL, SEED0 " (RFC 876)" },
    { "RSET", 250, P8, CTX_ALWAYS, NULL, SEED0 },
    { "RSET", 500, P8, CTX_ALWAYS, NULL, SEED0 },
    { "RSET", 501, P8, CTX_ALWAYS, NULL, SEED0 },
    { "RSET", 504, P8, CTX_ALWAYS, NULL, SEED0 },
    { "RSET", 421, P8, CTX_ALWAYS, NULL, SEED0 },
    { "VRFY", 250, P8, CTX_ALWAYS, NULL, SEED0 },
    { "VRFY", 251, P8, CTX_ALWAYS, NULL, SEED0 },
    { "VRFY", 550, P8, CTX_ALWAYS, NULL, SEED0 },
    { "VRFY", 551, P8, CTX_ALWAYS, NULL, SEED0 },
    { "VRFY", 553, P8, CTX_ALWAYS, NULL, SEED0 },
    { "VRFY", 500, P8, CTX_ALWAYS, NULL, SEED0 },
    { "VRFY", 501, P8, CTX_ALWAYS, NULL, SEED0 },
    { "VRFY", 502, P8, CTX_ALWAYS, NULL, SEED0 },
    { "VRFY", 504, P8, CTX_ALWAYS, NULL, SEED0 },
    { "VRFY", 421, P8, CTX_ALWAYS, NULL, SEED0 },
    { "EXPN", 250, P8, CTX_ALWAYS, NULL, SEED0 },
    { "EXPN", 550, P8, CTX_ALWAYS, NULL, SEED0 },
    { "EXPN", 500, P8, CTX_ALWAYS, NULL, SEED0 },
    { "EXPN", 501, P8, CTX_ALWAYS, NULL, SEED0 },
    { "EXPN", 502, P8, CTX_ALWAYS, NULL, SEED0 },
    { "EXPN", 504, P8, CTX_ALWAYS, NULL, SEED0 },
    { "EXPN", 421, P8, CTX_ALWAYS, NULL, SEED0 },
    { "HELP", 211, P8, CTX_ALWAYS, NULL, SEED0 },
    { "HELP", 214, P8, CTX_ALWAYS, NULL, SEED0 },
    { "HELP", 500, P8, CTX_ALWAYS, NULL, SEED0 },
    { "HELP", 501, P8, CTX_ALWAYS, NULL, SEED0 },
    { "HELP", 502, P8, CTX_ALWAYS, NULL, SEED0 },
    { "HELP", 504, P8, CTX_ALWAYS, NULL, SEED0 },
    { "HELP", 421, P8, CTX_ALWAYS, NULL, SEED0 },
    { "NOOP", 200, P8, CTX_ALWAYS, NULL, SEED0 " (RFC 876)" },
    { "NOOP", 250, P8, CTX_ALWAYS, NULL, SEED0 },
    { "NOOP", 500, P8, CTX_ALWAYS, NULL, SEED0 },
    { "NOOP", 421, P8, CTX_ALWAYS, NULL, SEED0 },
    { "QUIT", 221, P8, CTX_ALWAYS, NULL, SEED0 },
    { "QUIT", 500, P8, CTX_ALWAYS, NULL, SEED0 },
    { CMD_UNKNOWN, 500, P8, CTX_ALWAYS, NULL, SEED0 " (500 command unrecognized)" },
    { CMD_UNKNOWN, 501, P8, CTX_ALWAYS, NULL, SEED0 },
    { CMD_UNKNOWN, 421, P8, CTX_ALWAYS, NULL, SEED0 },
    /* RFC 7504 §5.1 adds 556 to RCPT's list. */
    { "RCPT", 556, P5, CTX_ALWAYS, NULL, "RFC 7504 §5.1" },

    /* Extension rows: they apply only when the server advertised the
     * keyword.  530 "authentication required" (RFC 4954 §6) may answer any
     * command but AUTH, EHLO, HELO, NOOP, RSET and QUIT; "must issue a
     * STARTTLS command first" (RFC 3207 §4) any but NOOP, EHLO, STARTTLS
     * and QUIT. */
    { "MAIL", 530, P5, CTX_ALWAYS, "AUTH", A530 }, { "RCPT", 530, P5, CTX_ALWAYS, "AUTH", A530 },
    { "DATA", 530, P5, CTX_ALWAYS, "AUTH", A530 }, { "VRFY", 530, P5, CTX_ALWAYS, "AUTH", A530 },
    { "EXPN", 530, P5, CTX_ALWAYS, "AUTH", A530 }, { "HELP", 530, P5, CTX_ALWAYS, "AUTH", A530 },
    { "MAIL", 530, P5, CTX_ALWAYS, "STARTTLS", T530 },
    { "RCPT", 530, P5, CTX_ALWAYS, "STARTTLS", T530 },
    { "DATA", 530, P5, CTX_ALWAYS, "STARTTLS", T530 },
    { "VRFY", 530, P5, CTX_ALWAYS, "STARTTLS", T530 },
    { "EXPN", 530, P5, CTX_ALWAYS, "STARTTLS", T530 },
    { "HELP", 530, P5, CTX_ALWAYS, "STARTTLS", T530 },
    { "RSET", 530, P5, CTX_ALWAYS, "STARTTLS", T530 },
    { "HELO", 530, P5, CTX_ALWAYS, "STARTTLS", T530 },

    /* STARTTLS (RFC 3207 §4: 220, 501, 454).  501 is an any-command code
     * too; its row names the RFC that lists it for STARTTLS. */
    { "STARTTLS", 220, P5, CTX_ALWAYS, NULL, TLS4 },
    { "STARTTLS", 501, P5, CTX_ALWAYS, NULL, TLS4 " (no parameters allowed)" },
    { "STARTTLS", 454, P5, CTX_ALWAYS, NULL, TLS4 },
    { "STARTTLS", 502, P5, CTX_ALWAYS, NULL, NOTIMPL },
    /* RFC 3207 lists no 503; while TLS is active a second STARTTLS is out
     * of sequence (§4.2), which RFC 5321 §4.2.2's 503 names. */
    { "STARTTLS", 503, P5, CTX_TLS, NULL,
      "RFC 3207 §4.2 (TLS already active); RFC 5321 §4.2.2 (503 Bad sequence of commands)" },
    /* RFC 4954 §6: 530 to "any command other than AUTH, EHLO, HELO, NOOP,
     * RSET, or QUIT", STARTTLS included. */
    { "STARTTLS", 530, P5, CTX_ALWAYS, "AUTH", A530 },
    /* AUTH: §4 names 334 (challenge), 501 (cancelled, bad Base64, unwanted
     * initial response), 503 (second AUTH, AUTH in a transaction), 504
     * (mechanism not supported), 500 (line too long), 535 and 235; §6 lists
     * 235, 432, 454, 534, 535, 500 and 538.  500 and 501 are any-command
     * codes too. */
    { "AUTH", 235, P5, CTX_ALWAYS, NULL, "RFC 4954 §4, §6" },
    { "AUTH", 334, P5, CTX_ALWAYS, NULL, AUTH4 " (server challenge)" },
    { "AUTH", 432, P5, CTX_ALWAYS, NULL, AUTH6 },
    { "AUTH", 454, P5, CTX_ALWAYS, NULL, AUTH6 },
    { "AUTH", 500, P5, CTX_ALWAYS, NULL, "RFC 4954 §4, §6 (exchange line too long)" },
    { "AUTH", 501, P5, CTX_ALWAYS, NULL, AUTH4 " (cancelled, or not Base64)" },
    { "AUTH", 503, P5, CTX_ALWAYS, NULL, AUTH4 " (after AUTH, or in a transaction)" },
    { "AUTH", 504, P5, CTX_ALWAYS, NULL, AUTH4 " (mechanism not supported)" },
    { "AUTH", 534, P5, CTX_ALWAYS, NULL, AUTH6 },
    { "AUTH", 535, P5, CTX_ALWAYS, NULL, "RFC 4954 §4, §6" },
    { "AUTH", 538, P5, CTX_ALWAYS, NULL, AUTH6 },
    { "AUTH", 502, P5, CTX_ALWAYS, NULL, NOTIMPL },
    /* RFC 3207 §4: 530 to "every command other than NOOP, EHLO, STARTTLS,
     * or QUIT", AUTH included. */
    { "AUTH", 530, P5, CTX_ALWAYS, "STARTTLS", T530 },
    /* BDAT (RFC 3030 §2): 250 for a chunk, 503 out of sequence, and "the
     * appropriate 5XX or 4XX code" after a failure: every 4yz and 5yz
     * RFC 5321 lists (§4.2.2, §4.2.3) but 521 and 556 */
    { "BDAT", 250, P5, CTX_ALWAYS, NULL, BDAT2 }, { "BDAT", 450, P5, CTX_ALWAYS, NULL, BDAT2 },
    { "BDAT", 451, P5, CTX_ALWAYS, NULL, BDAT2 }, { "BDAT", 452, P5, CTX_ALWAYS, NULL, BDAT2 },
    { "BDAT", 455, P5, CTX_ALWAYS, NULL, BDAT2 }, { "BDAT", 502, P5, CTX_ALWAYS, NULL, BDAT2 },
    { "BDAT", 503, P5, CTX_ALWAYS, NULL, "RFC 3030 §2 (BDAT after BDAT LAST: 503)" },
    { "BDAT", 504, P5, CTX_ALWAYS, NULL, BDAT2 },
    { "BDAT", 550, P5, CTX_ALWAYS, NULL, BDAT2 }, { "BDAT", 551, P5, CTX_ALWAYS, NULL, BDAT2 },
    { "BDAT", 552, P5, CTX_ALWAYS, NULL, BDAT2 }, { "BDAT", 553, P5, CTX_ALWAYS, NULL, BDAT2 },
    { "BDAT", 554, P5, CTX_ALWAYS, NULL, BDAT2 }, { "BDAT", 555, P5, CTX_ALWAYS, NULL, BDAT2 },
    { "BDAT", 530, P5, CTX_ALWAYS, "AUTH", A530 }, { "BDAT", 530, P5, CTX_ALWAYS, "STARTTLS", T530 },
};

/* Verbs that are table commands only under some profiles.  Under
 * rfc5321, SEND/SOML/SAML/TURN keep their seed 000 rows (App. F). */
static const struct {
    const char *verb;
    unsigned profiles;
} verbs[] = {
    { "EHLO", PB }, { "HELO", PB }, { "MAIL", PB }, { "RCPT", PB },
    { "DATA", PB }, { "RSET", PB }, { "VRFY", PB }, { "EXPN", PB },
    { "HELP", PB }, { "NOOP", PB }, { "QUIT", PB }, { "SEND", PB },
    { "SOML", PB }, { "SAML", PB }, { "TURN", PB }, { "STARTTLS", P5 },
    { "AUTH", P5 }, { "BDAT", P5 },
};

/* RFC 5321 §4.5.3.2 client timeouts; commands not named there use the
 * 5-minute figure the section gives for the greeting, MAIL and RCPT. */
static const struct {
    const char *cmd;
    int seconds;
    const char *section;
} timeouts[] = {
    { CMD_GREETING, 300, "RFC 5321 §4.5.3.2.1" },
    { "MAIL", 300, "RFC 5321 §4.5.3.2.2" },
    { "RCPT", 300, "RFC 5321 §4.5.3.2.3" },
    { "DATA", 120, "RFC 5321 §4.5.3.2.4" },
    { CMD_DATA_BLOCK, 180, "RFC 5321 §4.5.3.2.5" },
    { CMD_END_OF_DATA, 600, "RFC 5321 §4.5.3.2.6" },
};

static const struct {
    int code;
    const char *meaning;
} meanings[] = {
    { 200, "nonstandard success (RFC 876), not an RFC 5321 code" },
    { 211, "System status, or system help reply" },
    { 214, "Help message" },
    { 220, "Service ready" },
    { 221, "Service closing transmission channel" },
    { 250, "Requested mail action okay, completed" },
    { 251, "User not local; will forward" },
    { 252, "Cannot VRFY user, but will accept message and attempt delivery" },
    { 354, "Start mail input" },
    { 421, "Service not available, closing transmission channel" },
    { 450, "Requested mail action not taken: mailbox unavailable" },
    { 451, "Requested action aborted: local error in processing" },
    { 452, "Requested action not taken: insufficient system storage" },
    { 455, "Server unable to accommodate parameters" },
    { 500, "Syntax error, command unrecognized" },
    { 501, "Syntax error in parameters or arguments" },
    { 502, "Command not implemented" },
    { 503, "Bad sequence of commands" },
    { 504, "Command parameter not implemented" },
    { 521, "does not accept mail (RFC 1846, RFC 7504)" },
    { 550, "Requested action not taken: mailbox unavailable" },
    { 551, "User not local; please try <forward-path>" },
    { 552, "Requested mail action aborted: exceeded storage allocation" },
    { 553, "Requested action not taken: mailbox name not allowed" },
    { 554, "Transaction failed / No SMTP service here" },
    { 555, "MAIL FROM/RCPT TO parameters not recognized or not implemented" },
    { 556, "Domain does not accept mail (RFC 7504)" },
};

int profile_parse(const char *s)
{
    if (strcasecmp(s, "rfc5321") == 0)
        return PROFILE_RFC5321;
    if (strcasecmp(s, "rfc821") == 0)
        return PROFILE_RFC821;
    return -1;
}

const char *profile_name(enum profile p)
{
    return p == PROFILE_RFC821 ? "rfc821" : "rfc5321";
}

const char *codes_command(const char *verb, enum profile p)
{
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcasecmp(verb, verbs[i].verb) == 0 &&
            (verbs[i].profiles & (1u << p)))
            return verbs[i].verb;
    return CMD_UNKNOWN;
}

int codes_is_command(const char *name)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (strcasecmp(rows[i].cmd, name) == 0 && strcmp(rows[i].cmd, ANY) != 0)
            return 1;
    return 0;
}

/* Is keyword kw in the space-separated list? */
static int row_applies(const struct code_row *r, const char *cmd,
                       const struct codes_ctx *ctx)
{
    int cmd_ok = strcasecmp(r->cmd, cmd) == 0 ||
                 (strcmp(r->cmd, ANY) == 0 && strcmp(cmd, CMD_GREETING) != 0);
    if (!cmd_ok || !(r->profiles & (1u << ctx->profile)))
        return 0;
    if ((r->ctx == CTX_REFUSED && !ctx->refused) || (r->ctx == CTX_TLS && !ctx->tls_active))
        return 0;
    return !r->ext || word_listed(ctx->ehlo_keywords, r->ext);
}

static void add_allowed(struct code_check *out, int code)
{
    size_t i = 0;
    while (i < out->nallowed && out->allowed[i] < code)
        i++;
    if ((i < out->nallowed && out->allowed[i] == code) ||
        out->nallowed == CODES_MAX_ALLOWED)
        return;
    memmove(&out->allowed[i + 1], &out->allowed[i],
            (out->nallowed - i) * sizeof out->allowed[0]);
    out->allowed[i] = code;
    out->nallowed++;
}

/* "250, 251, 550" into dst. */
static void format_set(const struct code_check *c, char *dst, size_t len)
{
    size_t used = 0;
    dst[0] = '\0';
    for (size_t i = 0; i < c->nallowed && used < len; i++) {
        int n = snprintf(dst + used, len - used, "%s%d", i ? ", " : "",
                         c->allowed[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static const char *display_name(const char *cmd)
{
    if (strcmp(cmd, CMD_GREETING) == 0)
        return "the greeting";
    if (strcmp(cmd, CMD_END_OF_DATA) == 0)
        return "the end of data";
    if (strcmp(cmd, CMD_UNKNOWN) == 0)
        return "an unrecognized command";
    return cmd;
}

/* The codes RFC 5321 lists (§4.2.2, §4.2.3), with the two RFC 7504 §5.1
 * adds to them. */
static int listed_in_5321(int code)
{
    static const int listed[] = { 211, 214, 220, 221, 250, 251, 252, 354, 421, 450,
                                  451, 452, 455, 500, 501, 502, 503, 504, 521, 550,
                                  551, 552, 553, 554, 555, 556 };
    for (size_t i = 0; i < sizeof listed / sizeof listed[0]; i++)
        if (listed[i] == code)
            return 1;
    return 0;
}

/* SEND, SOML, SAML and TURN: RFC 5321's §4.3.2 lists no codes for them
 * (their rows come from seed 000, App. F), so §4.3.1 cannot judge them. */
static int legacy_verb(const char *cmd)
{
    static const char *const legacy[] = { "SEND", "SOML", "SAML", "TURN" };
    for (size_t i = 0; i < sizeof legacy / sizeof legacy[0]; i++)
        if (strcmp(cmd, legacy[i]) == 0)
            return 1;
    return 0;
}

/* Which catalog rule a code outside the command's set breaks, or NULL
 * when no sentence covers the command's codes. */
static const char *breaks_rule(const char *cmd, const struct codes_ctx *ctx, int code)
{
    if (ctx->profile == PROFILE_RFC821)
        return "821-4.3-command-codes";
    if (legacy_verb(cmd))
        return listed_in_5321(code) ? NULL : "5321-4.2-listed-codes";
    if (strcmp(cmd, "STARTTLS") == 0)
        return "3207-4-starttls-codes";
    if (strcmp(cmd, "AUTH") == 0)
        return "4954-6-auth-codes";
    if (strcmp(cmd, "BDAT") == 0)
        return "3030-2-bdat-replies";
    if (strcmp(cmd, CMD_UNKNOWN) == 0)
        return "5321-4.2.4-unrecognized-500";
    if (strcmp(cmd, "EHLO") == 0 && code >= 500)
        return "5321-4.1.4-ehlo-refusal-codes";
    if (!listed_in_5321(code))
        return "5321-4.2-listed-codes";
    return "5321-4.3.1-command-codes";
}

void codes_check(const char *cmd, const struct codes_ctx *ctx, int code,
                 struct code_check *out)
{
    char set[256];
    const char *source = NULL;  /* the command's own rows name the set's source */
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (row_applies(&rows[i], cmd, ctx)) {
            add_allowed(out, rows[i].code);
            if (!source && strcmp(rows[i].cmd, ANY) != 0)
                source = rows[i].source;
        }
    }
    if (!source)
        source = S4332;
    for (size_t i = 0; i < out->nallowed; i++)
        if (out->allowed[i] == code)
            return;                     /* no rule broken */
    format_set(out, set, sizeof set);
    const char *meaning = codes_meaning(code);
    out->rule = breaks_rule(cmd, ctx, code);
    if (!out->rule)
        return;                         /* no sentence to judge it by */
    snprintf(out->reason, sizeof out->reason,
             "%s answered %d%s%s%s, not in its code set (%s allows %s)",
             display_name(cmd), code, meaning ? " (" : "", meaning ? meaning : "",
             meaning ? ")" : "", source, set);
}

int codes_rfc_timeout(const char *cmd, const char **section)
{
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        if (strcasecmp(cmd, timeouts[i].cmd) == 0) {
            if (section)
                *section = timeouts[i].section;
            return timeouts[i].seconds;
        }
    }
    if (section)
        *section = "RFC 5321 §4.5.3.2";
    return 300;
}

const char *codes_meaning(int code)
{
    for (size_t i = 0; i < sizeof meanings / sizeof meanings[0]; i++)
        if (meanings[i].code == code)
            return meanings[i].meaning;
    return NULL;
}

void codes_dump(FILE *out)
{
    fprintf(out, "%-12s %-5s %-8s %-9s %s\n", "command", "code", "profile",
            "context", "source");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct code_row *r = &rows[i];
        fprintf(out, "%-12s %-5d %-8s %-9s %s%s%s%s\n",
                strcmp(r->cmd, ANY) == 0 ? "(any)" : r->cmd, r->code,
                r->profiles == PB ? "both" : r->profiles == P5 ? "rfc5321" : "rfc821",
                r->ctx == CTX_REFUSED ? "refused" : r->ctx == CTX_TLS ? "tls" : "-", r->source,
                r->ext ? " [ext " : "", r->ext ? r->ext : "", r->ext ? "]" : "");
    }
}
