/* suite.c - parser for suite files (README, "Suite language").
 *
 * A file is a sequence of lines; each non-blank, non-comment line is a
 * directive word followed by its arguments.  The parser is a small state
 * machine: before the first "case" only suite directives are allowed;
 * inside a case, header directives (title, ref, needs, greeting) must come
 * before the first step. */
#include "suite.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codes.h"
#include "ehlo.h"

#define SUITE_FILE_MAX (4u << 20)   /* a suite file larger than this is refused */
#define REPEAT_MAX (1ul << 20)
#define EXPR_LITERAL_MAX (4ul << 20)
#define VAR_VALUE_MAX 255           /* the longest value an option gives a variable */

static const char *const var_names[VAR_COUNT] = {
    [VAR_HELO] = "helo",
    [VAR_MAIL_FROM] = "mail_from",
    [VAR_RCPT] = "rcpt",
    [VAR_RCPT2] = "rcpt2",
    [VAR_DOMAIN] = "domain",
    [VAR_SIZE_OVER] = "size_over",
    [VAR_SIZE_HUGE] = "size_huge",
    [VAR_AUTH_PLAIN] = "auth_plain",
    [VAR_AUTH_USER] = "auth_user",
    [VAR_AUTH_PASS] = "auth_pass",
    [VAR_AUTH_WRONG] = "auth_wrong",
    [VAR_RELAY_FROM] = "relay_from",
    [VAR_RELAY_TO] = "relay_to",
    [VAR_RELAY_USER] = "relay_user",
    [VAR_RELAY_DOMAIN] = "relay_domain",
    [VAR_RANDOM] = "random",
};

const char *var_name(enum var_id v)
{
    return (unsigned)v < VAR_COUNT ? var_names[v] : "?";
}

enum parse_state {
    PS_SUITE,       /* before the first case */
    PS_CASE_HEAD,   /* in a case, before its first step */
    PS_CASE_STEPS   /* in a case, after its first step */
};

struct parser {
    const char *name;
    int line;
    enum parse_state state;
    struct suite *suite;
    struct casedef *cur;
    char *err;
    size_t errlen;
};

static int perr(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int perr(struct parser *p, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "%s:%d: %s", p->name, p->line, msg);
    return -1;
}

static int oom(struct parser *p)
{
    return perr(p, "out of memory");
}

/* ---- small helpers ---------------------------------------------------- */

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static int grow(void **arr, size_t n, size_t size)
{
    /* grows to hold n+1 elements, doubling at powers of two */
    if (n & (n - 1))
        return 0;
    size_t cap = n ? n * 2 : 1;
    void *p = realloc(*arr, cap * size);
    if (!p)
        return -1;
    *arr = p;
    return 0;
}

static int push_str(char ***arr, size_t *n, const char *s)
{
    char *copy = strdup(s);
    if (!copy || grow((void **)arr, *n, sizeof **arr) != 0) {
        free(copy);
        return -1;
    }
    (*arr)[(*n)++] = copy;
    return 0;
}

static int valid_id(const char *s)
{
    if (!isalnum((unsigned char)*s))
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
            return 0;
    return 1;
}

/* ---- byte expressions --------------------------------------------------- */

static int add_part(struct atom *a, int var, const char *lit, size_t len)
{
    if (var < 0 && len == 0)
        return 0;
    if (var < 0 && a->nparts > 0 && a->parts[a->nparts - 1].var < 0) {
        struct tpart *last = &a->parts[a->nparts - 1];
        char *p = realloc(last->lit, last->len + len + 1);
        if (!p)
            return -1;
        memcpy(p + last->len, lit, len);
        last->lit = p;
        last->len += len;
        p[last->len] = '\0';
        return 0;
    }
    if (grow((void **)&a->parts, a->nparts, sizeof *a->parts) != 0)
        return -1;
    struct tpart *t = &a->parts[a->nparts];
    t->var = var;
    t->len = len;
    t->lit = NULL;
    if (var < 0 && !(t->lit = xstrndup(lit, len)))
        return -1;
    a->nparts++;
    return 0;
}

/* Parses "${name}" at s; returns the variable or -1 (with message). */
static int parse_var(struct parser *p, const char *s, const char **end)
{
    const char *close = strchr(s + 2, '}');
    if (!close)
        return perr(p, "unterminated ${...}");
    size_t n = (size_t)(close - (s + 2));
    for (int v = 0; v < VAR_COUNT; v++) {
        if (strlen(var_names[v]) == n && strncmp(s + 2, var_names[v], n) == 0) {
            *end = close + 1;
            return v;
        }
    }
    return perr(p, "unknown variable ${%.*s} (known: helo, mail_from, rcpt, rcpt2, domain)",
                (int)n, s + 2);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One escape after a backslash at s[0]; the byte goes to *out. */
static int parse_escape(struct parser *p, const char *s, char *out, const char **end)
{
    static const char simple[][2] = {
        { 'r', '\r' }, { 'n', '\n' }, { 't', '\t' }, { '0', '\0' },
        { '\\', '\\' }, { '"', '"' }, { '$', '$' },
    };
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
        if (s[1] == simple[i][0]) {
            *out = simple[i][1];
            *end = s + 2;
            return 0;
        }
    }
    if (s[1] == 'x') {
        int hi = s[2] ? hexval(s[2]) : -1, lo = hi >= 0 && s[3] ? hexval(s[3]) : -1;
        if (hi < 0 || lo < 0)
            return perr(p, "\\x needs two hex digits");
        *out = (char)(hi * 16 + lo);
        *end = s + 4;
        return 0;
    }
    if (s[1] == '\0')
        return perr(p, "unterminated string");
    return perr(p, "unknown escape \\%c (known: \\r \\n \\t \\0 \\\\ \\\" \\$ \\xHH)", s[1]);
}

