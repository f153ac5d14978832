/* test_judge.c - the judge (judge.h): exchanges built by hand, judged
 * against a small catalog parsed from a string.  No sockets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/buf.h"
#include "../../src/ehlo.h"
#include "../../src/judge.h"
#include "../../src/reply.h"
#include "../../src/result.h"
#include "../../src/rules.h"
#include "../../src/suite.h"
#include "tap.h"

#define S(lit) lit, sizeof(lit) - 1

/* ---- a small catalog ------------------------------------------------------ */

/* The built-in rules, with the keywords of rules/reply.rules (the quotes
 * here are placeholders: only the keyword matters to the judge). */
static const struct {
    const char *id;
    const char *keyword;
} builtins[] = {
    { "5321-4.3.2-three-digit-codes", "MUST NOT" },
    { "5321-4.2-reply-code-abnf", "ABNF" },
    { "5321-4.2-reply-line-abnf", "ABNF" },
    { "5321-4.2.1-multiline-same-code", "MUST" },
    { "5321-2.3.8-crlf-only", "MUST NOT" },
    { "5321-4.2-textstring-abnf", "ABNF" },
    { "5321-4.2.1-sp-after-code", "SHOULD" },
    { "5321-4.5.3.1-size-limits", "SHOULD" },
    { "5321-4.3.1-command-codes", "SHOULD" },
    { "5321-4.2-listed-codes", "SHOULD" },
    { "5321-4.2.4-unrecognized-500", "SHOULD" },
    { "5321-4.1.4-ehlo-refusal-codes", "MUST" },
    { "821-4.3-command-codes", "must" },
    { "5321-4.2-one-reply", "MUST" },
    { "5321-3.8-no-close", "MUST NOT" },
    { "5321-3.8-close-on-unknown", "VIOLATION" },
    { "5321-4.2.4-no-unimplemented-capabilities", "MUST NOT" },
    { "8314-4.4-valid-certificates", "MUST" },
    { "3207-4-starttls-codes", "NONE" },
    { "4954-6-auth-codes", "NONE" },
    { "3030-2-bdat-replies", "MUST" },
    { "2034-4-status-code-present", "must" },
    { "2034-4-class-agrees", "must" },
    { "2034-4-same-code-each-line", "must" },
    { "3463-2-status-code-abnf", "MUST" },
    { "3463-2-registered-codes", "NONE" },
};

/* Rules for the suite steps: one per level, and a client rule. */
static const char step_rules[] =
    "rule t-must\ntitle T\nsource RFC 5321 §3.3\nbinds server\nkeyword MUST\nquote It MUST.\n"
    "rule t-must-not\ntitle T\nsource RFC 5321 §3.3\nbinds server\nkeyword MUST NOT\n"
    "quote It MUST NOT.\n"
    "rule t-should\ntitle T\nsource RFC 5321 §3.3\nbinds server\nkeyword SHOULD\n"
    "quote It SHOULD.\n"
    "rule t-may\ntitle T\nsource RFC 5321 §3.3\nbinds server\nkeyword MAY\nquote It MAY.\n"
    "rule t-none\ntitle T\nsource RFC 5321 §3.3\nbinds server\nkeyword NONE\nquote It is.\n"
    "rule t-client\ntitle T\nsource RFC 5321 §4.1.4\nbinds client\nkeyword MUST\n"
    "quote The client MUST.\n";

/* Appends one rule to text. */
static void add_rule(struct buf *text, const char *id, const char *keyword, const char *binds)
{
    buf_printf(text, "rule %s\ntitle T\nsource RFC 5321 §4.2\nbinds %s\nkeyword %s\n"
               "quote A %s placeholder.\n\n", id, binds, keyword, keyword);
}

/* A catalog with every built-in rule but skip (NULL: none skipped);
 * client_id (if not NULL) is made a client rule.  Content-check rules
 * are ABNF (fail). */
static struct catalog *make_catalog(const char *skip, const char *client_id)
{
    struct buf text = BUF_INIT;
    char err[512] = "";
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (!skip || strcmp(builtins[i].id, skip) != 0)
            add_rule(&text, builtins[i].id, builtins[i].keyword,
                     client_id && strcmp(client_id, builtins[i].id) == 0 ? "client" : "server");
    for (size_t i = 0; content_check_rule(i); i++) {
        const char *id = content_check_rule(i);
        if (!skip || strcmp(id, skip) != 0)
            add_rule(&text, id, "ABNF",
                     client_id && strcmp(client_id, id) == 0 ? "client" : "server");
    }
    buf_puts(&text, step_rules);
    struct catalog *cat = calloc(1, sizeof *cat);
    if (!cat || catalog_parse(cat, "mem.rules", text.data, text.len, err, sizeof err) != 0) {
        tap_diag("catalog_parse: %s", err);
        catalog_free(cat);
        cat = NULL;
    }
    buf_free(&text);
    return cat;
}

static struct catalog *cat;    /* the full one */

/* ---- exchanges -------------------------------------------------------------- */

/* An exchange for table command cmd whose reply is raw[0..n). */
static void ex_init(struct exchange *ex, const char *cmd, const char *raw, size_t n)
{
    memset(ex, 0, sizeof *ex);
    ex->table_cmd = strdup(cmd);
    if (raw) {
        buf_append(&ex->received, raw, n);
        ex->has_reply = reply_parse(raw, n, &ex->reply) == 0;
    }
}

static struct judge_ctx ctx5321(void)
{
    return (struct judge_ctx){ .cat = cat, .profile = PROFILE_RFC5321 };
}

/* Does ex have a finding citing rule id (NULL: a finding without a rule)
 * with verdict v?  Returns its index or -1. */
static int find(const struct exchange *ex, const char *id, enum verdict v)
{
    for (size_t i = 0; i < ex->nfindings; i++) {
        const struct finding *f = &ex->findings[i];
        int rule_ok = id ? f->rule && strcmp(f->rule->id, id) == 0 : f->rule == NULL;
        if (rule_ok && f->verdict == v)
            return (int)i;
    }
    return -1;
}

/* A one-line description of ex's findings, for failure messages. */
static const char *show(const struct exchange *ex)
{
    static char out[1024];
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < ex->nfindings && o < sizeof out - 1; i++) {
        int n = snprintf(out + o, sizeof out - o, "%s{%s %s: %s}", i ? " " : "",
                         verdict_name(ex->findings[i].verdict),
                         ex->findings[i].rule ? ex->findings[i].rule->id : "-",
                         ex->findings[i].message);
        if (n < 0)
            break;
        o += (size_t)n;
    }
    return ex->nfindings ? out : "(no findings)";
}

