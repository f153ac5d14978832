/* ehlo.c - greeting and EHLO/HELO reply content checks (RFC 5321 §4.2,
 * §4.1.1.1, §2.2.2, §3.2; RFC 1870, RFC 4954, RFC 4422). */
#include "ehlo.h"

#include <stdlib.h>

#include "buf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum params {
    P_ANY = 0,      /* the extension defines its parameters; not checked */
    P_NONE,         /* the extension defines no parameter */
    P_SIZE,         /* RFC 1870: one optional decimal number */
    P_SASL          /* RFC 4954: one or more SASL mechanism names */
};

/* IANA "SMTP Service Extensions" (../shared/reference/smtp-facts.md). */
static const struct {
    const char *keyword;
    const char *rfc;
    enum params params;
} registry[] = {
    { "SEND", "RFC 821", P_NONE }, { "SOML", "RFC 821", P_NONE },
    { "SAML", "RFC 821", P_NONE }, { "VRFY", "RFC 821", P_ANY },
    { "EXPN", "RFC 821", P_ANY }, { "HELP", "RFC 821", P_ANY },
    { "TURN", "RFC 821", P_NONE },
    { "8BITMIME", "RFC 6152", P_NONE },
    { "SIZE", "RFC 1870", P_SIZE },
    { "VERB", "IANA (no RFC)", P_ANY }, { "ONEX", "IANA (no RFC)", P_ANY },
    { "CHUNKING", "RFC 3030", P_NONE }, { "BINARYMIME", "RFC 3030", P_NONE },
    { "CHECKPOINT", "RFC 1845", P_ANY },
    { "DELIVERBY", "RFC 2852", P_ANY },
    { "PIPELINING", "RFC 2920", P_NONE },
    { "DSN", "RFC 3461", P_NONE },
    { "ETRN", "RFC 1985", P_ANY },
    { "ENHANCEDSTATUSCODES", "RFC 2034", P_NONE },
    { "STARTTLS", "RFC 3207", P_NONE },
    { "NO-SOLICITING", "RFC 3865", P_ANY },
    { "MTRK", "RFC 3885", P_ANY },
    { "AUTH", "RFC 4954", P_SASL },
    { "ATRN", "RFC 2645", P_ANY },
    { "BURL", "RFC 4468", P_ANY },
    { "FUTURERELEASE", "RFC 4865", P_ANY },
    { "UTF8SMTP", "RFC 4952 (historic)", P_ANY },
    { "CONPERM", "RFC 4141", P_ANY }, { "CONNEG", "RFC 4141", P_ANY },
    { "SMTPUTF8", "RFC 6531", P_NONE },
    { "MT-PRIORITY", "RFC 6710", P_ANY },
    { "RRVS", "RFC 7293", P_ANY },
    { "REQUIRETLS", "RFC 8689", P_NONE },
    { "SUBMITTER", "RFC 4405 (historic)", P_ANY },
    { "LIMITS", "RFC 9422", P_ANY },
};

static const char *const check_names[CHECK_COUNT] = {
    "greeting", "ehlo-domain", "ehlo-keywords", "ehlo-registry",
    "ehlo-duplicates", "ehlo-params", "helo-reply",
};

int content_check_parse(const char *name)
{
    for (int i = 0; i < CHECK_COUNT; i++)
        if (strcmp(name, check_names[i]) == 0)
            return i;
    return -1;
}

const char *content_check_name(enum content_check c)
{
    return (unsigned)c < CHECK_COUNT ? check_names[c] : "?";
}

static int find_registered(const char *kw, size_t len)
{
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (strlen(registry[i].keyword) == len && strncasecmp(registry[i].keyword, kw, len) == 0)
            return (int)i;
    return -1;
}

const char *ehlo_registered(const char *kw, size_t len)
{
    int i = find_registered(kw, len);
    return i < 0 ? NULL : registry[i].rfc;
}

static void report(check_report_fn fn, void *ctx, enum verdict v, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Server text quoted in a reason: at most 60 bytes, as a wire string, in
 * a small ring of static buffers (a reason quotes at most two). */
static const char *quote(const char *s, size_t n)
{
    static _Thread_local char ring[2][256];
    static _Thread_local int next;
    char *esc = wire_escape(s, n > 60 ? 60 : n);
    char *out = ring[next++ % 2];
    snprintf(out, sizeof ring[0], "%s%s", esc ? esc : "?", n > 60 ? "..." : "");
    free(esc);
    return out;
}

static void report(check_report_fn fn, void *ctx, enum verdict v, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fn(ctx, v, msg);
}

/* ---- tokens ------------------------------------------------------------ */

/* RFC 5321 §4.1.2: Domain = sub-domain *("." sub-domain), sub-domain =
 * Let-dig [Ldh-str]; address-literal = "[" ( IPv4 / IPv6 / General ) "]".
 * The literal's inside is checked loosely (printable, no brackets). */
static int is_domain(const char *s, size_t n)
{
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        for (size_t i = 1; i + 1 < n; i++)
            if (s[i] <= ' ' || s[i] > '~' || s[i] == '[' || s[i] == ']' || s[i] == '\\')
                return 0;
        return n > 2;
    }
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return 0;
            label = 0;
        } else if (isalnum(c) || (c == '-' && label > 0)) {
            label++;
        } else {
            return 0;
        }
    }
    return label > 0 && s[n - 1] != '-';
}

