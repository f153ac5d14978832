/* html.h - writing HTML pages that need nothing from outside: escaping,
 * wire strings (buf.h) with their escapes marked, and the page frame with
 * its one inline style sheet.  Used by the HTML report and the comparison
 * matrix; both render JSON reports (reports/report.schema.json). */
#ifndef SMTPSPEC_HTML_H
#define SMTPSPEC_HTML_H

#include <jansson.h>
#include <stdio.h>

/* Text with & < > " ' escaped and control bytes as \xHH; NULL writes
 * nothing. */
void html_text(FILE *f, const char *s);

/* A wire string as it came: "\r\n" ends a line, every other escape
 * (\xHH, \t, a lone \r or \n, \\) is kept and marked <span class="esc">. */
void html_wire(FILE *f, const char *wire);

/* <!DOCTYPE> to <body>: the title, a Content-Security-Policy that allows
 * no network and no script, and the style sheet. */
void html_page_start(FILE *f, const char *title);
void html_page_end(FILE *f);

/* v if it is one of the six verdict names, else "none". */
const char *html_verdict(const char *v);

/* <span class="badge v-NAME">NAME</span> for a verdict name. */
void html_badge(FILE *f, const char *verdict);

/* Safe getters on a report that may be malformed: "" / -1 / NULL when
 * the member is missing or of another type. */
const char *jstr(const json_t *o, const char *key);
long long jint(const json_t *o, const char *key);
const json_t *jarr(const json_t *o, const char *key);
const json_t *jobj(const json_t *o, const char *key);

/* The verdict names, worst first: fail error warn skip info pass. */
extern const char *const html_verdicts_worst_first[6];

#endif