/* judge_reply on cmd / raw must give exactly one finding, citing id with
 * verdict v (id NULL: no rule). */
static void check_one(const struct judge_ctx *j, const char *label, const char *cmd,
                      const char *raw, size_t n, const char *id, enum verdict v)
{
    struct exchange ex;
    char name[300];
    ex_init(&ex, cmd, raw, n);
    judge_reply(j, &ex);
    snprintf(name, sizeof name, "%s: one finding, %s [%s]", label, verdict_name(v),
             id ? id : "no rule");
    tap_result_(ex.nfindings == 1 && find(&ex, id, v) == 0, name, "got %s", show(&ex));
    snprintf(name, sizeof name, "%s: the exchange's verdict and rule", label);
    tap_result_(ex.verdict == v && (id ? ex.rule && strcmp(ex.rule->id, id) == 0
                                       : ex.rule == NULL),
                name, "verdict %s, rule %s", verdict_name(ex.verdict),
                ex.rule ? ex.rule->id : "-");
    exchange_free(&ex);
}

static void check_clean(const struct judge_ctx *j, const char *label, const char *cmd,
                        const char *raw, size_t n)
{
    struct exchange ex;
    char name[300];
    ex_init(&ex, cmd, raw, n);
    judge_reply(j, &ex);
    snprintf(name, sizeof name, "%s: no finding, pass", label);
    tap_result_(ex.nfindings == 0 && ex.verdict == V_PASS && ex.rule == NULL, name, "got %s",
                show(&ex));
    exchange_free(&ex);
}

/* ---- judge_reply: syntax ------------------------------------------------------ */

static void test_syntax(void)
{
    struct judge_ctx j = ctx5321();
    check_clean(&j, "NOOP 250", "NOOP", S("250 OK\r\n"));
    check_clean(&j, "EHLO multiline", "EHLO", S("250-x.example\r\n250-SIZE 10\r\n250 HELP\r\n"));
    check_clean(&j, "greeting 220", "GREETING", S("220 x.example ESMTP\r\n"));

    check_one(&j, "bare LF", "NOOP", S("250 OK\n"), "5321-2.3.8-crlf-only", V_FAIL);
    check_one(&j, "bare CR", "NOOP", S("250 O\rK\r\n"), "5321-4.2-textstring-abnf", V_FAIL);
    check_one(&j, "code only", "NOOP", S("250\r\n"), "5321-4.2.1-sp-after-code", V_WARN);
    check_one(&j, "no separator", "NOOP", S("250x\r\n"), "5321-4.2-reply-line-abnf", V_FAIL);
    check_one(&j, "unterminated", "NOOP", S("250 OK"), "5321-4.2-reply-line-abnf", V_FAIL);
    check_one(&j, "lines disagree", "NOOP", S("250-a\r\n251 b\r\n"),
              "5321-4.2.1-multiline-same-code", V_FAIL);
    check_one(&j, "not digits", "NOOP", S("hello\r\n"), "5321-4.3.2-three-digit-codes", V_FAIL);
    /* a code outside 200..599 is judged by syntax alone, not by the table */
    check_one(&j, "first digit 1", "NOOP", S("150 x\r\n"), "5321-4.3.2-three-digit-codes",
              V_FAIL);
    check_one(&j, "first digit 6", "NOOP", S("650 x\r\n"), "5321-4.3.2-three-digit-codes",
              V_FAIL);

    /* second digit 6..9: the ABNF, and the table (no RFC 5321 code is 26x) */
    struct exchange ex;
    ex_init(&ex, "NOOP", S("260 x\r\n"));
    judge_reply(&j, &ex);
    tap_result_(ex.nfindings == 2 && find(&ex, "5321-4.2-reply-code-abnf", V_FAIL) >= 0 &&
                find(&ex, "5321-4.2-listed-codes", V_WARN) >= 0,
                "260: reply-code ABNF fail and listed-codes warn", "got %s", show(&ex));
    CHECK_INT(ex.verdict, V_FAIL, "260: exchange verdict is the worst, fail");
    CHECK_STR(ex.rule ? ex.rule->id : NULL, "5321-4.2-reply-code-abnf",
              "260: the exchange cites the fail's rule");
    CHECK_CONTAINS(ex.reason.data, "[5321-4.2-reply-code-abnf]", "260: reason names the rule");
    exchange_free(&ex);

    /* a long line */
    char big[600];
    memcpy(big, "250 ", 4);
    memset(big + 4, 'x', 520);
    memcpy(big + 524, "\r\n", 2);
    check_one(&j, "long line", "NOOP", big, 526, "5321-4.5.3.1-size-limits", V_WARN);

    /* every defect cites exactly the rule reply_defect_info names */
    static const struct {
        enum reply_defect d;
        const char *raw;
    } one[] = {
        { RD_NOT_DIGITS, "hello\r\n" }, { RD_FIRST_DIGIT, "150 x\r\n" },
        { RD_NO_SEPARATOR, "250x\r\n" }, { RD_CODE_MISMATCH, "250-a\r\n251 b\r\n" },
        { RD_BARE_LF, "250 x\n" }, { RD_BARE_CR, "250 x\ry\r\n" },
        { RD_UNTERMINATED, "250 x" }, { RD_CODE_ONLY, "250\r\n" },
    };
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
        const struct reply_defect_info *di = reply_defect_info(one[i].d);
        const struct rule *r = di ? catalog_find(cat, di->rule) : NULL;
        char name[200];
        ex_init(&ex, "NOOP", one[i].raw, strlen(one[i].raw));
        judge_reply(&j, &ex);
        snprintf(name, sizeof name, "defect %d (%s) cites %s at its keyword's verdict",
                 (int)one[i].d, di ? di->what : "?", di ? di->rule : "?");
        tap_result_(r && find(&ex, r->id, r->verdict) >= 0, name, "got %s", show(&ex));
        exchange_free(&ex);
    }

    /* every finding of a judged reply carries its rule (never a bare fail) */
    ex_init(&ex, "MAIL", S("354-a\n355 b"));
    judge_reply(&j, &ex);
    int all_cited = ex.nfindings > 0;
    for (size_t i = 0; i < ex.nfindings; i++)
        all_cited &= ex.findings[i].rule != NULL && ex.findings[i].message[0] != '\0';
    tap_result_(all_cited, "several defects: every finding cites a rule and says what",
                "got %s", show(&ex));
    exchange_free(&ex);
}