/* Parses the quoted string at s (s[0] == '"') into atom a. */
static int parse_quoted(struct parser *p, const char *s, struct atom *a, const char **end)
{
    s++;
    for (;;) {
        const char *run = s;
        while (*s && *s != '"' && *s != '\\' && !(s[0] == '$' && s[1] == '{'))
            s++;
        if (add_part(a, -1, run, (size_t)(s - run)) != 0)
            return oom(p);
        if (*s == '"') {
            *end = s + 1;
            return 0;
        }
        if (*s == '\0')
            return perr(p, "unterminated string (missing closing \")");
        if (*s == '\\') {
            char c;
            if (parse_escape(p, s, &c, &s) != 0)
                return -1;
            if (add_part(a, -1, &c, 1) != 0)
                return oom(p);
        } else {
            int v = parse_var(p, s, &s);
            if (v < 0 || add_part(a, v, NULL, 0) != 0)
                return v < 0 ? -1 : oom(p);
        }
    }
}

/* "*N" after a quoted string. */
static int parse_repeat(struct parser *p, const char *s, unsigned long *n, const char **end)
{
    char *e;
    errno = 0;
    unsigned long v = strtoul(s + 1, &e, 10);
    if (e == s + 1 || errno || v == 0 || v > REPEAT_MAX)
        return perr(p, "repeat count after * must be 1..%lu", REPEAT_MAX);
    *n = v;
    *end = e;
    return 0;
}

/* The most bytes e can expand to: a variable counts as its longest value. */
static size_t expr_literal_size(const struct bytes_expr *e)
{
    size_t total = 0;
    for (size_t i = 0; i < e->natoms; i++) {
        size_t one = 0;
        for (size_t j = 0; j < e->atoms[i].nparts; j++)
            one += e->atoms[i].parts[j].var >= 0 ? VAR_VALUE_MAX : e->atoms[i].parts[j].len;
        total += one * e->atoms[i].repeat;
    }
    return total;
}

/* A sequence of quoted strings, each optionally followed by *N.  Stops
 * at the end of the line or at the first bare word (returned in *rest). */
static int parse_expr(struct parser *p, const char *s, struct bytes_expr *e, const char **rest)
{
    s = skip_ws(s);
    while (*s == '"') {
        if (grow((void **)&e->atoms, e->natoms, sizeof *e->atoms) != 0)
            return oom(p);
        struct atom *a = &e->atoms[e->natoms++];
        memset(a, 0, sizeof *a);
        a->repeat = 1;
        if (parse_quoted(p, s, a, &s) != 0)
            return -1;
        if (*s == '*' && parse_repeat(p, s, &a->repeat, &s) != 0)
            return -1;
        if (*s && *s != ' ' && *s != '\t')
            return perr(p, "expected a space after a quoted string");
        s = skip_ws(s);
    }
    if (e->natoms == 0)
        return perr(p, "expected a quoted string");
    if (expr_literal_size(e) > EXPR_LITERAL_MAX)
        return perr(p, "expression longer than %lu bytes", EXPR_LITERAL_MAX);
    *rest = s;
    return 0;
}

/* Unquoted "send" text: literal bytes with ${var}. */
static int parse_plain(struct parser *p, const char *s, struct bytes_expr *e)
{
    if (grow((void **)&e->atoms, 0, sizeof *e->atoms) != 0)
        return oom(p);
    struct atom *a = &e->atoms[0];
    memset(a, 0, sizeof *a);
    a->repeat = 1;
    e->natoms = 1;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    const char *end = s + n;
    while (s < end) {
        const char *run = s;
        while (s < end && !(s[0] == '$' && s[1] == '{'))
            s++;
        if (add_part(a, -1, run, (size_t)(s - run)) != 0)
            return oom(p);
        if (s < end) {
            int v = parse_var(p, s, &s);
            if (v < 0 || add_part(a, v, NULL, 0) != 0)
                return v < 0 ? -1 : oom(p);
        }
    }
    return 0;
}

