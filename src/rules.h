/* rules.h - the rule catalog (rules/NAME.rules): every sentence smtpspec
 * judges by, quoted verbatim, with its source, the party it binds and the
 * keyword that sets the verdict.  See README, "The rule catalog". */
#ifndef SMTPSPEC_RULES_H
#define SMTPSPEC_RULES_H

#include <stddef.h>
#include <stdio.h>

#include "verdict.h"

struct rule {
    char *id;           /* "5321-3.3-rcpt-without-mail" */
    char *title;        /* one line, what a server must do */
    char *source;       /* "RFC 5321 §3.3", "seed 000" */
    int binds;          /* the binds field was given */
    int binds_client;   /* 1: binds clients only, never judges a server */
    char *keyword;      /* "MUST", "SHOULD NOT", "NONE", ... */
    char *quote;        /* the sentence, verbatim (lines joined by a space) */
    char *note;         /* our reading; may be NULL */
    enum verdict verdict;   /* fail, warn or info: from the keyword */
    char *file;         /* where it is defined */
    int line;
};

struct catalog {
    struct rule *rules;
    size_t n;
};

/* Loads every *.rules file in dir, in name order.  On success *out is a
 * catalog the caller frees with catalog_free(); on failure returns -1 with
 * "file:line: message" in err. */
int catalog_load(const char *dir, struct catalog **out, char *err, size_t errlen);

/* Adds the rules in text (name is used in messages) to cat.  Returns 0 or
 * -1 with "name:line: message" in err; cat keeps the rules added before. */
int catalog_parse(struct catalog *cat, const char *name, const char *text, size_t len,
                  char *err, size_t errlen);

const struct rule *catalog_find(const struct catalog *cat, const char *id);
void catalog_free(struct catalog *cat);

/* The verdict a keyword gives when its rule is broken; V_PASS when the
 * keyword is unknown. */
enum verdict keyword_verdict(const char *keyword);

/* --list-rules: one rule a line, "id verdict keyword binds source: quote". */
void catalog_dump(const struct catalog *cat, FILE *out);

#endif
