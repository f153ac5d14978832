/* status.c - enhanced status codes in replies (RFC 2034 §4, RFC 3463 §2).
 *
 *   status-code ::= class "." subject "." detail
 *   class ::= "2" / "4" / "5";  subject, detail ::= 1*3digit
 *   (RFC 3463: "without leading zero digits")
 *
 * The registry is the table of RFC 5248 §4.1, with the codes RFC 6531,
 * RFC 7505 and RFC 8689 registered after it.  A code outside it is only a
 * note: later registrations are not known here. */
#include "status.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "codes.h"

#define R_PRESENT "2034-4-status-code-present"
#define R_ABNF "3463-2-status-code-abnf"
#define R_CLASS "2034-4-class-agrees"
#define R_SAME "2034-4-same-code-each-line"
#define R_SUBJECT "3463-2-registered-codes"

static const char *const rules[] = { R_PRESENT, R_ABNF, R_CLASS, R_SAME, R_SUBJECT };

/* The highest registered detail per subject 0..7 (RFC 5248 §4.1: X.0.0,
 * X.1.0-X.1.9, X.2.0-X.2.4, X.3.0-X.3.5, X.4.0-X.4.7, X.5.0-X.5.6,
 * X.6.0-X.6.6, X.7.0-X.7.14), raised by RFC 7505 (X.1.10, X.7.27), RFC 6531
 * (X.6.7-X.6.10) and RFC 8689 (X.7.30). */
static const int max_detail[8] = { 0, 10, 4, 5, 7, 6, 10, 30 };

const char *status_rule(size_t i)
{
    return i < sizeof rules / sizeof rules[0] ? rules[i] : NULL;
}

int status_applies(const char *cmd, int code)
{
    if (code < 200 || code >= 600 || code / 100 == 3)
        return 0;
    return strcmp(cmd, CMD_GREETING) != 0 && strcmp(cmd, "EHLO") != 0 &&
           strcmp(cmd, "HELO") != 0;
}

struct status {
    int class, subject, detail;
};

/* Reads 1*3digit without a leading zero into *v; returns the digits used,
 * 0 when there are none or too many, -1 for a leading zero. */
static int number(const char *p, size_t n, int *v)
{
    size_t i = 0;
    *v = 0;
    while (i < n && i < 4 && isdigit((unsigned char)p[i]))
        *v = *v * 10 + (p[i++] - '0');
    if (i == 0 || i > 3)
        return 0;       /* no digit, or more than three (the value is not used) */
    return i > 1 && p[0] == '0' ? -1 : (int)i;
}

/* Parses the status code at the start of t[0..n).  Returns 1 when one is
 * there, 0 when the text does not start like one (no code), -1 when it
 * starts like one but breaks the grammar. */
static int parse(const char *t, size_t n, struct status *s, size_t *len)
{
    if (n == 0 || !isdigit((unsigned char)t[0]))
        return 0;
    size_t w = 0;
    while (w < n && t[w] != ' ')
        w++;
    *len = w;
    if (w < 5 || t[1] != '.' || (t[0] != '2' && t[0] != '4' && t[0] != '5'))
        return -1;
    s->class = t[0] - '0';
    int a = number(t + 2, w - 2, &s->subject);
    if (a <= 0 || 2 + (size_t)a >= w || t[2 + a] != '.')
        return -1;
    int b = number(t + 3 + a, w - 3 - (size_t)a, &s->detail);
    return b > 0 && 3 + (size_t)a + (size_t)b == w ? 1 : -1;
}


static void registered(const struct status *s, check_report_fn fn, void *ctx)
{
    if (s->subject > 7)
        content_report(fn, ctx, R_SUBJECT, "status code %d.%d.%d: no RFC defines subject %d (RFC 3463 "
               "§3 defines 0 to 7)", s->class, s->subject, s->detail, s->subject);
    else if (s->detail > max_detail[s->subject])
        content_report(fn, ctx, NULL, "note: status code %d.%d.%d is not in the registry as RFC 5248 "
               "(and RFC 6531, 7505, 8689) left it; a later registration is not known to "
               "smtpspec", s->class, s->subject, s->detail);
}

void status_check(const struct reply *r, check_report_fn fn, void *ctx)
{
    struct status first = { 0, 0, 0 };
    int seen = 0, same_reported = 0;
    for (size_t i = 0; i < r->nlines; i++) {
        size_t n, len = 0;
        const char *t = reply_line_text(r, i, &n);
        struct status s;
        int got = parse(t, n, &s, &len);
        if (got == 0 && i == 0) {
            content_report(fn, ctx, R_PRESENT, "the reply has no enhanced status code (its text "
                   "starts \"%.*s\")", (int)(n < 24 ? n : 24), t);
            return;
        }
        if (got < 0) {
            content_report(fn, ctx, R_ABNF, "\"%.*s\" on line %zu is not a well-formed status code",
                   (int)(len < 32 ? len : 32), t, i + 1);
            return;
        }
        if (got == 0 || (seen && (s.class != first.class || s.subject != first.subject ||
                                  s.detail != first.detail))) {
            if (!same_reported++)
                content_report(fn, ctx, R_SAME, "line %zu of the reply does not start with the "
                       "status code of line 1 (%d.%d.%d)", i + 1, first.class,
                       first.subject, first.detail);
            continue;
        }
        if (!seen) {
            first = s;
            seen = 1;
            if (s.class != r->code / 100)
                content_report(fn, ctx, R_CLASS, "reply %d carries status code %d.%d.%d, of class %d",
                       r->code, s.class, s.subject, s.detail, s.class);
            registered(&s, fn, ctx);
        }
    }
}
