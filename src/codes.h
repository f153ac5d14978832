/* codes.h - the reply-code table: for each command, the codes a server
 * may answer with, each row citing its source.  All per-command protocol
 * knowledge lives in codes.c as data. */
#ifndef SMTPSPEC_CODES_H
#define SMTPSPEC_CODES_H

#include <stddef.h>
#include <stdio.h>

#include "verdict.h"

enum profile {
    PROFILE_RFC5321 = 0,
    PROFILE_RFC821,
    PROFILE_COUNT
};

/* Names of the table commands that are not verbs. */
#define CMD_GREETING "GREETING"       /* the connection-opening reply */
#define CMD_END_OF_DATA "END-OF-DATA" /* the reply to <CRLF>.<CRLF> */
#define CMD_UNKNOWN "UNKNOWN"         /* a verb the table does not know */
#define CMD_DATA_BLOCK "DATA-BLOCK"   /* sending message data (a timeout only) */

/* What the check needs to know about the session. */
struct codes_ctx {
    enum profile profile;
    int refused;            /* the server greeted with 554/521 (§3.1) */
    int tls_active;         /* a TLS session is active on the connection */
    const char *ehlo_keywords; /* space-separated, upper case; may be NULL */
};

#define CODES_MAX_ALLOWED 48

struct code_check {
    const char *rule;       /* the catalog rule the code breaks; NULL if none */
    char reason[640];       /* what was wrong; empty when rule is NULL */
    int allowed[CODES_MAX_ALLOWED];
    size_t nallowed;        /* ascending */
};

/* Parses "rfc5321" / "rfc821"; -1 when unknown. */
int profile_parse(const char *s);
const char *profile_name(enum profile p);

/* The table command a verb maps to under profile p (case-insensitive):
 * a table name such as "MAIL", or CMD_UNKNOWN.  Static storage. */
const char *codes_command(const char *verb, enum profile p);

/* Is name (GREETING, MAIL, END-OF-DATA, ...) a command of the table under
 * any profile?  Suites use it to validate "as CMD". */
int codes_is_command(const char *name);

/* Checks code (a parsed three-digit code, first digit 2..5) as a reply to
 * table command cmd.  Always fills *out, including the allowed set; a code
 * outside the set names the rule it breaks (rules/reply.rules). */
void codes_check(const char *cmd, const struct codes_ctx *ctx, int code,
                 struct code_check *out);

/* The RFC 5321 §4.5.3.2 timeout for awaiting cmd's reply, in seconds,
 * and the section that sets it. */
int codes_rfc_timeout(const char *cmd, const char **section);

/* Short meaning of a code ("Bad sequence of commands"), or NULL. */
const char *codes_meaning(int code);

/* Prints the whole table (for --list-codes). */
void codes_dump(FILE *out);

#endif
