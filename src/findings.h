/* findings.h - one finding per behaviour: the rule-citing findings of all
 * cases, grouped by (rule, table command, reply code, advisory), with the
 * cases that saw each.  Security findings (those of cases with an
 * advisory) come first.  Read by the reports and the terminal summary. */
#ifndef SMTPSPEC_FINDINGS_H
#define SMTPSPEC_FINDINGS_H

#include <stddef.h>

#include "result.h"

struct behaviour {
    const struct rule *rule;
    enum verdict verdict;           /* the rule's */
    const char *command;            /* table command, e.g. "HELP" */
    int code;                       /* reply code, -1 when there was none */
    const struct case_result *example_case;   /* the first case that saw it */
    const struct exchange *example;
    const char *message;            /* the example's finding message */
    const char *advisory;           /* a security finding: its case's advisory, else NULL */
    const char *fix;                /* and how common MTAs fix it */
    const struct case_result **cases;         /* every case that saw it */
    size_t ncases;
};

struct behaviours {
    struct behaviour *v;
    size_t n;
};

/* Groups the findings of cases[0..n); the result points into cases and is
 * sorted security findings first, then worst first, then by rule id.  The caller frees it with
 * behaviours_free().  Returns 0, or -1 when memory runs out. */
int behaviours_collect(const struct case_result *cases, size_t n, struct behaviours *out);
void behaviours_free(struct behaviours *b);

#endif