static int expr_uses(const struct bytes_expr *e, enum var_id v)
{
    for (size_t i = 0; i < e->natoms; i++)
        for (size_t j = 0; j < e->atoms[i].nparts; j++)
            if (e->atoms[i].parts[j].var == (int)v)
                return 1;
    return 0;
}

int case_uses_var(const struct casedef *c, enum var_id v)
{
    for (size_t i = 0; i < c->nsteps; i++)
        if ((c->steps[i].kind == STEP_SEND || c->steps[i].kind == STEP_WRITE) &&
            expr_uses(&c->steps[i].expr, v))
            return 1;
    return 0;
}

static void expr_free(struct bytes_expr *e)
{
    for (size_t i = 0; i < e->natoms; i++) {
        for (size_t j = 0; j < e->atoms[i].nparts; j++)
            free(e->atoms[i].parts[j].lit);
        free(e->atoms[i].parts);
    }
    free(e->atoms);
    memset(e, 0, sizeof *e);
}

int expr_expand(const struct bytes_expr *e, const struct vars *vars, struct buf *out)
{
    for (size_t i = 0; i < e->natoms; i++) {
        const struct atom *a = &e->atoms[i];
        for (unsigned long r = 0; r < a->repeat; r++) {
            for (size_t j = 0; j < a->nparts; j++) {
                const struct tpart *t = &a->parts[j];
                const char *s = t->var < 0 ? t->lit : vars->value[t->var];
                size_t len = t->var < 0 ? t->len : (s ? strlen(s) : 0);
                if (!s || buf_append(out, s, len) != 0)
                    return -1;
            }
        }
    }
    return e->crlf ? buf_append(out, "\r\n", 2) : 0;
}

/* ---- code lists and levels --------------------------------------------- */

static void codeset_add(struct codeset *s, int code)
{
    s->bits[code / 8] |= (unsigned char)(1u << (code % 8));
}

static void codeset_del(struct codeset *s, int code)
{
    s->bits[code / 8] &= (unsigned char)~(1u << (code % 8));
}

/* "250", "2xx", "503,554", "4xx,5xx"; "!500,!502" is every code 200..599
 * but those (a list that starts with a "!" item starts from all codes). */
static int parse_codes(struct parser *p, const char *word, struct codeset *set)
{
    memset(set, 0, sizeof *set);
    if (word[0] == '!')
        for (int c = 200; c < 600; c++)
            codeset_add(set, c);
    const char *s = word;
    for (;;) {
        int neg = *s == '!';
        s += neg;
        size_t n = strcspn(s, ",");
        if (n != 3 || s[0] < '2' || s[0] > '5')
            return perr(p, "bad code \"%.*s\": expected a code 200..599 or a class 2xx..5xx",
                        (int)n, s);
        int lo, hi;
        if ((s[1] == 'x' || s[1] == 'X') && (s[2] == 'x' || s[2] == 'X')) {
            lo = (s[0] - '0') * 100;
            hi = lo + 99;
        } else if (isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2])) {
            lo = hi = atoi(s) % 1000;
        } else {
            return perr(p, "bad code \"%.*s\": expected a code 200..599 or a class 2xx..5xx",
                        (int)n, s);
        }
        for (int c = lo; c <= hi; c++)
            neg ? codeset_del(set, c) : codeset_add(set, c);
        if (s[n] == '\0')
            return 0;
        s += n + 1;
    }
}

/* Next whitespace-separated word of *s into word (bounded). */
static int next_word(const char **s, char *word, size_t len)
{
    const char *p = skip_ws(*s);
    size_t n = strcspn(p, " \t");
    if (n == 0 || n >= len)
        return n == 0 ? 0 : -1;
    memcpy(word, p, n);
    word[n] = '\0';
    *s = p + n;
    return 1;
}

/* The rule id that ends a judging step: one word, nothing after it.  The
 * id is checked against the catalog by suite_resolve_rules(). */
static int parse_rule(struct parser *p, const char *s, const char *directive, struct step *st)
{
    char word[128];
    const char *rest = s;
    int got = next_word(&rest, word, sizeof word);
    if (got == 1 && *skip_ws(rest) == '\0' && *word != '"') {
        for (const char *c = word; *c; c++)
            if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '.' &&
                *c != '-')
                return perr(p, "%s: \"%s\" is not a rule id (a-z, 0-9, '.', '-'; see "
                            "--list-rules)", directive, word);
        st->rule_id = strdup(word);
        return st->rule_id ? 0 : oom(p);
    }
    if (strchr(s, '"'))
        return perr(p, "%s ends with the id of the rule it judges by; a quoted reason is "
                    "no longer taken (the rule's quote is the reason)", directive);
    return perr(p, "%s ends with the id of the rule it judges by (see --list-rules)",
                directive);
}

/* The quoted reason that ends require and control. */
static int parse_why(struct parser *p, const char *s, const char *directive, struct step *st)
{
    s = skip_ws(s);
    const char *close = *s == '"' ? strchr(s + 1, '"') : NULL;
    if (!close || *skip_ws(close + 1) != '\0')
        return perr(p, "%s needs one quoted reason at the end of the line, shown when "
                    "the case is skipped", directive);
    st->why = xstrndup(s + 1, (size_t)(close - s - 1));
    return st->why ? 0 : oom(p);
}

