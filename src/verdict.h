/* verdict.h - the six verdicts, ordered from best to worst. */
#ifndef SMTPSPEC_VERDICT_H
#define SMTPSPEC_VERDICT_H

/* The order matters: a case's verdict is the worst (highest) of its
 * exchanges.  info (a MAY or an unkeyworded sentence not followed) ranks
 * just above pass; error ranks below fail, because a violation seen before
 * the probe got stuck is still a violation. */
enum verdict {
    V_PASS = 0,
    V_INFO,
    V_SKIP,
    V_WARN,
    V_ERROR,
    V_FAIL,
    V_COUNT
};

const char *verdict_name(enum verdict v);       /* "pass", "warn", ... */
static inline enum verdict verdict_worst(enum verdict a, enum verdict b)
{
    return a > b ? a : b;
}

#endif