/* ---- judge_reply: the code table ---------------------------------------------- */

static void test_codes(void)
{
    struct judge_ctx j = ctx5321();
    check_one(&j, "MAIL 354", "MAIL", S("354 go\r\n"), "5321-4.3.1-command-codes", V_WARN);
    check_one(&j, "HELP 250", "HELP", S("250 help\r\n"), "5321-4.3.1-command-codes", V_WARN);
    check_one(&j, "DATA 250", "DATA", S("250 ok\r\n"), "5321-4.3.1-command-codes", V_WARN);
    check_one(&j, "greeting 500", "GREETING", S("500 x\r\n"), "5321-4.3.1-command-codes",
              V_WARN);
    check_one(&j, "NOOP 200", "NOOP", S("200 ok\r\n"), "5321-4.2-listed-codes", V_WARN);
    check_one(&j, "MAIL 259", "MAIL", S("259 no\r\n"), "5321-4.2-listed-codes", V_WARN);
    check_one(&j, "MAIL 556", "MAIL", S("556 no\r\n"), "5321-4.3.1-command-codes", V_WARN);
    check_one(&j, "unknown 502", "UNKNOWN", S("502 no\r\n"), "5321-4.2.4-unrecognized-500",
              V_WARN);
    check_one(&j, "unknown 250", "UNKNOWN", S("250 ok\r\n"), "5321-4.2.4-unrecognized-500",
              V_WARN);
    check_clean(&j, "unknown 500", "UNKNOWN", S("500 what?\r\n"));
    check_clean(&j, "MAIL 501", "MAIL", S("501 syntax\r\n"));

    /* the exchange keeps the table check */
    struct exchange ex;
    ex_init(&ex, "MAIL", S("354 go\r\n"));
    judge_reply(&j, &ex);
    CHECK(ex.checked && ex.check.nallowed > 0 && ex.check.rule &&
          strcmp(ex.check.rule, "5321-4.3.1-command-codes") == 0,
          "MAIL 354: the exchange holds the table check");
    CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "354",
                   "MAIL 354: the message names the code");
    exchange_free(&ex);
    ex_init(&ex, "NOOP", S("hello\r\n"));
    judge_reply(&j, &ex);
    CHECK(!ex.checked, "no code: no table check");
    exchange_free(&ex);

    /* rfc821 profile */
    struct judge_ctx j821 = { .cat = cat, .profile = PROFILE_RFC821 };
    check_one(&j821, "rfc821 MAIL 503", "MAIL", S("503 seq\r\n"), "821-4.3-command-codes",
              V_FAIL);
    check_one(&j821, "rfc821 UNKNOWN 502", "UNKNOWN", S("502 no\r\n"),
              "821-4.3-command-codes", V_FAIL);
    check_clean(&j821, "rfc821 NOOP 200", "NOOP", S("200 ok\r\n"));

    /* after a 554 greeting, 503 answers any command (§3.1) */
    struct judge_ctx jref = { .cat = cat, .profile = PROFILE_RFC5321, .refused = 1 };
    check_clean(&jref, "refused: NOOP 503", "NOOP", S("503 no service\r\n"));
    check_one(&j, "not refused: NOOP 503", "NOOP", S("503 no\r\n"), "5321-4.3.1-command-codes",
              V_WARN);

    /* 421: inconclusive, whatever the table says; no rule */
    check_one(&j, "NOOP 421", "NOOP", S("421 bye\r\n"), NULL, V_ERROR);
    check_one(&j, "UNKNOWN 421", "UNKNOWN", S("421 bye\r\n"), NULL, V_ERROR);
    check_one(&j, "greeting 421", "GREETING", S("421 busy\r\n"), NULL, V_ERROR);
    check_one(&j, "HELP 421", "HELP", S("421 bye\r\n"), NULL, V_ERROR);
    check_one(&j821, "rfc821 QUIT 421", "QUIT", S("421 bye\r\n"), NULL, V_ERROR);
    ex_init(&ex, "NOOP", S("421 bye\r\n"));
    judge_reply(&j, &ex);
    CHECK_CONTAINS(ex.reason.data, "inconclusive", "421: the reason says inconclusive");
    exchange_free(&ex);
    /* a 421 with a syntax defect: the defect is still judged */
    ex_init(&ex, "NOOP", S("421 bye\n"));
    judge_reply(&j, &ex);
    tap_result_(ex.nfindings == 2 && find(&ex, "5321-2.3.8-crlf-only", V_FAIL) >= 0 &&
                find(&ex, NULL, V_ERROR) >= 0, "421 with bare LF: crlf fail and 421 error",
                "got %s", show(&ex));
    exchange_free(&ex);
}

/* ---- §4.2.4: an advertised command answered 500/502 ------------------------- */

/* ex for the command line sent, answered raw. */
static void ex_sent(struct exchange *ex, const char *cmd, const char *sent, const char *raw)
{
    ex_init(ex, cmd, raw, strlen(raw));
    buf_puts(&ex->sent, sent);
}

