/* status.h - enhanced mail system status codes (RFC 3463) in the text of
 * replies, as RFC 2034 (ENHANCEDSTATUSCODES) asks for them.  A pure check
 * of a parsed reply; findings go to a callback (ehlo.h). */
#ifndef SMTPSPEC_STATUS_H
#define SMTPSPEC_STATUS_H

#include <stddef.h>

#include "ehlo.h"
#include "reply.h"

/* Does a reply to table command cmd carry a status code when the server
 * advertises ENHANCEDSTATUSCODES?  Not the greeting, not the replies to
 * EHLO and HELO, not 3yz replies (RFC 2034 §4). */
int status_applies(const char *cmd, int code);

/* Checks reply r: a status code on every line, well formed, of the
 * reply's class, the same on every line, registered. */
void status_check(const struct reply *r, check_report_fn report, void *ctx);

/* The i-th id of the rules status_check may cite, or NULL past the last. */
const char *status_rule(size_t i);

#endif