static size_t word_len(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] != ' ')
        i++;
    return i;
}

/* ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
static int is_keyword(const char *s, size_t n)
{
    if (n == 0 || !isalnum((unsigned char)s[0]))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
            return 0;
    return 1;
}

/* ehlo-param = 1*(%d33-126) */
static int is_param(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126)
            return 0;
    return 1;
}

/* ---- the checks -------------------------------------------------------- */

static void check_greeting(const struct reply *r, check_report_fn fn, void *ctx)
{
    size_t len;
    const char *t = reply_line_text(r, 0, &len);
    if (r->code == 554 && len == 0 && r->nlines == 1)
        report(fn, ctx, V_WARN, "the 554 greeting has no text; RFC 5321 §3.1: a server "
               "returning a 554 response on connection opening SHOULD provide enough "
               "information in the reply text to facilitate debugging");
    if (r->code != 220)
        return;     /* the Greeting ABNF is for the 220 reply only */
    size_t w = word_len(t, len);
    if (!is_domain(t, w))
        report(fn, ctx, V_FAIL, "the 220 greeting does not start with the server's domain "
               "or address literal (got \"%s\"); RFC 5321 §4.2: Greeting = \"220 \" "
               "(Domain / address-literal) [ SP textstring ] CRLF", quote(t, w));
}

static void check_ehlo_domain(const struct reply *r, check_report_fn fn, void *ctx)
{
    size_t len;
    const char *t = reply_line_text(r, 0, &len);
    size_t w = word_len(t, len);
    if (!is_domain(t, w))
        report(fn, ctx, V_FAIL, "the first line of the EHLO reply does not start with the "
               "server's domain (got \"%s\"); RFC 5321 §4.1.1.1: ehlo-ok-rsp = "
               "\"250\" SP Domain ... / \"250-\" Domain ...", quote(t, w));
}

/* Calls each(ctx2, keyword, klen, params, plen, line) for lines 2..n. */
typedef void (*line_fn)(const struct reply *r, size_t line, const char *kw, size_t klen,
                        const char *params, size_t plen, check_report_fn fn, void *ctx);

static void each_line(const struct reply *r, line_fn f, check_report_fn fn, void *ctx)
{
    for (size_t i = 1; i < r->nlines; i++) {
        size_t len;
        const char *t = reply_line_text(r, i, &len);
        size_t k = word_len(t, len);
        const char *p = k < len ? t + k + 1 : t + len;
        f(r, i, t, k, p, len - (size_t)(p - t), fn, ctx);
    }
}

static void line_keywords(const struct reply *r, size_t line, const char *kw, size_t klen,
                          const char *params, size_t plen, check_report_fn fn, void *ctx)
{
    (void)r;
    if (klen > 5 && strncasecmp(kw, "AUTH=", 5) == 0) {
        report(fn, ctx, V_WARN, "EHLO line %zu \"%s\": the old AUTH= form for broken "
               "clients; \"=\" is not legal in an ehlo-keyword (RFC 5321 §4.1.1.1); "
               "RFC 4954 clients use the AUTH line", line + 1, quote(kw, klen));
        return;
    }
    if (!is_keyword(kw, klen))
        report(fn, ctx, V_FAIL, "EHLO line %zu: \"%s\" is not an ehlo-keyword; RFC 5321 "
               "§4.1.1.1: ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / \"-\")",
               line + 1, quote(kw, klen));
    while (plen > 0) {
        size_t w = word_len(params, plen);
        if (!is_param(params, w)) {
            report(fn, ctx, V_FAIL, "EHLO line %zu: parameter of %s is empty or has "
                   "control characters; RFC 5321 §4.1.1.1: ehlo-line = ehlo-keyword *( SP "
                   "ehlo-param ), ehlo-param = 1*(%%d33-126)", line + 1,
                   quote(kw, klen));
            return;
        }
        params += w < plen ? w + 1 : w;
        plen -= w < plen ? w + 1 : w;
    }
}

static void line_registry(const struct reply *r, size_t line, const char *kw, size_t klen,
                          const char *params, size_t plen, check_report_fn fn, void *ctx)
{
    (void)r, (void)params, (void)plen;
    if (klen == 0 || kw[0] == 'X' || kw[0] == 'x' || !is_keyword(kw, klen))
        return;     /* local extensions; grammar errors are ehlo-keywords' */
    if (!ehlo_registered(kw, klen))
        report(fn, ctx, V_FAIL, "EHLO line %zu: keyword %s is neither X-prefixed nor a "
               "registered SMTP service extension; RFC 5321 §2.2.2: a conforming server MUST "
               "NOT offer non-\"X\"-prefixed keyword values that are not described in a "
               "registered extension", line + 1, quote(kw, klen));
}