static void test_advertised(void)
{
    struct judge_ctx j = { .cat = cat, .profile = PROFILE_RFC5321, .extended = 1,
                           .keywords = "PIPELINING SIZE HELP VRFY 8BITMIME" };
    struct exchange ex;
    const char *R = "5321-4.2.4-no-unimplemented-capabilities";

    ex_sent(&ex, "HELP", "HELP\r\n", "502 not implemented\r\n");
    judge_reply(&j, &ex);
    tap_result_(ex.nfindings == 1 && find(&ex, R, V_FAIL) == 0,
                "HELP listed in EHLO, answered 502: no-unimplemented-capabilities", "got %s",
                show(&ex));
    CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "HELP",
                   "advertised: the message names the keyword");
    exchange_free(&ex);

    ex_sent(&ex, "VRFY", "VRFY postmaster\r\n", "500 unknown\r\n");
    judge_reply(&j, &ex);
    tap_result_(find(&ex, R, V_FAIL) >= 0, "VRFY listed, answered 500: judged", "got %s",
                show(&ex));
    exchange_free(&ex);

    ex_sent(&ex, "HELP", "HELP\r\n", "214 see the docs\r\n");
    judge_reply(&j, &ex);
    CHECK_INT(ex.nfindings, 0, "HELP listed, answered 214: no finding");
    exchange_free(&ex);

    ex_sent(&ex, "HELP", "HELP\r\n", "504 no\r\n");
    judge_reply(&j, &ex);
    CHECK(find(&ex, R, V_FAIL) < 0, "HELP listed, answered 504: not this rule");
    exchange_free(&ex);

    ex_sent(&ex, "EXPN", "EXPN staff\r\n", "502 no\r\n");
    judge_reply(&j, &ex);
    CHECK_INT(ex.nfindings, 0, "EXPN not listed, answered 502: no finding");
    exchange_free(&ex);

    /* a 500 to a line that is not a plain command may be about the line */
    ex_sent(&ex, "HELP", "HELP \x01\r\n", "500 bad\r\n");
    judge_reply(&j, &ex);
    CHECK(find(&ex, R, V_FAIL) < 0, "HELP with a control character, 500: not this rule");
    exchange_free(&ex);

    /* without a 250 to EHLO on this connection, nothing was advertised */
    struct judge_ctx jh = j;
    jh.extended = 0;
    ex_sent(&ex, "HELP", "HELP\r\n", "502 not implemented\r\n");
    judge_reply(&jh, &ex);
    CHECK_INT(ex.nfindings, 0, "not extended (HELO session): no finding");
    exchange_free(&ex);

    /* 421 is inconclusive, never this rule */
    ex_sent(&ex, "HELP", "HELP\r\n", "421 bye\r\n");
    judge_reply(&j, &ex);
    tap_result_(ex.nfindings == 1 && find(&ex, NULL, V_ERROR) == 0,
                "HELP listed, answered 421: error only", "got %s", show(&ex));
    exchange_free(&ex);
}

/* ---- closes and extra replies -------------------------------------------------- */

static void test_close(void)
{
    struct judge_ctx j = ctx5321();
    struct exchange ex;

    ex_init(&ex, "UNKNOWN", S("500 what\r\n"));
    judge_close(&j, &ex, 1);
    tap_result_(ex.nfindings == 1 && find(&ex, "5321-3.8-close-on-unknown", V_FAIL) == 0,
                "close after a reply to UNKNOWN: close-on-unknown (VIOLATION, fail)", "got %s",
                show(&ex));
    CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "after its reply",
                   "close after a reply: the message says so");
    exchange_free(&ex);

    ex_init(&ex, "UNKNOWN", NULL, 0);
    judge_close(&j, &ex, 0);
    tap_result_(ex.nfindings == 1 && find(&ex, "5321-3.8-close-on-unknown", V_FAIL) == 0,
                "close without a reply to UNKNOWN: close-on-unknown", "got %s", show(&ex));
    CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "without a reply",
                   "close without a reply: the message says so");
    exchange_free(&ex);

    ex_init(&ex, "NOOP", S("250 ok\r\n"));
    judge_close(&j, &ex, 1);
    tap_result_(ex.nfindings == 1 && find(&ex, "5321-3.8-no-close", V_FAIL) == 0,
                "close after NOOP: no-close (MUST NOT, fail)", "got %s", show(&ex));
    exchange_free(&ex);

    ex_init(&ex, "MAIL", NULL, 0);
    judge_close(&j, &ex, 0);
    tap_result_(ex.nfindings == 1 && find(&ex, "5321-3.8-no-close", V_FAIL) == 0,
                "close without a reply to MAIL: no-close", "got %s", show(&ex));
    CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "MAIL",
                   "close: the message names the command");
    exchange_free(&ex);

    ex_init(&ex, "GREETING", S("220 x.example\r\n"));
    judge_close(&j, &ex, 1);
    tap_result_(ex.nfindings == 1 && find(&ex, "5321-3.8-no-close", V_FAIL) == 0,
                "close after the greeting: no-close", "got %s", show(&ex));
    CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "the greeting",
                   "close after the greeting: message says 'the greeting'");
    exchange_free(&ex);

    /* after a 521 greeting the server may close (RFC 7504 §3): a note */
    struct judge_ctx j521 = ctx5321();
    j521.refused = 521;
    ex_init(&ex, "MAIL", NULL, 0);
    judge_close(&j521, &ex, 0);
    tap_result_(ex.nfindings == 1 && ex.findings[0].rule == NULL && ex.verdict == V_PASS,
                "close after a 521 greeting: a note, not judged", "got %s", show(&ex));
    exchange_free(&ex);
    struct judge_ctx j554 = ctx5321();
    j554.refused = 554;
    ex_init(&ex, "MAIL", NULL, 0);
    judge_close(&j554, &ex, 0);
    tap_result_(find(&ex, "5321-3.8-no-close", V_FAIL) == 0,
                "close after a 554 greeting: still no-close", "got %s", show(&ex));
    exchange_free(&ex);

    /* replies out of step: an earlier exchange got two replies, so a later
     * close is a note */
    {
        struct case_result res;
        struct exchange exs[2];
        memset(&res, 0, sizeof res);
        ex_init(&exs[0], "NOOP", S("250 ok\r\n"));
        judge_extra_reply(&j, &exs[0], 10);
        ex_init(&exs[1], "NOOP", NULL, 0);
        res.ex = exs;
        res.nex = 2;
        struct judge_ctx js = ctx5321();
        js.so_far = &res;
        judge_close(&js, &exs[1], 0);
        tap_result_(exs[1].nfindings == 1 && exs[1].findings[0].rule == NULL &&
                    exs[1].verdict == V_PASS, "close after replies got out of step: a note",
                    "got %s", show(&exs[1]));
        /* the close seen right after the extra reply, on the same exchange */
        judge_close(&js, &exs[0], 1);
        tap_result_(find(&exs[0], "5321-3.8-no-close", V_FAIL) < 0,
                    "close right after an extra reply: not judged", "got %s",
                    show(&exs[0]));
        exchange_free(&exs[0]);
        exchange_free(&exs[1]);
    }

    /* a case whose probe may look like an attack (close-permitted) */
    struct judge_ctx jp = ctx5321();
    jp.close_permitted = "looks like an attack";
    ex_init(&ex, "UNKNOWN", S("221 bye\r\n"));
    judge_close(&jp, &ex, 1);
    tap_result_(ex.nfindings == 1 && ex.findings[0].rule == NULL && ex.verdict == V_PASS,
                "close-permitted: the close is a note", "got %s", show(&ex));
    CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "looks like an attack",
                   "close-permitted: the note gives the case's reason");
    exchange_free(&ex);

    /* the same close under rfc821 cites the same rules */
    struct judge_ctx j821 = { .cat = cat, .profile = PROFILE_RFC821 };
    ex_init(&ex, "UNKNOWN", S("500 what\r\n"));
    judge_close(&j821, &ex, 1);
    tap_result_(find(&ex, "5321-3.8-close-on-unknown", V_FAIL) == 0,
                "rfc821: close after UNKNOWN is close-on-unknown", "got %s", show(&ex));
    exchange_free(&ex);

    ex_init(&ex, "NOOP", S("250 ok\r\n"));
    judge_extra_reply(&j, &ex, 17);
    tap_result_(ex.nfindings == 1 && find(&ex, "5321-4.2-one-reply", V_FAIL) == 0,
                "extra bytes after a reply: one-reply (MUST, fail)", "got %s", show(&ex));
    CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "17",
                   "extra reply: the message gives the byte count");
    exchange_free(&ex);
}

