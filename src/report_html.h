/* report_html.h - the HTML report (--html), rendered from a JSON report. */
#ifndef SMTPSPEC_REPORT_HTML_H
#define SMTPSPEC_REPORT_HTML_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* Writes report (a parsed JSON report, which may be malformed: missing
 * members render empty) to path, atomically.  Returns 0, or -1 with a
 * message in err. */
int report_html_write(const json_t *report, const char *path, char *err, size_t errlen);

/* The same page, to f. */
void report_html_stream(const json_t *report, FILE *f);

#endif
