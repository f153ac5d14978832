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

/* IANA "SMTP Service Extensions" (../shared/reference/smtp-facts.md).
 * For P_NONE, rule names the sentence that says the keyword takes no
 * parameter; keywords whose RFC says nothing of it are P_ANY. */
static const struct {
    const char *keyword;
    const char *rfc;
    enum params params;
    const char *rule;
} registry[] = {
    { "SEND", "RFC 821", P_ANY, NULL }, { "SOML", "RFC 821", P_ANY, NULL },
    { "SAML", "RFC 821", P_ANY, NULL }, { "VRFY", "RFC 821", P_ANY, NULL },
    { "EXPN", "RFC 821", P_ANY, NULL }, { "HELP", "RFC 821", P_ANY, NULL },
    { "TURN", "RFC 821", P_ANY, NULL },
    { "8BITMIME", "RFC 6152", P_NONE, "6152-2-8bitmime-no-param" },
    { "SIZE", "RFC 1870", P_SIZE, NULL },
    { "VERB", "IANA (no RFC)", P_ANY, NULL }, { "ONEX", "IANA (no RFC)", P_ANY, NULL },
    { "CHUNKING", "RFC 3030", P_ANY, NULL },
    { "BINARYMIME", "RFC 3030", P_NONE, "3030-3-binarymime-no-param" },
    { "CHECKPOINT", "RFC 1845", P_ANY, NULL },
    { "DELIVERBY", "RFC 2852", P_ANY, NULL },
    { "PIPELINING", "RFC 2920", P_NONE, "2920-2-pipelining-no-param" },
    { "DSN", "RFC 3461", P_NONE, "3461-2-dsn-no-param" },
    { "ETRN", "RFC 1985", P_ANY, NULL },
    { "ENHANCEDSTATUSCODES", "RFC 2034", P_NONE, "2034-3-enhancedstatuscodes-no-param" },
    { "STARTTLS", "RFC 3207", P_NONE, "3207-2-starttls-no-param" },
    { "NO-SOLICITING", "RFC 3865", P_ANY, NULL },
    { "MTRK", "RFC 3885", P_ANY, NULL },
    { "AUTH", "RFC 4954", P_SASL, NULL },
    { "ATRN", "RFC 2645", P_ANY, NULL },
    { "BURL", "RFC 4468", P_ANY, NULL },
    { "FUTURERELEASE", "RFC 4865", P_ANY, NULL },
    { "UTF8SMTP", "RFC 4952 (historic)", P_ANY, NULL },
    { "CONPERM", "RFC 4141", P_ANY, NULL }, { "CONNEG", "RFC 4141", P_ANY, NULL },
    { "SMTPUTF8", "RFC 6531", P_NONE, "6531-3.1-smtputf8-no-param" },
    { "MT-PRIORITY", "RFC 6710", P_ANY, NULL },
    { "RRVS", "RFC 7293", P_ANY, NULL },
    { "REQUIRETLS", "RFC 8689", P_ANY, NULL },
    { "SUBMITTER", "RFC 4405 (historic)", P_ANY, NULL },
    { "LIMITS", "RFC 9422", P_ANY, NULL },
};

static const char *const check_names[CHECK_COUNT] = {
    "greeting", "ehlo-domain", "ehlo-keywords", "ehlo-registry",
    "ehlo-duplicates", "ehlo-params", "helo-reply", "no-starttls", "auth-plaintext",
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

/* Keywords that advertise a command of another name (RFC 3030 §2). */
static const struct {
    const char *verb;
    const char *keyword;
} verb_keywords[] = {
    { "BDAT", "CHUNKING" },
};

const char *ehlo_keyword_for_verb(const char *verb)
{
    for (size_t i = 0; i < sizeof verb_keywords / sizeof verb_keywords[0]; i++)
        if (strcasecmp(verb_keywords[i].verb, verb) == 0)
            return verb_keywords[i].keyword;
    int i = find_registered(verb, strlen(verb));
    return i < 0 ? NULL : registry[i].keyword;
}

const char *ehlo_registered(const char *kw, size_t len)
{
    int i = find_registered(kw, len);
    return i < 0 ? NULL : registry[i].rfc;
}

/* The catalog rule behind each finding (rules/ehlo.rules). */
#define R_GREETING "5321-4.2-greeting-abnf"
#define R_554_TEXT "5321-3.1-554-text"
#define R_EHLO_DOMAIN "5321-4.1.1.1-ehlo-ok-rsp-abnf"
#define R_KEYWORD "5321-4.1.1.1-ehlo-keyword-abnf"
#define R_PARAM "5321-4.1.1.1-ehlo-param-abnf"
#define R_REGISTERED "5321-2.2.2-registered-keywords"
#define R_SIZE "1870-3-size-param"
#define R_AUTH "4954-3-auth-mechanisms"
#define R_HELO "5321-3.2-helo-not-extended"
#define R_TLS_ADVERTISED "3207-4.2-no-starttls-after-tls"
#define R_PLAIN_PASSWORDS "4954-4-no-plaintext-passwords"
#define NOTE NULL           /* reported, not judged */

static const char *const check_rules[] = {
    R_GREETING, R_554_TEXT, R_EHLO_DOMAIN, R_KEYWORD, R_PARAM, R_REGISTERED,
    R_SIZE, R_AUTH, R_HELO, R_TLS_ADVERTISED, R_PLAIN_PASSWORDS,
};

/* The fixed rules, then the registry's no-parameter rules. */
const char *content_check_rule(size_t i)
{
    size_t fixed = sizeof check_rules / sizeof check_rules[0];
    if (i < fixed)
        return check_rules[i];
    for (size_t k = 0; k < sizeof registry / sizeof registry[0]; k++)
        if (registry[k].rule && i-- == fixed)
            return registry[k].rule;
    return NULL;
}


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

void content_report(check_report_fn fn, void *ctx, const char *rule, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fn(ctx, rule, msg);
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
        content_report(fn, ctx, R_554_TEXT, "the 554 greeting has no text");
    if (r->code != 220)
        return;     /* the Greeting ABNF is for the 220 reply only */
    size_t w = word_len(t, len);
    if (!is_domain(t, w))
        content_report(fn, ctx, R_GREETING, "the 220 greeting does not start with the server's "
               "domain or address literal (got \"%s\")", quote(t, w));
}

static void check_ehlo_domain(const struct reply *r, check_report_fn fn, void *ctx)
{
    size_t len;
    const char *t = reply_line_text(r, 0, &len);
    size_t w = word_len(t, len);
    if (!is_domain(t, w))
        content_report(fn, ctx, R_EHLO_DOMAIN, "the first line of the EHLO reply does not start "
               "with the server's domain (got \"%s\")", quote(t, w));
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
    if (!is_keyword(kw, klen))
        content_report(fn, ctx, R_KEYWORD, "EHLO line %zu: \"%s\" is not an ehlo-keyword",
               line + 1, quote(kw, klen));
    while (plen > 0) {
        size_t w = word_len(params, plen);
        if (!is_param(params, w)) {
            content_report(fn, ctx, R_PARAM, "EHLO line %zu: a parameter of %s is empty or has "
                   "control characters", line + 1, quote(kw, klen));
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
        content_report(fn, ctx, R_REGISTERED, "EHLO line %zu: keyword %s is neither X-prefixed "
               "nor a registered SMTP service extension", line + 1, quote(kw, klen));
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
                content_report(fn, ctx, NOTE, "note: keyword %s is listed twice (lines %zu and "
                       "%zu); no RFC sentence forbids it, so it is reported, not judged",
                       quote(a, ka), j + 1, i + 1);
                break;
            }
        }
    }
}