/* ---- directives ---------------------------------------------------------- */

static struct step *new_step(struct parser *p, enum step_kind kind)
{
    struct casedef *c = p->cur;
    if (grow((void **)&c->steps, c->nsteps, sizeof *c->steps) != 0) {
        oom(p);
        return NULL;
    }
    struct step *st = &c->steps[c->nsteps++];
    memset(st, 0, sizeof *st);
    st->kind = kind;
    st->line = p->line;
    p->state = PS_CASE_STEPS;
    return st;
}

static int table_command(struct parser *p, const char *name, char **out)
{
    if (!codes_is_command(name))
        return perr(p, "unknown command \"%s\" for the code table", name);
    *out = strdup(name);
    for (char *c = *out; c && *c; c++)
        *c = (char)toupper((unsigned char)*c);
    return *out ? 0 : oom(p);
}

/* send / sendraw / write */
static int d_send(struct parser *p, const char *arg, enum step_kind kind, int crlf)
{
    struct step *st = new_step(p, kind);
    if (!st)
        return -1;
    st->expr.crlf = crlf;
    if (*arg != '"') {
        if (kind != STEP_SEND || !crlf)
            return perr(p, "sendraw and write take quoted strings");
        if (*arg == '\0')
            return perr(p, "send needs a command line");
        return parse_plain(p, arg, &st->expr);
    }
    const char *rest = "";
    if (parse_expr(p, arg, &st->expr, &rest) != 0)
        return -1;
    if (*rest == '\0')
        return 0;
    char word[32], cmd[32];
    if (kind == STEP_SEND && next_word(&rest, word, sizeof word) == 1 &&
        strcmp(word, "as") == 0 && next_word(&rest, cmd, sizeof cmd) == 1 &&
        *skip_ws(rest) == '\0')
        return table_command(p, cmd, &st->cmd);
    return perr(p, "unexpected \"%s\" after the strings%s", rest,
                kind == STEP_SEND ? " (only \"as COMMAND\" may follow)" : "");
}

static int d_read(struct parser *p, const char *arg)
{
    struct step *st = new_step(p, STEP_READ);
    char cmd[32];
    if (!st)
        return -1;
    if (next_word(&arg, cmd, sizeof cmd) != 1)
        return perr(p, "read needs one table command, e.g. \"read END-OF-DATA\"");
    if (table_command(p, cmd, &st->cmd) != 0)
        return -1;
    /* read CMD RULE: a reply must come; none in time breaks RULE */
    return *skip_ws(arg) ? parse_rule(p, arg, "read", st) : 0;
}

static const char *step_directive(enum step_kind kind)
{
    return kind == STEP_EXPECT ? "expect" : kind == STEP_REQUIRE ? "require"
           : kind == STEP_END_UNLESS ? "end-unless" : "control";
}

/* expect CODES RULE | require CODES "why" | control CODES "why" */
static int d_expect(struct parser *p, const char *arg, enum step_kind kind)
{
    char word[128];
    struct step *st = new_step(p, kind);
    if (!st)
        return -1;
    if (next_word(&arg, word, sizeof word) != 1)
        return perr(p, "%s needs a code list, e.g. 250 or 4xx,5xx", step_directive(kind));
    if (parse_codes(p, word, &st->codes) != 0)
        return -1;
    if (!(st->codes_text = strdup(word)))
        return oom(p);
    if (kind == STEP_EXPECT)
        return parse_rule(p, arg, "expect", st);
    if (kind == STEP_END_UNLESS)
        return *skip_ws(arg) ? perr(p, "end-unless takes only a code list") : 0;
    return parse_why(p, arg, step_directive(kind), st);
}

/* A step that starts with a number of seconds (0 < SECS <= max_secs),
 * into within_ms; *arg moves past it.  NULL after an error. */
static struct step *timed_step(struct parser *p, const char **arg, enum step_kind kind,
                               const char *directive, double max_secs)
{
    char word[32], *end;
    struct step *st = new_step(p, kind);
    if (!st)
        return NULL;
    if (next_word(arg, word, sizeof word) != 1) {
        perr(p, "%s needs a number of seconds", directive);
        return NULL;
    }
    double secs = strtod(word, &end);
    if (*end != '\0' || !(secs > 0) || secs > max_secs) {
        perr(p, "%s: \"%s\" is not a number of seconds%s", directive, word,
             max_secs == 10 ? " from 0 to 10" : "");
        return NULL;
    }
    st->within_ms = (long)(secs * 1000);
    return st;
}

static int d_expect_close(struct parser *p, const char *arg)
{
    struct step *st = new_step(p, STEP_EXPECT_CLOSE);
    return st ? parse_rule(p, arg, "expect-close", st) : -1;
}

