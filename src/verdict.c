/* verdict.c - names of verdicts and levels. */
#include "verdict.h"

const char *verdict_name(enum verdict v)
{
    static const char *const names[V_COUNT] = {
        "pass", "skip", "warn", "error", "fail"
    };
    return (unsigned)v < V_COUNT ? names[v] : "?";
}

enum verdict level_verdict(enum level l)
{
    return l == L_MUST ? V_FAIL : V_WARN;
}

const char *level_name(enum level l)
{
    return l == L_MUST ? "MUST" : "SHOULD";
}