/* ---- the suite's judging steps ---------------------------------------------- */

/* A step of kind k with code set codes (NULL: none) judging by rule id. */
static void step_init(struct step *st, enum step_kind k, const char *codes_text,
                      const int *codes, size_t n, const char *rule_id)
{
    memset(st, 0, sizeof *st);
    st->kind = k;
    st->codes_text = (char *)codes_text;
    for (size_t i = 0; i < n; i++)
        st->codes.bits[codes[i] / 8] |= (unsigned char)(1u << (codes[i] % 8));
    st->rule_id = (char *)rule_id;
    st->rule = catalog_find(cat, rule_id);
}

static void test_expect(void)
{
    struct judge_ctx j = ctx5321();
    static const int c503[] = { 503 };
    static const struct {
        const char *rule;
        enum verdict v;
    } levels[] = {
        { "t-must", V_FAIL }, { "t-must-not", V_FAIL }, { "t-should", V_WARN },
        { "t-may", V_INFO }, { "t-none", V_INFO },
    };
    struct step st;
    struct exchange ex;
    char name[200];

    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        step_init(&st, STEP_EXPECT, "503", c503, 1, levels[i].rule);
        ex_init(&ex, "RCPT", S("250 ok\r\n"));
        judge_expect(&j, &ex, &st);
        snprintf(name, sizeof name, "expect 503 %s, got 250: %s citing %s", levels[i].rule,
                 verdict_name(levels[i].v), levels[i].rule);
        tap_result_(ex.nfindings == 1 && find(&ex, levels[i].rule, levels[i].v) == 0, name,
                    "got %s", show(&ex));
        exchange_free(&ex);

        ex_init(&ex, "RCPT", S("503 seq\r\n"));
        judge_expect(&j, &ex, &st);
        snprintf(name, sizeof name, "expect 503 %s, got 503: no finding", levels[i].rule);
        tap_result_(ex.nfindings == 0 && ex.verdict == V_PASS, name, "got %s", show(&ex));
        exchange_free(&ex);
    }

    step_init(&st, STEP_EXPECT, "503", c503, 1, "t-must");
    ex_init(&ex, "RCPT", S("250 ok\r\n"));
    judge_expect(&j, &ex, &st);
    CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "RCPT answered 250, expected 503",
                   "expect: the message says what was answered and expected");
    CHECK_CONTAINS(ex.reason.data, "[t-must]", "expect: the reason names the rule");
    exchange_free(&ex);

    /* 530 explained by an advertised extension: a policy refusal, skip */
    struct judge_ctx jauth = ctx5321();
    jauth.keywords = "AUTH";
    step_init(&st, STEP_EXPECT, "503", c503, 1, "t-must");
    ex_init(&ex, "RCPT", S("530 authentication required\r\n"));
    judge_reply(&jauth, &ex);
    judge_expect(&jauth, &ex, &st);
    tap_result_(ex.verdict == V_SKIP && find(&ex, "t-must", V_FAIL) < 0,
                "530 with AUTH advertised: skip, the expect does not judge it", "got %s",
                show(&ex));
    exchange_free(&ex);
    ex_init(&ex, "RCPT", S("530 authentication required\r\n"));
    judge_reply(&j, &ex);
    judge_expect(&j, &ex, &st);
    tap_result_(find(&ex, "t-must", V_FAIL) >= 0,
                "530 without AUTH or STARTTLS advertised: the expect judges it", "got %s",
                show(&ex));
    exchange_free(&ex);

    /* a failed expect replaces the code table's weaker finding (one reply,
     * one behaviour) */
    static const int c221[] = { 221 };
    step_init(&st, STEP_EXPECT, "221", c221, 1, "t-must");
    ex_init(&ex, "QUIT", S("250 ok\r\n"));
    judge_reply(&j, &ex);
    judge_expect(&j, &ex, &st);
    tap_result_(ex.nfindings == 1 && find(&ex, "t-must", V_FAIL) == 0,
                "QUIT 250, expect 221 (MUST): only the expect's finding", "got %s", show(&ex));
    exchange_free(&ex);
    step_init(&st, STEP_EXPECT, "221", c221, 1, "t-may");
    ex_init(&ex, "QUIT", S("250 ok\r\n"));
    judge_reply(&j, &ex);
    judge_expect(&j, &ex, &st);
    tap_result_(ex.nfindings == 2 && find(&ex, "5321-4.3.1-command-codes", V_WARN) >= 0,
                "QUIT 250, expect 221 (MAY): the stronger code-table finding stays", "got %s",
                show(&ex));
    exchange_free(&ex);

    /* the greeting is named as such */
    static const int c220[] = { 220 };
    step_init(&st, STEP_EXPECT, "220", c220, 1, "t-should");
    ex_init(&ex, "GREETING", S("554 go away\r\n"));
    judge_expect(&j, &ex, &st);
    CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "the greeting answered 554",
                   "expect on the greeting: 'the greeting'");
    exchange_free(&ex);

    /* a client rule never judges a server: the finding is an error, with
     * no rule (suite_resolve_rules refuses such a step; this is the
     * judge's own guard) */
    step_init(&st, STEP_EXPECT, "503", c503, 1, "t-client");
    CHECK(st.rule && st.rule->binds_client, "t-client is a client rule");
    ex_init(&ex, "RCPT", S("250 ok\r\n"));
    judge_expect(&j, &ex, &st);
    tap_result_(ex.nfindings == 1 && find(&ex, NULL, V_ERROR) == 0,
                "expect citing a client rule: error, no rule", "got %s", show(&ex));
    tap_result_(find(&ex, "t-client", V_FAIL) < 0 && ex.rule == NULL,
                "expect citing a client rule: never a fail citing it", "got %s", show(&ex));
    exchange_free(&ex);
}

