/* verdict.h - the five verdicts, ordered from best to worst, and the
 * requirement levels that map a broken expectation onto a verdict. */
#ifndef SMTPSPEC_VERDICT_H
#define SMTPSPEC_VERDICT_H

/* The order matters: a case's verdict is the worst (highest) of its
 * exchanges.  error ranks below fail: a violation seen before the probe
 * got stuck is still a violation. */
enum verdict {
    V_PASS = 0,
    V_SKIP,
    V_WARN,
    V_ERROR,
    V_FAIL,
    V_COUNT
};

/* MUST breaks give fail, SHOULD breaks give warn (RFC 2119 levels). */
enum level {
    L_MUST = 0,
    L_SHOULD
};

const char *verdict_name(enum verdict v);       /* "pass", "warn", ... */
enum verdict level_verdict(enum level l);       /* MUST->fail, SHOULD->warn */
const char *level_name(enum level l);           /* "MUST", "SHOULD" */
static inline enum verdict verdict_worst(enum verdict a, enum verdict b)
{
    return a > b ? a : b;
}

#endif