static void check_duplicates(const struct reply *r, check_report_fn fn, void *ctx)
{
    for (size_t i = 1; i < r->nlines; i++) {
        size_t li, lj;
        const char *a = reply_line_text(r, i, &li);
        size_t ka = word_len(a, li);
        for (size_t j = 1; j < i; j++) {
            const char *b = reply_line_text(r, j, &lj);
            if (word_len(b, lj) == ka && ka > 0 && strncasecmp(a, b, ka) == 0) {
                report(fn, ctx, V_PASS, "note: keyword %s is listed twice (lines %zu and "
                       "%zu); no RFC sentence forbids it, so it is reported, not judged",
                       quote(a, ka), j + 1, i + 1);
                break;
            }
        }
    }
}

/* sasl-mech = 1*20mech-char; mech-char = UPPER-ALPHA / DIGIT / "-" / "_"
 * (RFC 4422 §3.1) */
static int is_sasl_mech(const char *s, size_t n)
{
    if (n == 0 || n > 20)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(isupper((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
              s[i] == '-' || s[i] == '_'))
            return 0;
    return 1;
}

static void line_params(const struct reply *r, size_t line, const char *kw, size_t klen,
                        const char *params, size_t plen, check_report_fn fn, void *ctx)
{
    (void)r;
    int i = find_registered(kw, klen);
    if (i < 0)
        return;
    const char *name = registry[i].keyword, *rfc = registry[i].rfc;
    switch (registry[i].params) {
    case P_NONE:
        if (plen > 0)
            report(fn, ctx, V_WARN, "EHLO line %zu: %s has parameters (\"%s\") but %s "
                   "defines none for it", line + 1, name, quote(params, plen), rfc);
        break;
    case P_SIZE: {
        size_t w = word_len(params, plen);
        int digits = w == plen;
        for (size_t k = 0; k < w; k++)
            digits = digits && isdigit((unsigned char)params[k]);
        if (plen > 0 && !digits)
            report(fn, ctx, V_FAIL, "EHLO line %zu: SIZE parameter \"%s\" is not a "
                   "decimal number; RFC 1870 §3: one optional parameter, a decimal number "
                   "indicating the fixed maximum message size", line + 1,
                   quote(params, plen));
        break;
    }
    case P_SASL:
        if (plen == 0) {
            report(fn, ctx, V_WARN, "EHLO line %zu: AUTH lists no SASL mechanism; RFC "
                   "4954 §3: the AUTH parameter is a space-separated list of supported "
                   "SASL mechanisms", line + 1);
            break;
        }
        while (plen > 0) {
            size_t w = word_len(params, plen);
            if (!is_sasl_mech(params, w)) {
                report(fn, ctx, V_WARN, "EHLO line %zu: AUTH mechanism \"%s\" is not "
                       "a SASL mechanism name (RFC 4422 §3.1: 1 to 20 of A-Z 0-9 - _)",
                       line + 1, quote(params, w));
            }
            params += w < plen ? w + 1 : w;
            plen -= w < plen ? w + 1 : w;
        }
        break;
    case P_ANY:
        break;
    }
}

/* §3.2: "Servers MUST NOT return the extended EHLO-style response to a
 * HELO command."  A multiline HELO reply whose later lines are
 * registered keywords is such a response. */
static void check_helo_reply(const struct reply *r, check_report_fn fn, void *ctx)
{
    for (size_t i = 1; i < r->nlines; i++) {
        size_t len;
        const char *t = reply_line_text(r, i, &len);
        size_t k = word_len(t, len);
        if (ehlo_registered(t, k)) {
            report(fn, ctx, V_FAIL, "the HELO reply lists service extensions (%s on "
                   "line %zu); RFC 5321 §3.2: servers MUST NOT return the extended "
                   "EHLO-style response to a HELO command", quote(t, k), i + 1);
            return;
        }
    }
}

void content_check_run(enum content_check c, const struct reply *r,
                       check_report_fn fn, void *ctx)
{
    if (r->nlines == 0)
        return;
    if (c == CHECK_GREETING) {
        check_greeting(r, fn, ctx);
        return;
    }
    if (r->code < 200 || r->code > 299)
        return;     /* only positive EHLO/HELO replies have this content */
    switch (c) {
    case CHECK_EHLO_DOMAIN: check_ehlo_domain(r, fn, ctx); break;
    case CHECK_EHLO_KEYWORDS: each_line(r, line_keywords, fn, ctx); break;
    case CHECK_EHLO_REGISTRY: each_line(r, line_registry, fn, ctx); break;
    case CHECK_EHLO_DUPLICATES: check_duplicates(r, fn, ctx); break;
    case CHECK_EHLO_PARAMS: each_line(r, line_params, fn, ctx); break;
    case CHECK_HELO_REPLY: check_helo_reply(r, fn, ctx); break;
    default: break;
    }
}