static void test_other_steps(void)
{
    struct judge_ctx j = ctx5321();
    struct step st;
    struct exchange ex;

    /* expect-keyword */
    step_init(&st, STEP_EXPECT_KEYWORD, NULL, NULL, 0, "t-should");
    st.keyword = "STARTTLS";
    ex_init(&ex, "EHLO", S("250-x.example\r\n250 SIZE\r\n"));
    judge_keyword(&j, &ex, &st, 0);
    tap_result_(ex.nfindings == 1 && find(&ex, "t-should", V_WARN) == 0,
                "expect-keyword, not advertised: warn citing t-should", "got %s", show(&ex));
    CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "STARTTLS",
                   "expect-keyword: the message names the keyword");
    exchange_free(&ex);
    ex_init(&ex, "EHLO", S("250-x.example\r\n250 STARTTLS\r\n"));
    judge_keyword(&j, &ex, &st, 1);
    CHECK_INT(ex.nfindings, 0, "expect-keyword, advertised: no finding");
    exchange_free(&ex);
    step_init(&st, STEP_EXPECT_KEYWORD, NULL, NULL, 0, "t-may");
    st.keyword = "HELP";
    ex_init(&ex, "EHLO", S("250 x.example\r\n"));
    judge_keyword(&j, &ex, &st, 0);
    tap_result_(find(&ex, "t-may", V_INFO) == 0, "expect-keyword with a MAY rule: info",
                "got %s", show(&ex));
    exchange_free(&ex);

    /* expect-within */
    step_init(&st, STEP_EXPECT_WITHIN, NULL, NULL, 0, "t-must");
    st.within_ms = 250;
    ex_init(&ex, "NOOP", S("250 ok\r\n"));
    ex.elapsed_ms = 251;
    judge_within(&j, &ex, &st);
    tap_result_(ex.nfindings == 1 && find(&ex, "t-must", V_FAIL) == 0,
                "expect-within 0.25, took 251 ms: fail citing t-must", "got %s", show(&ex));
    CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "251 ms",
                   "expect-within: the message gives the time");
    exchange_free(&ex);
    ex_init(&ex, "NOOP", S("250 ok\r\n"));
    ex.elapsed_ms = 250;
    judge_within(&j, &ex, &st);
    CHECK_INT(ex.nfindings, 0, "expect-within 0.25, took 250 ms: no finding");
    exchange_free(&ex);
    ex_init(&ex, "NOOP", S("250 ok\r\n"));
    ex.elapsed_ms = 0;
    judge_within(&j, &ex, &st);
    CHECK_INT(ex.nfindings, 0, "expect-within, took 0 ms: no finding");
    exchange_free(&ex);

    /* expect-close not met */
    step_init(&st, STEP_EXPECT_CLOSE, NULL, NULL, 0, "t-should");
    ex_init(&ex, "QUIT", S("221 bye\r\n"));
    judge_not_closed(&j, &ex, &st, 3000);
    tap_result_(ex.nfindings == 1 && find(&ex, "t-should", V_WARN) == 0,
                "expect-close, still open: warn citing t-should", "got %s", show(&ex));
    CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "3000 ms",
                   "expect-close: the message gives the wait");
    CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "QUIT",
                   "expect-close: the message names the command");
    exchange_free(&ex);

    /* client rules never judge, whatever step cites them */
    step_init(&st, STEP_EXPECT_CLOSE, NULL, NULL, 0, "t-client");
    ex_init(&ex, "QUIT", S("221 bye\r\n"));
    judge_not_closed(&j, &ex, &st, 1000);
    tap_result_(ex.nfindings == 1 && find(&ex, NULL, V_ERROR) == 0,
                "expect-close citing a client rule: error, no rule", "got %s", show(&ex));
    exchange_free(&ex);
    step_init(&st, STEP_EXPECT_KEYWORD, NULL, NULL, 0, "t-client");
    st.keyword = "SIZE";
    ex_init(&ex, "EHLO", S("250 x.example\r\n"));
    judge_keyword(&j, &ex, &st, 0);
    tap_result_(ex.nfindings == 1 && find(&ex, NULL, V_ERROR) == 0,
                "expect-keyword citing a client rule: error, no rule", "got %s", show(&ex));
    exchange_free(&ex);
    step_init(&st, STEP_EXPECT_WITHIN, NULL, NULL, 0, "t-client");
    st.within_ms = 1;
    ex_init(&ex, "NOOP", S("250 ok\r\n"));
    ex.elapsed_ms = 5;
    judge_within(&j, &ex, &st);
    tap_result_(ex.nfindings == 1 && find(&ex, NULL, V_ERROR) == 0,
                "expect-within citing a client rule: error, no rule", "got %s", show(&ex));
    exchange_free(&ex);
}

/* ---- content checks -------------------------------------------------------- */

static void test_content(void)
{
    struct judge_ctx j = ctx5321();
    struct exchange ex;

    ex_init(&ex, "GREETING", S("220 x.example ESMTP\r\n"));
    judge_content(&j, &ex, CHECK_GREETING);
    CHECK_INT(ex.nfindings, 0, "greeting with a domain: no finding");
    exchange_free(&ex);

    ex_init(&ex, "GREETING", S("220 !bad ESMTP\r\n"));
    judge_content(&j, &ex, CHECK_GREETING);
    tap_result_(ex.nfindings == 1 && find(&ex, "5321-4.2-greeting-abnf", V_FAIL) == 0,
                "greeting without a domain: greeting-abnf", "got %s", show(&ex));
    exchange_free(&ex);

    ex_init(&ex, "EHLO", S("250-x.example\r\n250-b@d\r\n250 SIZE\r\n"));
    judge_content(&j, &ex, CHECK_EHLO_KEYWORDS);
    tap_result_(ex.nfindings == 1 && find(&ex, "5321-4.1.1.1-ehlo-keyword-abnf", V_FAIL) == 0,
                "EHLO keyword b@d: ehlo-keyword-abnf", "got %s", show(&ex));
    exchange_free(&ex);

    /* a note is reported, never judged */
    ex_init(&ex, "EHLO", S("250-x.example\r\n250-SIZE\r\n250 SIZE\r\n"));
    judge_content(&j, &ex, CHECK_EHLO_DUPLICATES);
    tap_result_(ex.nfindings == 1 && find(&ex, NULL, V_PASS) == 0 && ex.verdict == V_PASS,
                "duplicate EHLO keyword: a note (pass, no rule)", "got %s", show(&ex));
    exchange_free(&ex);
}