static int d_expect_no_more(struct parser *p, const char *arg)
{
    struct step *st = new_step(p, STEP_EXPECT_NO_MORE);
    return st ? parse_rule(p, arg, "expect-no-more", st) : -1;
}

/* expect-silence SECS RULE: message data was written that must not end
 * the data; a 2yz reply within SECS breaks RULE. */
static int d_expect_silence(struct parser *p, const char *arg)
{
    struct step *st = timed_step(p, &arg, STEP_EXPECT_SILENCE, "expect-silence", 10);
    return st ? parse_rule(p, arg, "expect-silence", st) : -1;
}

/* expect-same-code [RULE]: without RULE a difference is a note. */
static int d_expect_same_code(struct parser *p, const char *arg)
{
    struct step *st = new_step(p, STEP_EXPECT_SAME_CODE);
    if (!st)
        return -1;
    return *skip_ws(arg) ? parse_rule(p, arg, "expect-same-code", st) : 0;
}

/* starttls RULE: the handshake after a 220 to STARTTLS; RULE is what a
 * failed handshake breaks. */
static int d_starttls(struct parser *p, const char *arg)
{
    struct step *st = new_step(p, STEP_STARTTLS);
    return st ? parse_rule(p, arg, "starttls", st) : -1;
}

static int d_certificate(struct parser *p, const char *arg)
{
    if (*skip_ws(arg))
        return perr(p, "certificate takes no argument");
    return new_step(p, STEP_CERTIFICATE) ? 0 : -1;
}

static int d_check(struct parser *p, const char *arg)
{
    struct step *st = new_step(p, STEP_CHECK);
    if (!st)
        return -1;
    st->check = content_check_parse(arg);
    if (st->check < 0)
        return perr(p, "unknown check \"%s\" (greeting, ehlo-domain, ehlo-keywords, "
                    "ehlo-registry, ehlo-duplicates, ehlo-params, helo-reply, no-starttls, "
                    "auth-plaintext)", arg);
    return 0;
}

