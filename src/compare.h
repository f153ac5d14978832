/* compare.h - "smtpspec compare A.json B.json ...": a matrix of verdicts,
 * one column per JSON report, on stdout and optionally as HTML. */
#ifndef SMTPSPEC_COMPARE_H
#define SMTPSPEC_COMPARE_H

#include <jansson.h>
#include <stdio.h>

/* The matrix of reports[0..n) (at most 26; column names names[i]): the
 * terminal one to text (a row per case with by_case, else per rule; only
 * the rows that differ with only_diff) and, when html is not NULL, the
 * HTML page with both.  Any JSON will do: members that are missing or of
 * another type count as absent.  Returns 0, or -1 when memory ran out. */
int compare_render(json_t *const *reports, const char *const *names, size_t n, int by_case,
                   int only_diff, FILE *text, FILE *html);

/* argv[0] is "compare".  Returns the exit status: 0, or 2 for bad usage
 * or a report that cannot be read (the message is on stderr). */
int compare_main(int argc, char **argv);

#endif