/* AUTH PLAIN/LOGIN offered in plaintext (security.auth-offered-in-plaintext). */
static void test_auth_plaintext(void)
{
    static const struct { const char *reply; int tls; int found; const char *name; } t[] = {
        { "250-x.example\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE\r\n", 0, 1,
          "AUTH PLAIN LOGIN in plaintext: found" },
        { "250-x.example\r\n250 AUTH=LOGIN\r\n", 0, 1, "the old AUTH=LOGIN form: found" },
        { "250-x.example\r\n250 auth cram-md5 login\r\n", 0, 1, "lower case, LOGIN last: found" },
        { "250-x.example\r\n250 AUTH CRAM-MD5 SCRAM-SHA-256 PLAINX\r\n", 0, 0,
          "no password mechanism (PLAINX is another name): nothing" },
        { "250-x.example\r\n250 X-AUTH PLAIN\r\n", 0, 0, "another keyword: nothing" },
        { "250-x.example\r\n250 AUTH PLAIN\r\n", 1, 0, "over TLS: not judged" },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct judge_ctx j = ctx5321();
        struct exchange ex;
        j.tls_active = t[i].tls;
        ex_init(&ex, "EHLO", t[i].reply, strlen(t[i].reply));
        judge_content(&j, &ex, CHECK_AUTH_PLAINTEXT);
        tap_result_(t[i].found ? ex.nfindings == 1 && find(&ex, "4954-4-no-plaintext-passwords",
                                                            V_FAIL) == 0 : ex.nfindings == 0,
                    t[i].name, "got %s", show(&ex));
        exchange_free(&ex);
    }
}

/* expect-silence and expect-same-code. */
static void test_security_steps(void)
{
    struct judge_ctx j = ctx5321();
    struct exchange ex, prev;
    struct step st;
    step_init(&st, STEP_EXPECT_SILENCE, NULL, NULL, 0, "t-must-not");
    ex_init(&ex, "END-OF-DATA", S("250 queued\r\n"));
    judge_silence_broken(&j, &ex, &st, 3000);
    tap_result_(ex.nfindings == 1 && find(&ex, "t-must-not", V_FAIL) == 0,
                "a 2yz before the real end: the step's rule", "got %s", show(&ex));
    exchange_free(&ex);
    ex_init(&ex, "END-OF-DATA", S("521 bare LF\r\n"));
    judge_silence_broken(&j, &ex, &st, 3000);
    tap_result_(ex.nfindings == 1 && find(&ex, NULL, V_PASS) == 0 && ex.verdict == V_PASS,
                "a refusal before the real end: a note", "got %s", show(&ex));
    exchange_free(&ex);

    step_init(&st, STEP_EXPECT_SAME_CODE, NULL, NULL, 0, "t-none");
    ex_init(&prev, "VRFY", S("250 <postmaster@x>\r\n"));
    ex_init(&ex, "VRFY", S("550 no such user\r\n"));
    judge_same_code(&j, &ex, &prev, &st);
    tap_result_(ex.nfindings == 1 && find(&ex, "t-none", V_INFO) == 0,
                "250 then 550: the step's rule", "got %s", show(&ex));
    exchange_free(&ex);
    ex_init(&ex, "VRFY", S("250 <x@x>\r\n"));
    judge_same_code(&j, &ex, &prev, &st);
    CHECK_INT(ex.nfindings, 0, "250 then 250: nothing");
    exchange_free(&ex);
    st.rule = NULL;
    st.rule_id = NULL;
    ex_init(&ex, "RCPT", S("550 no such user\r\n"));
    judge_same_code(&j, &ex, &prev, &st);
    tap_result_(ex.nfindings == 1 && find(&ex, NULL, V_PASS) == 0,
                "without a rule, a difference is a note", "got %s", show(&ex));
    exchange_free(&ex);
    exchange_free(&prev);
}

/* ---- the catalog the built-ins need ------------------------------------------- */

