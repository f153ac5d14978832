/* verdict.c - names of verdicts. */
#include "verdict.h"

const char *verdict_name(enum verdict v)
{
    static const char *const names[V_COUNT] = {
        "pass", "info", "skip", "warn", "error", "fail"
    };
    return (unsigned)v < V_COUNT ? names[v] : "?";
}