static int d_expect_keyword(struct parser *p, const char *arg)
{
    char word[64];
    struct step *st = new_step(p, STEP_EXPECT_KEYWORD);
    if (!st)
        return -1;
    if (next_word(&arg, word, sizeof word) != 1)
        return perr(p, "expect-keyword needs an EHLO keyword");
    for (char *c = word; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    if (!(st->keyword = strdup(word)))
        return oom(p);
    return parse_rule(p, arg, "expect-keyword", st);
}

static int d_expect_within(struct parser *p, const char *arg)
{
    struct step *st = timed_step(p, &arg, STEP_EXPECT_WITHIN, "expect-within", 86400);
    return st ? parse_rule(p, arg, "expect-within", st) : -1;
}

/* pause SECS: wait, sending nothing (at most 10 s). */
static int d_pause(struct parser *p, const char *arg)
{
    if (!timed_step(p, &arg, STEP_PAUSE, "pause", 10))
        return -1;
    return *skip_ws(arg) ? perr(p, "pause needs a number of seconds") : 0;
}

static int d_needs(struct parser *p, const char *arg)
{
    char what[32], val[64];
    int got = next_word(&arg, what, sizeof what);
    if (got == 1 && (strcmp(what, "rcpt") == 0 || strcmp(what, "rcpt2") == 0) &&
        *skip_ws(arg) == '\0') {
        p->cur->needs_rcpt = strcmp(what, "rcpt2") == 0 ? 2 : 1;
        return 0;
    }
    if (got == 1 && strcmp(what, "plaintext") == 0 && *skip_ws(arg) == '\0') {
        p->cur->plaintext = 1;
        return 0;
    }
    if (got == 1 && strcmp(what, "tls") == 0 && *skip_ws(arg) == '\0') {
        p->cur->needs_tls = 1;
        return 0;
    }
    if (got == 1 && strcmp(what, "auth") == 0 && *skip_ws(arg) == '\0') {
        p->cur->needs_auth = 1;
        return 0;
    }
    if (got == 1 && next_word(&arg, val, sizeof val) == 1 && *skip_ws(arg) == '\0') {
        if (strcmp(what, "ext") == 0 || strcmp(what, "no-ext") == 0) {
            for (char *c = val; *c; c++)
                *c = (char)toupper((unsigned char)*c);
            if (what[0] == 'n')
                return push_str(&p->cur->needs_no_ext, &p->cur->nneeds_no_ext, val)
                       ? oom(p) : 0;
            return push_str(&p->cur->needs_ext, &p->cur->nneeds_ext, val) ? oom(p) : 0;
        }
        if (strcmp(what, "profile") == 0) {
            p->cur->profile = profile_parse(val);
            return p->cur->profile < 0 ? perr(p, "unknown profile \"%s\" (rfc5321, rfc821)", val) : 0;
        }
    }
    return perr(p, "needs takes: rcpt | rcpt2 | plaintext | tls | auth | ext KEYWORD | no-ext KEYWORD | "
                "profile rfc5321|rfc821");
}

static int d_greeting(struct parser *p, const char *arg)
{
    static const char *const modes[] = { "accept", "refuse", "any", "early" };
    for (int i = 0; i < 4; i++) {
        if (strcmp(arg, modes[i]) == 0) {
            p->cur->greeting = (enum greeting_mode)i;
            return 0;
        }
    }
    return perr(p, "greeting takes accept, refuse, any or early");
}

/* A case header directive that takes one quoted reason into *field:
 * close-permitted (closes before QUIT are not judged) and codes-not-judged
 * (replies outside their code set are notes). */
static int d_reason(struct parser *p, const char *arg, const char *directive, char **field)
{
    struct step tmp = { 0 };
    if (*field)
        return perr(p, "%s given twice", directive);
    if (parse_why(p, arg, directive, &tmp) != 0)
        return -1;
    *field = tmp.why;
    return 0;
}

/* advisory TEXT | fix TEXT: a security probe's advisory and its fix. */
static int d_text(struct parser *p, const char *arg, const char *directive, char **field)
{
    if (*field)
        return perr(p, "%s given twice", directive);
    if (*arg == '\0')
        return perr(p, "%s needs text", directive);
    return (*field = strdup(arg)) ? 0 : oom(p);
}

static int d_suite(struct parser *p, const char *arg)
{
    if (p->suite->id)
        return perr(p, "only one \"suite\" line per file");
    if (!valid_id(arg))
        return perr(p, "bad suite id \"%s\": letters, digits, - and _", arg);
    return (p->suite->id = strdup(arg)) ? 0 : oom(p);
}

static int d_case(struct parser *p, const char *arg)
{
    struct suite *s = p->suite;
    if (!valid_id(arg))
        return perr(p, "bad case id \"%s\": letters, digits, - and _", arg);
    char *id = xasprintf("%s.%s", s->id, arg);
    if (!id)
        return oom(p);
    for (size_t i = 0; i < s->ncases; i++) {
        if (strcmp(s->cases[i].id, id) == 0) {
            free(id);
            return perr(p, "duplicate case id \"%s\" (first at line %d)", arg, s->cases[i].line);
        }
    }
    if (grow((void **)&s->cases, s->ncases, sizeof *s->cases) != 0) {
        free(id);
        return oom(p);
    }
    p->cur = &s->cases[s->ncases++];
    memset(p->cur, 0, sizeof *p->cur);
    p->cur->id = id;
    p->cur->line = p->line;
    p->cur->profile = -1;
    p->state = PS_CASE_HEAD;
    return 0;
}

static int d_title(struct parser *p, const char *arg)
{
    char **slot = p->state == PS_SUITE ? &p->suite->title : &p->cur->title;
    if (*slot)
        return perr(p, "title given twice");
    if (*arg == '\0')
        return perr(p, "title needs text");
    return (*slot = strdup(arg)) ? 0 : oom(p);
}

static int d_ref(struct parser *p, const char *arg)
{
    if (*arg == '\0')
        return perr(p, "ref needs text, e.g. \"RFC 5321 §4.1.4\"");
    if (p->state == PS_SUITE)
        return push_str(&p->suite->refs, &p->suite->nrefs, arg) ? oom(p) : 0;
    return push_str(&p->cur->refs, &p->cur->nrefs, arg) ? oom(p) : 0;
}

/* Which directives are allowed where. */
enum scope { IN_SUITE = 1, IN_HEAD = 2, IN_STEPS = 4 };

static int dispatch(struct parser *p, const char *word, const char *arg)
{
    static const struct {
        const char *word;
        unsigned scope;
    } scopes[] = {
        { "suite", IN_SUITE }, { "case", IN_SUITE | IN_HEAD | IN_STEPS },
        { "title", IN_SUITE | IN_HEAD }, { "ref", IN_SUITE | IN_HEAD },
        { "needs", IN_HEAD }, { "greeting", IN_HEAD }, { "close-permitted", IN_HEAD },
        { "codes-not-judged", IN_HEAD }, { "advisory", IN_HEAD }, { "fix", IN_HEAD },
        { "send", IN_HEAD | IN_STEPS }, { "sendraw", IN_HEAD | IN_STEPS },
        { "write", IN_HEAD | IN_STEPS }, { "read", IN_HEAD | IN_STEPS },
        { "expect", IN_HEAD | IN_STEPS }, { "expect-close", IN_HEAD | IN_STEPS },
        { "require", IN_HEAD | IN_STEPS }, { "control", IN_HEAD | IN_STEPS },
        { "check", IN_HEAD | IN_STEPS },
        { "expect-keyword", IN_HEAD | IN_STEPS }, { "expect-within", IN_HEAD | IN_STEPS },
        { "expect-no-more", IN_HEAD | IN_STEPS }, { "starttls", IN_HEAD | IN_STEPS },
        { "certificate", IN_HEAD | IN_STEPS }, { "pause", IN_HEAD | IN_STEPS },
        { "expect-silence", IN_HEAD | IN_STEPS }, { "expect-same-code", IN_HEAD | IN_STEPS },
        { "end-unless", IN_HEAD | IN_STEPS },
    };
    unsigned here = p->state == PS_SUITE ? IN_SUITE : p->state == PS_CASE_HEAD ? IN_HEAD : IN_STEPS;
    size_t i;
    for (i = 0; i < sizeof scopes / sizeof scopes[0]; i++)
        if (strcmp(word, scopes[i].word) == 0)
            break;
    if (i == sizeof scopes / sizeof scopes[0])
        return perr(p, "unknown directive \"%s\"", word);
    if (!(scopes[i].scope & here)) {
        if (here == IN_STEPS)
            return perr(p, "\"%s\" must come before the case's first step", word);
        if (here == IN_SUITE)
            return perr(p, "\"%s\" is only allowed inside a case", word);
        return perr(p, "\"%s\" is only allowed before the first case", word);
    }
    if (strcmp(word, "suite") != 0 && !p->suite->id)
        return perr(p, "the file must start with \"suite ID\"");
    if (!strcmp(word, "suite")) return d_suite(p, arg);
    if (!strcmp(word, "case")) return d_case(p, arg);
    if (!strcmp(word, "title")) return d_title(p, arg);
    if (!strcmp(word, "ref")) return d_ref(p, arg);
    if (!strcmp(word, "needs")) return d_needs(p, arg);
    if (!strcmp(word, "greeting")) return d_greeting(p, arg);
    if (!strcmp(word, "close-permitted"))
        return d_reason(p, arg, word, &p->cur->close_permitted);
    if (!strcmp(word, "codes-not-judged"))
        return d_reason(p, arg, word, &p->cur->codes_not_judged);
    if (!strcmp(word, "advisory")) return d_text(p, arg, word, &p->cur->advisory);
    if (!strcmp(word, "fix")) return d_text(p, arg, word, &p->cur->fix);
    if (!strcmp(word, "send")) return d_send(p, arg, STEP_SEND, 1);
    if (!strcmp(word, "sendraw")) return d_send(p, arg, STEP_SEND, 0);
    if (!strcmp(word, "write")) return d_send(p, arg, STEP_WRITE, 0);
    if (!strcmp(word, "read")) return d_read(p, arg);
    if (!strcmp(word, "expect")) return d_expect(p, arg, STEP_EXPECT);
    if (!strcmp(word, "require")) return d_expect(p, arg, STEP_REQUIRE);
    if (!strcmp(word, "control")) return d_expect(p, arg, STEP_CONTROL);
    if (!strcmp(word, "end-unless")) return d_expect(p, arg, STEP_END_UNLESS);
    if (!strcmp(word, "check")) return d_check(p, arg);
    if (!strcmp(word, "expect-keyword")) return d_expect_keyword(p, arg);
    if (!strcmp(word, "expect-within")) return d_expect_within(p, arg);
    if (!strcmp(word, "expect-no-more")) return d_expect_no_more(p, arg);
    if (!strcmp(word, "starttls")) return d_starttls(p, arg);
    if (!strcmp(word, "certificate")) return d_certificate(p, arg);
    if (!strcmp(word, "pause")) return d_pause(p, arg);
    if (!strcmp(word, "expect-silence")) return d_expect_silence(p, arg);
    if (!strcmp(word, "expect-same-code")) return d_expect_same_code(p, arg);
    return d_expect_close(p, arg);
}

/* Checks made once a case is complete. */
static int finish_case(struct parser *p, struct casedef *c)
{
    if (!c)
        return 0;
    int saved = p->line;
    if (!c->title) {
        p->line = c->line;
        return perr(p, "case \"%s\" has no title", c->id);
    }
    for (size_t i = 0; i < c->nsteps; i++) {
        const struct step *st = &c->steps[i];
        p->line = st->line;
        if ((st->kind == STEP_SEND || st->kind == STEP_WRITE) && !c->needs_rcpt &&
            (expr_uses(&st->expr, VAR_RCPT) || expr_uses(&st->expr, VAR_RCPT2)))
            return perr(p, "${rcpt} is only allowed in cases with \"needs rcpt\"");
        if ((st->kind == STEP_SEND || st->kind == STEP_WRITE) && !c->needs_auth &&
            (expr_uses(&st->expr, VAR_AUTH_PLAIN) || expr_uses(&st->expr, VAR_AUTH_USER) ||
             expr_uses(&st->expr, VAR_AUTH_PASS) || expr_uses(&st->expr, VAR_AUTH_WRONG)))
            return perr(p, "${auth_...} is only allowed in cases with \"needs auth\"");
        if (st->kind == STEP_EXPECT_CLOSE && i == 0)
            return perr(p, "expect-close must follow a send");
        if (st->kind == STEP_EXPECT_SILENCE && (i == 0 || c->steps[i - 1].kind != STEP_WRITE))
            return perr(p, "expect-silence must follow a write (of message data)");
    }
    p->line = c->line;
    if (!c->advisory != !c->fix)
        return perr(p, "case \"%s\": advisory and fix go together (a security probe has both)",
                    c->id);
    p->line = saved;
    return 0;
}

static int parse_line(struct parser *p, char *line)
{
    char *s = (char *)skip_ws(line);
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    if (*s == '\0' || *s == '#')
        return 0;
    char *word = s;
    s += strcspn(s, " \t");
    if (*s)
        *s++ = '\0';
    const char *arg = skip_ws(s);
    if (strcmp(word, "case") == 0 && finish_case(p, p->cur) != 0)
        return -1;
    /* "send" keeps its text as written (after one separator). */
    return dispatch(p, word, arg);
}

int suite_parse(const char *name, const char *text, size_t len,
                struct suite **out, char *err, size_t errlen)
{
    struct parser p = { .name = name, .err = err, .errlen = errlen };
    *out = NULL;
    if (memchr(text, '\0', len)) {
        snprintf(err, errlen, "%s:1: the file contains a NUL byte", name);
        return -1;
    }
    p.suite = calloc(1, sizeof *p.suite);
    if (!p.suite || !(p.suite->path = strdup(name))) {
        free(p.suite);
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    int rc = 0;
    const char *pos = text, *end = text + len;
    while (rc == 0 && pos < end) {
        const char *nl = memchr(pos, '\n', (size_t)(end - pos));
        size_t n = nl ? (size_t)(nl - pos) : (size_t)(end - pos);
        char *line = xstrndup(pos, n);
        p.line++;
        if (line && !utf8_valid(line, n))
            rc = perr(&p, "the line is not valid UTF-8 (write bytes as \\xHH in strings)");
        else
            rc = line ? parse_line(&p, line) : oom(&p);
        free(line);
        pos += n + 1;
    }
    if (rc == 0 && !p.suite->id) {
        p.line = p.line ? p.line : 1;
        rc = perr(&p, "the file must start with \"suite ID\"");
    }
    if (rc == 0)
        rc = finish_case(&p, p.cur);
    if (rc == 0 && !p.suite->title) {
        p.line = 1;
        rc = perr(&p, "suite \"%s\" has no title", p.suite->id);
    }
    for (size_t i = 0; i < p.suite->ncases; i++)
        p.suite->cases[i].suite = p.suite;
    if (rc != 0) {
        suite_free(p.suite);
        return -1;
    }
    *out = p.suite;
    return 0;
}

int suite_load(const char *path, struct suite **out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    *out = NULL;
    if (!f) {
        snprintf(err, errlen, "%s:0: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct buf b = BUF_INIT;
    char chunk[8192];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + n > SUITE_FILE_MAX) {
            snprintf(err, errlen, "%s:0: file larger than %u bytes", path, SUITE_FILE_MAX);
            rc = -1;
        } else if (buf_append(&b, chunk, n) != 0) {
            snprintf(err, errlen, "%s:0: out of memory", path);
            rc = -1;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s:0: read error", path);
        rc = -1;
    }
    fclose(f);
    if (rc == 0)
        rc = suite_parse(path, b.data ? b.data : "", b.len, out, err, errlen);
    buf_free(&b);
    return rc;
}

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void suite_free(struct suite *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ncases; i++) {
        struct casedef *c = &s->cases[i];
        for (size_t j = 0; j < c->nsteps; j++) {
            expr_free(&c->steps[j].expr);
            free(c->steps[j].cmd);
            free(c->steps[j].codes_text);
            free(c->steps[j].why);
            free(c->steps[j].keyword);
            free(c->steps[j].rule_id);
        }
        free(c->steps);
        free(c->id);
        free(c->title);
        free(c->close_permitted);
        free(c->codes_not_judged);
        free(c->advisory);
        free(c->fix);
        free_strs(c->refs, c->nrefs);
        free_strs(c->needs_ext, c->nneeds_ext);
        free_strs(c->needs_no_ext, c->nneeds_no_ext);
    }
    free(s->cases);
    free(s->id);
    free(s->title);
    free(s->path);
    free_strs(s->refs, s->nrefs);
    free(s);
}

int suite_resolve_rules(struct suite *s, const struct catalog *cat, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->ncases; i++) {
        struct casedef *c = &s->cases[i];
        for (size_t j = 0; j < c->nsteps; j++) {
            struct step *st = &c->steps[j];
            if (!st->rule_id)
                continue;
            st->rule = catalog_find(cat, st->rule_id);
            if (!st->rule) {
                snprintf(err, errlen, "%s:%d: unknown rule \"%s\" (not in the catalog; "
                         "see --list-rules)", s->path, st->line, st->rule_id);
                return -1;
            }
            if (st->rule->binds_client) {
                snprintf(err, errlen, "%s:%d: rule %s binds clients; it cannot judge a "
                         "server", s->path, st->line, st->rule_id);
                return -1;
            }
        }
    }
    return 0;
}