static void test_check_catalog(void)
{
    char err[512] = "";
    int rc0 = judge_check_catalog(cat, err, sizeof err);
    tap_result_(rc0 == 0, "judge_check_catalog: the test catalog has every built-in rule",
                "rc %d, \"%s\"", rc0, err);

    /* each built-in rule, taken out, is reported by id */
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
        struct catalog *less = make_catalog(builtins[i].id, NULL);
        char name[200];
        err[0] = '\0';
        int rc = less ? judge_check_catalog(less, err, sizeof err) : 0;
        snprintf(name, sizeof name, "judge_check_catalog: missing %s is reported",
                 builtins[i].id);
        tap_result_(rc == -1 && strstr(err, builtins[i].id) != NULL, name, "rc %d, \"%s\"",
                    rc, err);
        catalog_free(less);
    }
    /* a content-check rule, taken out */
    const char *content = content_check_rule(0);
    struct catalog *less = make_catalog(content, NULL);
    err[0] = '\0';
    int rc = less ? judge_check_catalog(less, err, sizeof err) : 0;
    tap_result_(rc == -1 && content && strstr(err, content), "judge_check_catalog: missing "
                "content-check rule is reported", "rc %d, \"%s\"", rc, err);
    catalog_free(less);

    /* a built-in rule that binds clients is as good as missing */
    struct catalog *client = make_catalog(NULL, "5321-3.8-no-close");
    err[0] = '\0';
    rc = client ? judge_check_catalog(client, err, sizeof err) : 0;
    tap_result_(rc == -1 && strstr(err, "5321-3.8-no-close"),
                "judge_check_catalog: a built-in rule that binds clients is reported",
                "rc %d, \"%s\"", rc, err);

    /* ... and if judged anyway, it gives an error, never a verdict */
    if (client) {
        struct judge_ctx j = { .cat = client, .profile = PROFILE_RFC5321 };
        struct exchange ex;
        ex_init(&ex, "NOOP", S("250 ok\r\n"));
        judge_close(&j, &ex, 1);
        tap_result_(ex.nfindings == 1 && find(&ex, NULL, V_ERROR) == 0,
                    "a client rule cited by a built-in check: error, no rule", "got %s",
                    show(&ex));
        exchange_free(&ex);
    }
    catalog_free(client);

    /* a rule missing at judge time: error, with the id in the message */
    less = make_catalog("5321-2.3.8-crlf-only", NULL);
    if (less) {
        struct judge_ctx j = { .cat = less, .profile = PROFILE_RFC5321 };
        struct exchange ex;
        ex_init(&ex, "NOOP", S("250 ok\n"));
        judge_reply(&j, &ex);
        tap_result_(ex.nfindings == 1 && find(&ex, NULL, V_ERROR) == 0,
                    "a missing built-in rule at judge time: error", "got %s", show(&ex));
        CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "5321-2.3.8-crlf-only",
                       "the error names the missing rule");
        exchange_free(&ex);
    }
    catalog_free(less);

    /* the bundled catalog has them all, as servers' rules */
    const char *srcdir = getenv("srcdir");
    char path[1024];
    snprintf(path, sizeof path, "%s/rules", srcdir ? srcdir : ".");
    if (access(path, R_OK) != 0) {
        printf("ok %d - the bundled catalog has every built-in rule # SKIP %s not found\n",
               ++tap_run_, path);
        return;
    }
    struct catalog *bundled = NULL;
    rc = catalog_load(path, &bundled, err, sizeof err);
    if (rc == 0)
        rc = judge_check_catalog(bundled, err, sizeof err);
    tap_result_(rc == 0, "the bundled catalog has every built-in rule", "%s", err);
    if (bundled) {
        /* and their keywords are the ones this test assumes */
        int same = 1;
        for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
            const struct rule *r = catalog_find(bundled, builtins[i].id);
            if (r && strcmp(r->keyword, builtins[i].keyword) != 0) {
                same = 0;
                tap_diag("%s: bundled keyword %s, test assumes %s", r->id, r->keyword,
                         builtins[i].keyword);
            }
        }
        CHECK(same, "the bundled built-in rules have the keywords this test assumes");
    }
    catalog_free(bundled);
}

/* codes-not-judged: a code outside the table is a note, syntax still judged. */
static void test_codes_not_judged(void)
{
    struct judge_ctx j = ctx5321();
    struct exchange ex;
    j.codes_not_judged = "pipelined without PIPELINING";
    ex_init(&ex, "NOOP", S("554 no\r\n"));
    judge_reply(&j, &ex);
    tap_result_(ex.nfindings == 1 && find(&ex, NULL, V_PASS) == 0,
                "codes-not-judged: NOOP 554 is a note", "got %s", show(&ex));
    CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "not judged: pipelined",
                   "codes-not-judged: the note gives the case's reason");
    exchange_free(&ex);
    ex_init(&ex, "NOOP", S("250-a\r\n251 b\r\n"));
    judge_reply(&j, &ex);
    tap_result_(find(&ex, "5321-4.2.1-multiline-same-code", V_FAIL) >= 0,
                "codes-not-judged: reply syntax is still judged", "got %s", show(&ex));
    exchange_free(&ex);
}

/* The handshake and the certificate (judge_handshake_failed,
 * judge_certificate). */
static void test_tls(void)
{
    struct judge_ctx j = ctx5321();
    struct step st;
    struct exchange ex;
    struct tls_facts f;

    step_init(&st, STEP_STARTTLS, NULL, NULL, 0, "t-none");
    ex_init(&ex, "STARTTLS", S("220 go ahead\r\n"));
    judge_handshake_failed(&j, &ex, &st, "TLS handshake failed: sslv3 alert handshake failure");
    tap_result_(ex.nfindings == 1 && find(&ex, "t-none", V_INFO) == 0,
                "a failed handshake: a finding citing the step's rule, at its level",
                "got %s", show(&ex));
    CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "sslv3 alert handshake failure",
                   "the finding carries OpenSSL's reason");
    CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "answered 220",
                   "the finding says the server answered 220 first");
    exchange_free(&ex);

    memset(&f, 0, sizeof f);
    f.done = f.has_cert = f.verify_done = 1;
    f.verify_code = 10;
    snprintf(f.verify_reason, sizeof f.verify_reason, "certificate has expired");
    snprintf(f.subject, sizeof f.subject, "CN=mx.example");
    ex_init(&ex, CMD_GREETING, S("220 mx.example\r\n"));
    judge_certificate(&j, &ex, &f, 1);
    tap_result_(ex.nfindings == 1 && find(&ex, "8314-4.4-valid-certificates", V_FAIL) == 0,
                "implicit TLS, expired certificate: fail citing RFC 8314 §4.4", "got %s",
                show(&ex));
    CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "certificate has expired",
                   "the finding names the verification's reason");
    exchange_free(&ex);
    ex_init(&ex, "STARTTLS", S("220 go ahead\r\n"));
    judge_certificate(&j, &ex, &f, 0);
    tap_result_(ex.nfindings == 1 && find(&ex, NULL, V_PASS) == 0,
                "after STARTTLS, an expired certificate is a note (no verdict)", "got %s",
                show(&ex));
    CHECK_CONTAINS(ex.nfindings ? ex.findings[0].message : NULL, "certificate has expired",
                   "the note names the verification's reason");
    exchange_free(&ex);
    f.verified = 1;
    f.verify_code = 0;
    ex_init(&ex, CMD_GREETING, S("220 mx.example\r\n"));
    judge_certificate(&j, &ex, &f, 1);
    CHECK_INT(ex.nfindings, 0, "a verified certificate: no finding");
    exchange_free(&ex);
    f.verified = f.verify_done = 0;
    ex_init(&ex, CMD_GREETING, S("220 mx.example\r\n"));
    judge_certificate(&j, &ex, &f, 1);
    CHECK_INT(ex.nfindings, 0, "--insecure (not verified): no finding");
    exchange_free(&ex);
}

int main(void)
{
    cat = make_catalog(NULL, NULL);
    if (!cat) {
        CHECK(0, "the test catalog parses");
        return done_testing();
    }
    test_syntax();
    test_codes();
    test_advertised();
    test_close();
    test_expect();
    test_other_steps();
    test_content();
    test_auth_plaintext();
    test_security_steps();
    test_tls();
    test_codes_not_judged();
    test_check_catalog();
    catalog_free(cat);
    return done_testing();
}
