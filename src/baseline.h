/* baseline.h - accepted findings: a file a team keeps (by hand or with
 * --write-baseline) so that CI fails only on findings that are new.  One
 * finding a line, keyed by rule, command and reply code:
 *
 *   # comment
 *   5321-2.3.8-crlf-only NOOP 250   # bare LF ends a line; fixed in 3.9
 *   5321-4.1.1.8-help-support HELP 500
 *   5321-3.8-no-close QUIT -        # "-": no reply code
 */
#ifndef SMTPSPEC_BASELINE_H
#define SMTPSPEC_BASELINE_H

#include <stddef.h>

#include "findings.h"

struct baseline_entry {
    char *rule;
    char *command;
    int code;           /* -1 for "-" */
    char *comment;      /* after "#", or NULL */
    int line;
    int seen;           /* a finding of the run matched it */
};

struct baseline {
    struct baseline_entry *v;
    size_t n;
};

/* Reads path.  Returns 0 and *out (freed with baseline_free), or -1 with
 * "file:line: message" in err. */
int baseline_load(const char *path, struct baseline **out, char *err, size_t errlen);
void baseline_free(struct baseline *b);

/* The entry for (rule, command, code), or NULL: the finding is new. */
struct baseline_entry *baseline_find(const struct baseline *b, const char *rule,
                                     const char *command, int code);

/* Marks the entries the behaviours match (seen); returns how many of the
 * behaviours are new with verdict v. */
size_t baseline_mark(struct baseline *b, const struct behaviours *bs, int v);

/* Writes every behaviour as a baseline line, with its verdict, message
 * and cases as the comment, atomically.  0, or -1 with err. */
int baseline_write(const char *path, const struct behaviours *bs, char *err, size_t errlen);

#endif