/* sasl-mech = 1*20mech-char; mech-char = UPPER-ALPHA / DIGIT / "-" / "_"
 * (RFC 4422 §3.1); RFC 4954 compares mechanism names without case. */
static int is_sasl_mech(const char *s, size_t n)
{
    if (n == 0 || n > 20)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(isalpha((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
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
            content_report(fn, ctx, registry[i].rule, "EHLO line %zu: %s has parameters (\"%s\") but %s "
                   "defines none for it", line + 1, name, quote(params, plen), rfc);
        break;
    case P_SIZE: {
        size_t w = word_len(params, plen);
        int digits = w == plen;
        for (size_t k = 0; k < w; k++)
            digits = digits && isdigit((unsigned char)params[k]);
        if (plen > 0 && !digits)
            content_report(fn, ctx, R_SIZE, "EHLO line %zu: SIZE parameter \"%s\" is not a "
                   "decimal number", line + 1, quote(params, plen));
        break;
    }
    case P_SASL:
        if (plen == 0) {
            content_report(fn, ctx, R_AUTH, "EHLO line %zu: AUTH lists no SASL mechanism", line + 1);
            break;
        }
        while (plen > 0) {
            size_t w = word_len(params, plen);
            if (!is_sasl_mech(params, w)) {
                content_report(fn, ctx, R_AUTH, "EHLO line %zu: AUTH mechanism \"%s\" is not a SASL "
                       "mechanism name (1 to 20 of A-Z 0-9 - _)", line + 1, quote(params, w));
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
            content_report(fn, ctx, R_HELO, "the HELO reply lists service extensions (%s on line %zu)",
                   quote(t, k), i + 1);
            return;
        }
    }
}

/* Over TLS, the EHLO reply must not offer STARTTLS again. */
static void check_no_starttls(const struct reply *r, check_report_fn fn, void *ctx)
{
    for (size_t i = 1; i < r->nlines; i++) {
        size_t len;
        const char *t = reply_line_text(r, i, &len);
        size_t k = word_len(t, len);
        if (k == 8 && strncasecmp(t, "STARTTLS", 8) == 0) {
            content_report(fn, ctx, R_TLS_ADVERTISED, "the EHLO reply over TLS lists STARTTLS "
                   "(line %zu)", i + 1);
            return;
        }
    }
}

/* AUTH (or the old AUTH=) lines listing PLAIN or LOGIN, the mechanisms
 * that send the password itself (RFC 4616, and LOGIN's Base64). */
static void check_auth_plaintext(const struct reply *r, check_report_fn fn, void *ctx)
{
    for (size_t i = 1; i < r->nlines; i++) {
        size_t len;
        const char *t = reply_line_text(r, i, &len);
        if (len < 5 || strncasecmp(t, "AUTH", 4) != 0 || (t[4] != ' ' && t[4] != '='))
            continue;
        for (size_t k = 5; k < len;) {
            size_t n = word_len(t + k, len - k);
            if ((n == 5 && strncasecmp(t + k, "PLAIN", 5) == 0) ||
                (n == 5 && strncasecmp(t + k, "LOGIN", 5) == 0)) {
                content_report(fn, ctx, R_PLAIN_PASSWORDS, "the EHLO reply in plaintext "
                               "offers AUTH %.5s (line %zu), a mechanism that sends the "
                               "password itself", t + k, i + 1);
                return;
            }
            k += n ? n : 1;
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
    case CHECK_NO_STARTTLS: check_no_starttls(r, fn, ctx); break;
    case CHECK_AUTH_PLAINTEXT: check_auth_plaintext(r, fn, ctx); break;
    default: break;
    }
}
