/* compare.h - "smtpspec compare A.json B.json ...": a matrix of verdicts,
 * one column per JSON report, on stdout and optionally as HTML. */
#ifndef SMTPSPEC_COMPARE_H
#define SMTPSPEC_COMPARE_H

/* argv[0] is "compare".  Returns the exit status: 0, or 2 for bad usage
 * or a report that cannot be read (the message is on stderr). */
int compare_main(int argc, char **argv);

#endif
