/* test_suite.c - the suite language parser and expr_expand (suite.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/buf.h"
#include "../../src/codes.h"
#include "../../src/suite.h"
#include "tap.h"

/* 1-based number of the first line of text that starts with prefix. */
static int line_of(const char *text, const char *prefix)
{
    int line = 1;
    size_t n = strlen(prefix);
    for (const char *p = text; *p; line++) {
        if (strncmp(p, prefix, n) == 0)
            return line;
        const char *nl = strchr(p, '\n');
        if (!nl)
            break;
        p = nl + 1;
    }
    return -1;
}

static const struct vars test_vars = { {
    [VAR_HELO] = "client.example",
    [VAR_MAIL_FROM] = "x@y",
    [VAR_RCPT] = "r@example.org",
    [VAR_RCPT2] = "r2@example.org",
    [VAR_DOMAIN] = "[127.0.0.1]",
} };

/* Expands step st with test_vars and compares with want[0..n). */
static void check_expand(const struct step *st, const char *want, size_t n, const char *name)
{
    struct buf b = BUF_INIT;
    int rc = expr_expand(&st->expr, &test_vars, &b);
    if (rc != 0) {
        tap_result_(0, name, "expr_expand returned %d", rc);
    } else {
        CHECK_MEM(b.data, b.len, want, n, name);
    }
    buf_free(&b);
}

static const char good[] =
    "# a comment line\n"
    "suite s\n"
    "title A test suite\n"
    "ref RFC 5321 §4.3.2\n"
    "\n"
    "case a\n"
    "title Case A: everything\n"
    "ref RFC 5321 §4.1.1.1\n"
    "ref seed 002\n"
    "needs rcpt\n"
    "needs ext starttls\n"
    "needs profile rfc821\n"
    "greeting refuse\n"
    "send MAIL FROM:<${mail_from}>\n"
    "expect 250 r-must\n"
    "send \"NOOP \" \"a\"*5\n"
    "expect 2xx r-should\n"
    "sendraw \"A\\r\\nB\\n\\x00\\xff\\\\\\\"\\$\"\n"
    "expect 4xx,5xx 5321-4.1.1.9-noop-250\n"
    "send \"X\" as noop\n"
    "write \"DATA\\r\\n\"\n"
    "read END-OF-DATA\n"
    "control 250 \"the control why\"\n"
    "require 250 \"the reason\"\n"
    "send RCPT TO:<${rcpt}> ${rcpt2}\n"
    "  # indented comment\n"
    "expect-close r-should\n"
    "\n"
    "case b\n"
    "title Case B\n"
    "greeting any\n"
    "send QUIT   \n"
    "expect-close r-must\n"
    "send EHLO ${helo} \"q\" ${domain}\n"
    "send \"\\x41${helo}\\x42\"*2 \"\\\\\"\n"
    "sendraw \"\\0\\t\\x7F\" \"$ {}\"\n"
    "\n"
    "case empty\n"
    "title A case with no steps\n";

/* The catalog the good suite's rules resolve against. */
static const char good_rules[] =
    "rule r-must\ntitle T\nsource RFC 5321 §3.3\nbinds server\nkeyword MUST\n"
    "quote The server MUST do it.\n\n"
    "rule r-should\ntitle T\nsource RFC 5321 §3.3\nbinds server\nkeyword SHOULD\n"
    "quote The server SHOULD do it.\n\n"
    "rule 5321-4.1.1.9-noop-250\ntitle T\nsource RFC 5321 §4.1.1.9\nbinds server\n"
    "keyword NONE\nquote This command does not affect any parameters.\n\n"
    "rule r-client\ntitle T\nsource RFC 5321 §4.1.4\nbinds client\nkeyword MUST\n"
    "quote The client MUST do it.\n";

static struct catalog *good_catalog(void)
{
    struct catalog *cat = calloc(1, sizeof *cat);
    char err[512] = "";
    if (!cat || catalog_parse(cat, "good.rules", good_rules, sizeof good_rules - 1, err,
                              sizeof err) != 0) {
        tap_diag("catalog_parse: %s", err);
        catalog_free(cat);
        return NULL;
    }
    return cat;
}

static void test_good(void)
{
    struct suite *s = NULL;
    char err[512] = "";
    int rc = suite_parse("good.suite", good, sizeof good - 1, &s, err, sizeof err);
    CHECK_INT(rc, 0, "good suite parses");
    if (rc != 0 || !s) {
        tap_diag("error: %s", err);
        return;
    }
    CHECK_STR(s->id, "s", "suite id");
    CHECK_STR(s->title, "A test suite", "suite title");
    CHECK_STR(s->path, "good.suite", "suite path is the name");
    CHECK_INT(s->nrefs, 1, "suite has one ref");
    if (s->nrefs == 1)
        CHECK_STR(s->refs[0], "RFC 5321 §4.3.2", "suite ref text");
    CHECK_INT(s->ncases, 3, "three cases");
    if (s->ncases != 3) {
        suite_free(s);
        return;
    }

    const struct casedef *a = &s->cases[0], *b = &s->cases[1], *e = &s->cases[2];
    CHECK_STR(a->id, "s.a", "case a id is s.a");
    CHECK_STR(b->id, "s.b", "case b id is s.b");
    CHECK_STR(e->id, "s.empty", "case empty id");
    CHECK_STR(a->title, "Case A: everything", "case a title");
    CHECK_STR(b->title, "Case B", "case b title");
    CHECK(a->suite == s && b->suite == s && e->suite == s, "cases point at their suite");
    CHECK_INT(a->line, line_of(good, "case a"), "case a line");
    CHECK_INT(b->line, line_of(good, "case b"), "case b line");
    CHECK_INT(a->nrefs, 2, "case a has two refs");
    if (a->nrefs == 2) {
        CHECK_STR(a->refs[0], "RFC 5321 §4.1.1.1", "case a ref 0");
        CHECK_STR(a->refs[1], "seed 002", "case a ref 1");
    }
    CHECK_INT(b->nrefs, 0, "case b has no refs");
    CHECK_INT(a->needs_rcpt, 1, "case a needs rcpt");
    CHECK_INT(b->needs_rcpt, 0, "case b does not need rcpt");
    CHECK_INT(a->nneeds_ext, 1, "case a needs one ext");
    if (a->nneeds_ext == 1)
        CHECK_STR(a->needs_ext[0], "STARTTLS", "needs ext is upper-cased");
    CHECK_INT(a->profile, PROFILE_RFC821, "case a needs profile rfc821");
    CHECK_INT(b->profile, -1, "case b: every profile");
    CHECK_INT(a->greeting, GREETING_REFUSE, "case a greeting refuse");
    CHECK_INT(b->greeting, GREETING_ANY, "case b greeting any");
    CHECK_INT(e->greeting, GREETING_ACCEPT, "default greeting accept");
    CHECK_INT(e->nsteps, 0, "a case with no steps is OK");

    CHECK_INT(a->nsteps, 13, "case a has 13 steps");
    if (a->nsteps == 13) {
        const struct step *st = a->steps;
        static const enum step_kind kinds[13] = {
            STEP_SEND, STEP_EXPECT, STEP_SEND, STEP_EXPECT, STEP_SEND, STEP_EXPECT,
            STEP_SEND, STEP_WRITE, STEP_READ, STEP_CONTROL, STEP_REQUIRE, STEP_SEND,
            STEP_EXPECT_CLOSE,
        };
        int kinds_ok = 1;
        for (int i = 0; i < 13; i++)
            kinds_ok &= st[i].kind == kinds[i];
        CHECK(kinds_ok, "case a step kinds in order");

        /* lines */
        CHECK_INT(st[0].line, line_of(good, "send MAIL"), "step 0 line");
        CHECK_INT(st[4].line, line_of(good, "sendraw"), "sendraw step line");
        CHECK_INT(st[9].line, line_of(good, "control"), "control line");
        CHECK_INT(st[12].line, line_of(good, "expect-close r-should"), "expect-close line");

        /* send, plain with a variable */
        CHECK(st[0].cmd == NULL, "plain send: cmd NULL (the verb decides)");
        CHECK_INT(st[0].expr.crlf, 1, "plain send appends CRLF");
        check_expand(&st[0], "MAIL FROM:<x@y>\r\n", 17, "plain send expands ${mail_from}");

        /* expect 250 RULE */
        CHECK(codeset_has(&st[1].codes, 250), "expect 250 has 250");
        CHECK(!codeset_has(&st[1].codes, 251), "expect 250 lacks 251");
        CHECK(!codeset_has(&st[1].codes, 249), "expect 250 lacks 249");
        CHECK_STR(st[1].rule_id, "r-must", "expect names its rule");
        CHECK(st[1].rule == NULL, "the rule is resolved later (suite_resolve_rules)");
        CHECK(st[1].why == NULL, "expect has no why");
        CHECK_STR(st[1].codes_text, "250", "codes_text 250");

        /* quoted send with a repeat */
        check_expand(&st[2], "NOOP aaaaa\r\n", 12, "quoted send with *5");
        /* 2xx RULE */
        CHECK(codeset_has(&st[3].codes, 200) && codeset_has(&st[3].codes, 299) &&
              codeset_has(&st[3].codes, 250), "2xx has 200, 250, 299");
        CHECK(!codeset_has(&st[3].codes, 199) && !codeset_has(&st[3].codes, 300),
              "2xx lacks 199 and 300");
        CHECK_STR(st[3].rule_id, "r-should", "expect 2xx names its rule");

        /* sendraw: exact bytes, no CRLF */
        CHECK_INT(st[4].expr.crlf, 0, "sendraw adds no CRLF");
        check_expand(&st[4], "A\r\nB\n\x00\xff\\\"$", 10, "sendraw escapes give exact bytes");

        /* 4xx,5xx with a dotted rule id */
        CHECK(codeset_has(&st[5].codes, 400) && codeset_has(&st[5].codes, 599) &&
              codeset_has(&st[5].codes, 503), "4xx,5xx has 400, 503, 599");
        CHECK(!codeset_has(&st[5].codes, 399) && !codeset_has(&st[5].codes, 250) &&
              !codeset_has(&st[5].codes, 600), "4xx,5xx lacks 399, 250, 600");
        CHECK_STR(st[5].rule_id, "5321-4.1.1.9-noop-250", "a rule id with dots and digits");
        CHECK_STR(st[5].codes_text, "4xx,5xx", "codes_text 4xx,5xx");

        /* send ... as noop */
        CHECK_STR(st[6].cmd, "NOOP", "send as noop sets cmd NOOP");
        check_expand(&st[6], "X\r\n", 3, "send \"X\" as NOOP bytes");
        /* write */
        CHECK_INT(st[7].expr.crlf, 0, "write adds no CRLF");
        check_expand(&st[7], "DATA\r\n", 6, "write bytes");
        CHECK(st[7].cmd == NULL, "write has no cmd");
        /* read */
        CHECK_STR(st[8].cmd, "END-OF-DATA", "read END-OF-DATA");
        /* control CODES "why" */
        CHECK_STR(st[9].why, "the control why", "control reason");
        CHECK(codeset_has(&st[9].codes, 250) && !codeset_has(&st[9].codes, 251),
              "control 250 codeset");
        CHECK_STR(st[9].codes_text, "250", "control codes_text");
        CHECK(st[9].rule_id == NULL, "control cites no rule");
        /* require */
        CHECK_STR(st[10].why, "the reason", "require reason");
        CHECK(codeset_has(&st[10].codes, 250) && !codeset_has(&st[10].codes, 252),
              "require 250 codeset");
        CHECK(st[10].rule_id == NULL, "require cites no rule");
        /* rcpt */
        check_expand(&st[11], "RCPT TO:<r@example.org> r2@example.org\r\n", 40,
                     "send with ${rcpt} and ${rcpt2}");
        /* expect-close RULE */
        CHECK_STR(st[12].rule_id, "r-should", "expect-close names its rule");
        CHECK(st[12].why == NULL, "expect-close has no why");
    }

    CHECK_INT(b->nsteps, 5, "case b has 5 steps");
    if (b->nsteps == 5) {
        check_expand(&b->steps[0], "QUIT\r\n", 6, "plain send trims trailing blanks");
        CHECK_INT(b->steps[1].kind, STEP_EXPECT_CLOSE, "expect-close step");
        CHECK_STR(b->steps[1].rule_id, "r-must", "expect-close r-must");
        check_expand(&b->steps[2], "EHLO client.example \"q\" [127.0.0.1]\r\n", 37,
                     "plain send keeps quotes literally, expands ${helo} ${domain}");
        check_expand(&b->steps[3], "Aclient.exampleBAclient.exampleB\\\r\n", 35,
                     "repeat applies to variables inside the atom");
        check_expand(&b->steps[4], "\0\t\x7f$ {}", 7,
                     "sendraw \\0 \\t \\x7f, lone $ and braces are literal");
    }

    /* suite_resolve_rules points every judging step at its catalog rule */
    struct catalog *cat = good_catalog();
    CHECK(cat != NULL, "the test catalog parses");
    if (cat) {
        rc = suite_resolve_rules(s, cat, err, sizeof err);
        tap_result_(rc == 0, "suite_resolve_rules succeeds on known server rules", "%s", err);
        if (rc == 0 && a->nsteps == 13 && b->nsteps == 5) {
            CHECK(a->steps[1].rule == catalog_find(cat, "r-must"), "expect 250 -> r-must");
            CHECK(a->steps[3].rule == catalog_find(cat, "r-should"), "expect 2xx -> r-should");
            CHECK(a->steps[5].rule && a->steps[5].rule->verdict == V_INFO,
                  "expect 4xx,5xx -> a NONE rule (info)");
            CHECK(a->steps[12].rule == catalog_find(cat, "r-should"),
                  "expect-close -> r-should");
            CHECK(b->steps[1].rule == catalog_find(cat, "r-must"), "expect-close -> r-must");
            CHECK(a->steps[0].rule == NULL && a->steps[9].rule == NULL &&
                  a->steps[10].rule == NULL, "send, control, require get no rule");
        }
        catalog_free(cat);
    }

    /* expr_expand with an unset variable fails */
    if (a->nsteps > 0) {
        struct vars none = { { NULL } };
        struct buf bb = BUF_INIT;
        CHECK_INT(expr_expand(&a->steps[0].expr, &none, &bb), -1,
                  "expr_expand fails on an unset variable");
        buf_free(&bb);
        /* appends to what is already there */
        struct buf b2 = BUF_INIT;
        buf_puts(&b2, ">>");
        expr_expand(&a->steps[0].expr, &test_vars, &b2);
        CHECK_STR(b2.data, ">>MAIL FROM:<x@y>\r\n", "expr_expand appends");
        buf_free(&b2);
    }
    suite_free(s);
}

/* suite_resolve_rules refuses what cannot judge a server, with file:line. */
static void test_resolve(void)
{
    static const struct {
        const char *label;
        const char *text;
        int line;
        const char *phrase;
    } bad[] = {
        { "unknown rule on expect",
          "suite s\ntitle T\ncase a\ntitle A\nsend NOOP\nexpect 250 r-nope\n", 6,
          "unknown rule \"r-nope\"" },
        { "unknown rule in a later case",
          "suite s\ntitle T\ncase a\ntitle A\nsend NOOP\nexpect 250 r-must\n"
          "case b\ntitle B\nsend QUIT\nexpect-close r-gone\n", 10, "unknown rule \"r-gone\"" },
        { "unknown rule on expect-keyword",
          "suite s\ntitle T\ncase a\ntitle A\nsend EHLO x\nexpect-keyword SIZE r-nope\n", 6,
          "unknown rule" },
        { "unknown rule on expect-within",
          "suite s\ntitle T\ncase a\ntitle A\nsend NOOP\nexpect-within 5 r-nope\n", 6,
          "unknown rule" },
        { "a client rule on expect",
          "suite s\ntitle T\ncase a\ntitle A\nsend NOOP\nexpect 250 r-client\n", 6,
          "binds clients" },
        { "a client rule on expect-close",
          "suite s\ntitle T\ncase a\ntitle A\nsend QUIT\n\nexpect-close r-client\n", 7,
          "binds clients" },
        /* the old level words are not rule ids */
        { "old level word MUST",
          "suite s\ntitle T\ncase a\ntitle A\nsend NOOP\nexpect 250 MUST\n", 6, "MUST" },
        { "old level word SHOULD",
          "suite s\ntitle T\ncase a\ntitle A\nsend NOOP\nexpect 250 SHOULD\n", 6, "SHOULD" },
    };
    struct catalog *cat = good_catalog();
    if (!cat) {
        CHECK(0, "the test catalog parses");
        return;
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct suite *s = NULL;
        char err[512] = "", prefix[64], name[200];
        /* refused by the parser or by the resolver, never run */
        int rc = suite_parse("r.suite", bad[i].text, strlen(bad[i].text), &s, err, sizeof err);
        if (rc == 0) {
            rc = suite_resolve_rules(s, cat, err, sizeof err);
            suite_free(s);
        }
        snprintf(name, sizeof name, "resolve: %s is refused", bad[i].label);
        CHECK_INT(rc, -1, name);
        snprintf(prefix, sizeof prefix, "r.suite:%d: ", bad[i].line);
        snprintf(name, sizeof name, "resolve: %s error starts with \"%s\"", bad[i].label,
                 prefix);
        tap_result_(strncmp(err, prefix, strlen(prefix)) == 0, name, "got \"%s\"", err);
        snprintf(name, sizeof name, "resolve: %s error mentions the cause", bad[i].label);
        CHECK_CONTAINS(err, bad[i].phrase, name);
    }
    /* a suite without judging steps resolves against an empty catalog */
    struct catalog empty = { NULL, 0 };
    struct suite *s = NULL;
    char err[512] = "";
    static const char plain[] = "suite s\ntitle T\ncase a\ntitle A\nsend NOOP\n"
                                "require 250 \"x\"\ncontrol 250 \"y\"\ncheck greeting\n";
    if (suite_parse("p.suite", plain, sizeof plain - 1, &s, err, sizeof err) == 0) {
        CHECK_INT(suite_resolve_rules(s, &empty, err, sizeof err), 0,
                  "resolve: require, control and check need no catalog rule");
        suite_free(s);
    } else {
        tap_result_(0, "resolve: plain suite parses", "%s", err);
    }
    catalog_free(cat);
}

static void test_crlf_file(void)
{
    static const char text[] =
        "suite c\r\ntitle CRLF file\r\ncase x\r\ntitle X\r\nsend NOOP\r\nexpect 250 r-should\r\n";
    struct suite *s = NULL;
    char err[512] = "";
    int rc = suite_parse("crlf.suite", text, sizeof text - 1, &s, err, sizeof err);
    CHECK_INT(rc, 0, "CRLF file parses");
    if (rc != 0) {
        tap_diag("error: %s", err);
        return;
    }
    CHECK_STR(s->title, "CRLF file", "CRLF: title has no CR");
    if (s->ncases == 1 && s->cases[0].nsteps == 2) {
        check_expand(&s->cases[0].steps[0], "NOOP\r\n", 6, "CRLF: send has no stray CR");
        CHECK_STR(s->cases[0].steps[1].rule_id, "r-should", "CRLF: rule id has no CR");
    } else {
        CHECK(0, "CRLF: one case with two steps");
    }
    suite_free(s);

    /* no trailing newline */
    static const char t2[] = "suite c\ntitle T\ncase x\ntitle X\nsend NOOP";
    rc = suite_parse("t2", t2, sizeof t2 - 1, &s, err, sizeof err);
    CHECK_INT(rc, 0, "file without final newline parses");
    if (rc == 0) {
        CHECK(s->ncases == 1 && s->cases[0].nsteps == 1, "last line without newline is read");
        suite_free(s);
    }
}

static void test_limits(void)
{
    /* 4 x 1 MiB = exactly the 4 MiB literal limit: OK; one byte more: error. */
    static const char ok[] =
        "suite l\ntitle T\ncase x\ntitle X\n"
        "sendraw \"x\"*1048576 \"y\"*1048576 \"z\"*1048576 \"w\"*1048576\n";
    static const char over[] =
        "suite l\ntitle T\ncase x\ntitle X\n"
        "sendraw \"x\"*1048576 \"y\"*1048576 \"z\"*1048576 \"w\"*1048576 \"v\"\n";
    struct suite *s = NULL;
    char err[512] = "";
    int rc = suite_parse("l", ok, sizeof ok - 1, &s, err, sizeof err);
    CHECK_INT(rc, 0, "4 MiB expression is accepted");
    if (rc == 0) {
        struct buf b = BUF_INIT;
        CHECK_INT(expr_expand(&s->cases[0].steps[0].expr, &test_vars, &b), 0,
                  "4 MiB expression expands");
        CHECK_INT(b.len, 4u << 20, "expanded length is 4 MiB");
        CHECK(b.len == 4u << 20 && b.data[0] == 'x' && b.data[(1u << 20) - 1] == 'x' &&
              b.data[1u << 20] == 'y' && b.data[(4u << 20) - 1] == 'w',
              "expanded bytes are in order");
        buf_free(&b);
        suite_free(s);
    }
    rc = suite_parse("l", over, sizeof over - 1, &s, err, sizeof err);
    CHECK_INT(rc, -1, "4 MiB + 1 expression is refused");
    CHECK_CONTAINS(err, "l:5: expression longer than", "4 MiB + 1 error message");
    CHECK(s == NULL, "*out is NULL on failure");

    /* repeat boundary */
    static const char rmax[] = "suite l\ntitle T\ncase x\ntitle X\nsend \"a\"*1048576\n";
    rc = suite_parse("l", rmax, sizeof rmax - 1, &s, err, sizeof err);
    CHECK_INT(rc, 0, "repeat *1048576 (the maximum) is accepted");
    if (rc == 0)
        suite_free(s);
    static const char rover[] = "suite l\ntitle T\ncase x\ntitle X\nsend \"a\"*1048577\n";
    rc = suite_parse("l", rover, sizeof rover - 1, &s, err, sizeof err);
    CHECK_INT(rc, -1, "repeat *1048577 is refused");
}

struct bad_case {
    const char *label;
    const char *text;
    int line;
    const char *phrase;
};

/* Each of bad[0..n) is refused by the parser with "bad.suite:LINE: " and
 * a message that contains its phrase. */
static void check_refused(const struct bad_case *bad, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char name[200], prefix[64], err[512] = "";
        struct suite *s = NULL;
        int rc = suite_parse("bad.suite", bad[i].text, strlen(bad[i].text), &s, err,
                             sizeof err);
        snprintf(name, sizeof name, "bad: %s is refused", bad[i].label);
        CHECK_INT(rc, -1, name);
        if (rc == 0) {
            suite_free(s);
            continue;
        }
        snprintf(prefix, sizeof prefix, "bad.suite:%d: ", bad[i].line);
        snprintf(name, sizeof name, "bad: %s error starts with \"%s\"", bad[i].label, prefix);
        tap_result_(strncmp(err, prefix, strlen(prefix)) == 0, name, "got \"%s\"", err);
        snprintf(name, sizeof name, "bad: %s error mentions the cause", bad[i].label);
        CHECK_CONTAINS(err, bad[i].phrase, name);
    }
}

#define HEAD "suite s\ntitle T\ncase a\ntitle A\n"  /* 4 lines */

static const struct bad_case bad_cases[] = {
    { "missing suite line", "title T\ncase a\ntitle A\n", 1, "must start with \"suite ID\"" },
    { "case before suite line", "case a\n", 1, "must start with \"suite ID\"" },
    /* no directive at all: reported at the last line, where the file ended */
    { "comments only", "# nothing\n\n", 2, "must start with \"suite ID\"" },
    { "suite without title", "suite s\ncase a\ntitle A\n", 1, "suite \"s\" has no title" },
    { "two suite lines", "suite s\nsuite t\n", 2, "only one \"suite\" line" },
    { "bad suite id", "suite -x\n", 1, "bad suite id" },
    { "bad case id", "suite s\ntitle T\ncase a.b\n", 3, "bad case id" },
    { "unknown directive", HEAD "frobnicate now\n", 5, "unknown directive \"frobnicate\"" },
    /* removed: every close is judged automatically now */
    { "close-before-quit is gone", HEAD "close-before-quit MUST \"RFC 5321 §3.1\"\n", 5,
      "unknown directive \"close-before-quit\"" },
    { "close-before-quit after a step", HEAD "send NOOP\nclose-before-quit SHOULD \"x\"\n", 6,
      "unknown directive \"close-before-quit\"" },
    { "unknown variable", HEAD "send NOOP ${nope}\n", 5, "unknown variable ${nope}" },
    { "unknown variable quoted", HEAD "send \"${nope}\"\n", 5, "unknown variable ${nope}" },
    { "unterminated variable", HEAD "send NOOP ${helo\n", 5, "unterminated ${" },
    { "rcpt without needs rcpt", HEAD "send NOOP\nsend RCPT TO:<${rcpt}>\n", 6,
      "${rcpt} is only allowed in cases with \"needs rcpt\"" },
    { "rcpt2 without needs rcpt", HEAD "send \"x ${rcpt2}\"\n", 5, "${rcpt} is only allowed" },
    { "rcpt in another case", "suite s\ntitle T\ncase a\ntitle A\nneeds rcpt\n"
      "send ${rcpt}\ncase b\ntitle B\nsend ${rcpt}\n", 9, "${rcpt} is only allowed" },
    { "bad code 650", HEAD "send NOOP\nexpect 650\n", 6, "bad code \"650\"" },
    { "bad code 2x", HEAD "send NOOP\nexpect 2x\n", 6, "bad code \"2x\"" },
    { "bad code 2x5", HEAD "send NOOP\nexpect 2x5\n", 6, "bad code \"2x5\"" },
    { "bad code 150", HEAD "send NOOP\nexpect 150\n", 6, "bad code \"150\"" },
    { "bad code list 250,", HEAD "send NOOP\nexpect 250,\n", 6, "bad code \"\"" },
    { "bad code 2500", HEAD "send NOOP\nexpect 2500\n", 6, "bad code \"2500\"" },
    { "expect without codes", HEAD "send NOOP\nexpect\n", 6, "expect needs a code list" },
    { "repeat *0", HEAD "send \"a\"*0\n", 5, "repeat count after * must be 1..1048576" },
    { "repeat *99999999", HEAD "send \"a\"*99999999\n", 5, "repeat count after *" },
    { "repeat *-1", HEAD "send \"a\"*-1\n", 5, "repeat count after *" },
    { "repeat without number", HEAD "send \"a\"*\n", 5, "repeat count after *" },
    { "unterminated string", HEAD "send \"abc\n", 5, "unterminated string" },
    { "unterminated string after backslash", HEAD "send \"abc\\\n", 5, "unterminated string" },
    { "unknown escape \\q", HEAD "send \"a\\qb\"\n", 5, "unknown escape \\q" },
    { "bad \\x escape", HEAD "send \"\\xZZ\"\n", 5, "\\x needs two hex digits" },
    { "short \\x escape", HEAD "send \"\\x4\"\n", 5, "\\x needs two hex digits" },
    { "\\x at end", HEAD "send \"\\x\n", 5, "\\x needs two hex digits" },
    { "strings without space", HEAD "send \"a\"\"b\"\n", 5, "expected a space after a quoted string" },
    { "title missing in a case", "suite s\ntitle T\ncase a\nsend NOOP\ncase b\ntitle B\n", 3,
      "case \"s.a\" has no title" },
    { "title missing in last case", "suite s\ntitle T\ncase a\ntitle A\ncase b\nsend NOOP\n", 5,
      "case \"s.b\" has no title" },
    { "title given twice", HEAD "title again\n", 5, "title given twice" },
    { "duplicate case id", HEAD "case b\ntitle B\ncase a\ntitle A2\n", 7,
      "duplicate case id \"a\" (first at line 3)" },
    { "ref after send", HEAD "send NOOP\nref RFC 5321\n", 6,
      "\"ref\" must come before the case's first step" },
    { "needs after expect", HEAD "expect 220 r\nneeds rcpt\n", 6,
      "\"needs\" must come before the case's first step" },
    { "greeting after send", HEAD "send NOOP\ngreeting any\n", 6,
      "\"greeting\" must come before" },
    { "suite inside a case", HEAD "suite t\n", 5, "\"suite\" is only allowed before the first case" },
    { "step before any case", "suite s\ntitle T\nsend NOOP\n", 3,
      "\"send\" is only allowed inside a case" },
    { "needs before any case", "suite s\ntitle T\nneeds rcpt\n", 3,
      "\"needs\" is only allowed inside a case" },
    { "expect-close as the first step", HEAD "expect-close r\nsend NOOP\n", 5,
      "expect-close must follow a send" },
    /* expect RULE: one rule id, no level word, no quoted reason */
    { "expect without rule", HEAD "send NOOP\nexpect 250\n", 6,
      "expect ends with the id of the rule it judges by" },
    { "expect with two words", HEAD "send NOOP\nexpect 250 r-one r-two\n", 6,
      "expect ends with the id of the rule" },
    { "expect with a quoted reason", HEAD "send NOOP\nexpect 250 \"the why\"\n", 6,
      "a quoted reason is no longer taken" },
    { "expect with a one-word quoted reason", HEAD "send NOOP\nexpect 250 \"why\"\n", 6,
      "a quoted reason is no longer taken" },
    { "expect with level and reason", HEAD "send NOOP\nexpect 250 MUST \"must why\"\n", 6,
      "a quoted reason is no longer taken" },
    { "expect with rule and reason", HEAD "send NOOP\nexpect 250 r-must \"why\"\n", 6,
      "a quoted reason is no longer taken" },
    { "unterminated reason", HEAD "send NOOP\nexpect 250 \"abc\n", 6,
      "a quoted reason is no longer taken" },
    { "expect-close without rule", HEAD "send QUIT\nexpect-close\n", 6,
      "expect-close ends with the id of the rule" },
    { "expect-close with level and reason", HEAD "send QUIT\nexpect-close MUST \"x\"\n", 6,
      "a quoted reason is no longer taken" },
    { "expect-keyword without rule", HEAD "send EHLO x\nexpect-keyword SIZE\n", 6,
      "expect-keyword ends with the id of the rule" },
    { "expect-keyword with level and reason",
      HEAD "send EHLO x\nexpect-keyword SIZE SHOULD \"kw why\"\n", 6,
      "a quoted reason is no longer taken" },
    { "expect-within without rule", HEAD "send NOOP\nexpect-within 5\n", 6,
      "expect-within ends with the id of the rule" },
    { "expect-no-more without rule", HEAD "send NOOP\nexpect-no-more\n", 6,
      "expect-no-more ends with the id of the rule" },
    { "close-permitted without reason", HEAD "close-permitted\n", 5,
      "close-permitted needs one quoted reason" },
    { "needs rcpt2 extra", HEAD "needs rcpt2 now\n", 5, "needs takes:" },
    /* require and control: codes and a quoted reason, no rule */
    { "require without reason", HEAD "send NOOP\nrequire 250\n", 6,
      "require needs one quoted reason" },
    { "require with level only", HEAD "send NOOP\nrequire 250 SHOULD\n", 6,
      "require needs one quoted reason" },
    { "require with a rule", HEAD "send NOOP\nrequire 250 r-must\n", 6,
      "require needs one quoted reason" },
    { "require with text after the reason", HEAD "send NOOP\nrequire 250 \"a\" b\n", 6,
      "require needs one quoted reason at the end of the line" },
    { "require unterminated reason", HEAD "send NOOP\nrequire 250 \"abc\n", 6,
      "require needs one quoted reason" },
    { "require without codes", HEAD "send NOOP\nrequire\n", 6, "require needs a code list" },
    { "control without reason", HEAD "send NOOP\ncontrol 250\n", 6,
      "control needs one quoted reason" },
    { "control with a rule", HEAD "send NOOP\ncontrol 250 r-must\n", 6,
      "control needs one quoted reason" },
    { "control without codes", HEAD "send NOOP\ncontrol\n", 6, "control needs a code list" },
    { "control bad code", HEAD "send NOOP\ncontrol 650 \"x\"\n", 6, "bad code \"650\"" },
    { "read FOO", HEAD "read FOO\n", 5, "unknown command \"FOO\" for the code table" },
    { "read without command", HEAD "read\n", 5, "read needs one table command" },
    { "read two words", HEAD "read DATA MAIL\n", 5, "read: \"MAIL\" is not a rule id" },
    { "read three words", HEAD "read DATA a-rule x\n", 5, "read ends with the id of the rule" },
    { "send as FOO", HEAD "send \"x\" as FOO\n", 5, "unknown command \"FOO\" for the code table" },
    { "send as without command", HEAD "send \"x\" as\n", 5, "only \"as COMMAND\" may follow" },
    { "write as NOOP", HEAD "write \"x\" as NOOP\n", 5, "unexpected \"as NOOP\" after the strings" },
    { "sendraw unquoted", HEAD "sendraw NOOP\n", 5, "sendraw and write take quoted strings" },
    { "write unquoted", HEAD "write NOOP\n", 5, "sendraw and write take quoted strings" },
    { "send without text", HEAD "send\n", 5, "send needs a command line" },
    { "needs bad", HEAD "needs something\n", 5, "needs takes: rcpt | rcpt2 | plaintext | tls | auth | ext KEYWORD" },
    { "needs rcpt extra", HEAD "needs rcpt now\n", 5, "needs takes:" },
    { "needs profile bad", HEAD "needs profile rfc2821\n", 5, "unknown profile \"rfc2821\"" },
    { "greeting bad", HEAD "greeting sometimes\n", 5, "greeting takes accept, refuse, any or early" },
    { "ref without text", HEAD "ref\n", 5, "ref needs text" },
    { "title without text", "suite s\ntitle\n", 2, "title needs text" },
};

static void test_bad(void)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *bc = &bad_cases[i];
        struct suite *s = (struct suite *)&s;   /* must become NULL */
        char err[512] = "", prefix[64], name[200];
        int rc = suite_parse("bad.suite", bc->text, strlen(bc->text), &s, err, sizeof err);
        snprintf(name, sizeof name, "bad: %s is refused", bc->label);
        CHECK_INT(rc, -1, name);
        if (rc == 0) {
            suite_free(s);
            continue;
        }
        snprintf(name, sizeof name, "bad: %s leaves *out NULL", bc->label);
        CHECK(s == NULL, name);
        snprintf(prefix, sizeof prefix, "bad.suite:%d: ", bc->line);
        snprintf(name, sizeof name, "bad: %s error starts with \"%s\"", bc->label, prefix);
        tap_result_(strncmp(err, prefix, strlen(prefix)) == 0, name, "got \"%s\"", err);
        snprintf(name, sizeof name, "bad: %s error mentions the cause", bc->label);
        CHECK_CONTAINS(err, bc->phrase, name);
    }

    /* NUL byte: the length is explicit */
    static const char nul[] = "suite s\ntitle T\0x\n";
    struct suite *s = NULL;
    char err[512] = "";
    int rc = suite_parse("nul.suite", nul, sizeof nul - 1, &s, err, sizeof err);
    CHECK_INT(rc, -1, "bad: NUL byte is refused");
    CHECK_STR(err, "nul.suite:1: the file contains a NUL byte", "bad: NUL byte message");

    rc = suite_parse("empty.suite", "", 0, &s, err, sizeof err);
    CHECK_INT(rc, -1, "bad: empty file is refused");
    CHECK(strncmp(err, "empty.suite:1: ", 15) == 0, "bad: empty file error at line 1");
    CHECK_CONTAINS(err, "must start with \"suite ID\"", "bad: empty file message");

    /* a small err buffer is not overrun */
    char small[12];
    memset(small, 'Z', sizeof small);
    rc = suite_parse("bad.suite", HEAD "frobnicate\n", strlen(HEAD "frobnicate\n"), &s,
                     small, 8);
    CHECK(rc == -1 && small[7] == '\0' && small[8] == 'Z' && strncmp(small, "bad.sui", 7) == 0,
          "error is truncated to errlen");
}

/* Steps added with the EHLO checks: negated code lists, check,
 * expect-keyword, expect-within. */
static void test_newer_steps(void)
{
    static const char text[] =
        "suite n\ntitle T\ncase x\ntitle X\n"
        "send EHLO ${helo}\n"
        "expect !500,!502 r-must\n"
        "expect 2xx,!250 r-should\n"
        "check ehlo-keywords\n"
        "expect-keyword starttls r-should\n"
        "expect-within 0.25 r-must\n"
        "expect-no-more r-should\n";
    struct suite *s = NULL;
    char err[512] = "";
    int rc = suite_parse("n", text, sizeof text - 1, &s, err, sizeof err);
    CHECK_INT(rc, 0, "newer steps parse");
    if (rc != 0) {
        tap_diag("error: %s", err);
        return;
    }
    const struct step *st = s->cases[0].steps;
    CHECK_INT(s->cases[0].nsteps, 7, "newer steps: 7 steps");
    if (s->cases[0].nsteps == 7) {
        CHECK_INT(st[6].kind, STEP_EXPECT_NO_MORE, "expect-no-more step");
        CHECK_STR(st[6].rule_id, "r-should", "expect-no-more rule");
        CHECK(codeset_has(&st[1].codes, 200) && codeset_has(&st[1].codes, 599) &&
              codeset_has(&st[1].codes, 501) && codeset_has(&st[1].codes, 503),
              "!500,!502 keeps 200, 501, 503, 599");
        CHECK(!codeset_has(&st[1].codes, 500) && !codeset_has(&st[1].codes, 502) &&
              !codeset_has(&st[1].codes, 199) && !codeset_has(&st[1].codes, 600),
              "!500,!502 lacks 500, 502 and codes outside 200..599");
        CHECK(codeset_has(&st[2].codes, 251) && codeset_has(&st[2].codes, 200) &&
              !codeset_has(&st[2].codes, 250) && !codeset_has(&st[2].codes, 300),
              "2xx,!250 is 2xx without 250");
        CHECK_STR(st[1].rule_id, "r-must", "negated list with a rule");
        CHECK_STR(st[2].rule_id, "r-should", "mixed list with a rule");
        CHECK_INT(st[3].kind, STEP_CHECK, "check step");
        CHECK_INT(st[4].kind, STEP_EXPECT_KEYWORD, "expect-keyword step");
        CHECK_STR(st[4].keyword, "STARTTLS", "expect-keyword upper-cases");
        CHECK_STR(st[4].rule_id, "r-should", "expect-keyword rule");
        CHECK(st[4].why == NULL, "expect-keyword has no why");
        CHECK_INT(st[5].kind, STEP_EXPECT_WITHIN, "expect-within step");
        CHECK_INT(st[5].within_ms, 250, "expect-within 0.25 s = 250 ms");
        CHECK_STR(st[5].rule_id, "r-must", "expect-within rule");
    }
    suite_free(s);

    static const struct bad_case bad[] = {
        { "bad negated code", HEAD "send NOOP\nexpect !650\n", 6, "bad code \"650\"" },
        { "double negation", HEAD "send NOOP\nexpect !!500\n", 6, "bad code" },
        { "unknown check", HEAD "send NOOP\ncheck nothing\n", 6, "unknown check \"nothing\"" },
        { "expect-keyword without keyword", HEAD "send NOOP\nexpect-keyword\n", 6,
          "expect-keyword needs an EHLO keyword" },
        { "expect-within 0", HEAD "send NOOP\nexpect-within 0\n", 6,
          "expect-within: \"0\" is not a number of seconds" },
        { "expect-within x", HEAD "send NOOP\nexpect-within 2s\n", 6, "expect-within: \"2s\"" },
        { "expect-within missing", HEAD "send NOOP\nexpect-within\n", 6,
          "expect-within needs a number of seconds" },
    };
    check_refused(bad, sizeof bad / sizeof bad[0]);
}

/* The TLS directives: starttls RULE, certificate, needs plaintext / tls /
 * no-ext. */
static void test_tls_steps(void)
{
    static const char text[] =
        "suite t\ntitle T\ncase x\ntitle X\n"
        "needs plaintext\nneeds tls\nneeds no-ext starttls\ngreeting early\n"
        "codes-not-judged \"the client spoke first\"\n"
        "send STARTTLS\nrequire 220 \"no\"\nstarttls r-none\ncertificate\n";
    struct suite *s = NULL;
    char err[512] = "";
    int rc = suite_parse("t", text, sizeof text - 1, &s, err, sizeof err);
    CHECK_INT(rc, 0, "TLS directives parse");
    if (rc != 0) {
        tap_diag("error: %s", err);
        return;
    }
    const struct casedef *c = &s->cases[0];
    CHECK(c->plaintext && c->needs_tls, "needs plaintext and needs tls are recorded");
    CHECK(c->greeting == GREETING_EARLY, "greeting early is recorded");
    CHECK(c->codes_not_judged && strcmp(c->codes_not_judged, "the client spoke first") == 0,
          "codes-not-judged keeps its reason");
    CHECK(c->nneeds_no_ext == 1 && strcmp(c->needs_no_ext[0], "STARTTLS") == 0,
          "needs no-ext upper-cases its keyword");
    CHECK(c->nsteps == 4 && c->steps[2].kind == STEP_STARTTLS &&
          strcmp(c->steps[2].rule_id, "r-none") == 0, "starttls takes a rule");
    CHECK(c->nsteps == 4 && c->steps[3].kind == STEP_CERTIFICATE, "certificate step");
    suite_free(s);

    static const struct bad_case bad[] = {
        { "starttls without rule", HEAD "send STARTTLS\nstarttls\n", 6,
          "starttls ends with the id of the rule" },
        { "certificate with argument", HEAD "certificate now\n", 5,
          "certificate takes no argument" },
        { "needs plaintext extra", HEAD "needs plaintext now\n", 5, "needs takes:" },
        { "needs no-ext without keyword", HEAD "needs no-ext\n", 5, "needs takes:" },
    };
    check_refused(bad, sizeof bad / sizeof bad[0]);
}

/* The security directives: advisory, fix, expect-silence, expect-same-code,
 * end-unless, and the relay and random variables. */
static void test_security_steps(void)
{
    static const char text[] =
        "suite t\ntitle T\ncase x\ntitle X\n"
        "advisory Flaw (CVE-0000-0000)\nfix Do not.\nneeds rcpt\n"
        "send MAIL FROM:<${relay_from}>\nsend RCPT TO:<${relay_user}%${relay_domain}@x>\n"
        "send VRFY ${random}\nexpect-same-code\nexpect-same-code r-none\n"
        "write \"a\\n.\\n\"\nexpect-silence 2.5 r-must\nend-unless 334,2xx\n";
    struct suite *s = NULL;
    char err[512] = "";
    int rc = suite_parse("t", text, sizeof text - 1, &s, err, sizeof err);
    CHECK_INT(rc, 0, "security directives parse");
    if (rc != 0) {
        tap_diag("error: %s", err);
        return;
    }
    const struct casedef *c = &s->cases[0];
    CHECK_STR(c->advisory, "Flaw (CVE-0000-0000)", "advisory keeps its text");
    CHECK_STR(c->fix, "Do not.", "fix keeps its text");
    CHECK(case_uses_var(c, VAR_RELAY_FROM) && case_uses_var(c, VAR_RELAY_USER) &&
          case_uses_var(c, VAR_RELAY_DOMAIN) && case_uses_var(c, VAR_RANDOM),
          "relay and random variables are known");
    CHECK(c->nsteps == 8, "eight steps");
    if (c->nsteps == 8) {
        CHECK(c->steps[3].kind == STEP_EXPECT_SAME_CODE && !c->steps[3].rule_id,
              "expect-same-code without a rule");
        CHECK(c->steps[4].kind == STEP_EXPECT_SAME_CODE &&
              strcmp(c->steps[4].rule_id, "r-none") == 0, "expect-same-code with a rule");
        CHECK(c->steps[6].kind == STEP_EXPECT_SILENCE && c->steps[6].within_ms == 2500 &&
              strcmp(c->steps[6].rule_id, "r-must") == 0, "expect-silence SECS RULE");
        CHECK(c->steps[7].kind == STEP_END_UNLESS && codeset_has(&c->steps[7].codes, 334) &&
              codeset_has(&c->steps[7].codes, 221) && !codeset_has(&c->steps[7].codes, 503),
              "end-unless takes a code list");
    }
    suite_free(s);

    static const struct bad_case bad[] = {
        { "advisory without fix", HEAD "advisory X\nsend NOOP\n", 3,
          "advisory and fix go together" },
        { "fix twice", HEAD "advisory X\nfix Y\nfix Z\n", 7, "fix given twice" },
        { "empty advisory", HEAD "advisory\n", 5, "advisory needs text" },
        { "expect-silence not after write", HEAD "send NOOP\nexpect-silence 1 r-must\n", 6,
          "expect-silence must follow a write" },
        { "expect-silence too long", HEAD "write \"x\"\nexpect-silence 11 r-must\n", 6,
          "not a number of seconds from 0 to 10" },
        { "expect-silence without rule", HEAD "write \"x\"\nexpect-silence 1\n", 6,
          "expect-silence ends with the id of the rule" },
        { "end-unless with a reason", HEAD "send NOOP\nend-unless 250 \"why\"\n", 6,
          "end-unless takes only a code list" },
        { "unknown variable", HEAD "send VRFY ${randomly}\n", 5, "" },
    };
    check_refused(bad, sizeof bad / sizeof bad[0]);
}

/* suite_load: the bundled suite (when found) and a missing file. */
static void test_load(void)
{
    const char *srcdir = getenv("srcdir");
    char path[1024];
    snprintf(path, sizeof path, "%s/suites/basic.suite", srcdir ? srcdir : ".");
    struct suite *s = NULL;
    char err[512] = "";
    if (access(path, R_OK) == 0) {
        int rc = suite_load(path, &s, err, sizeof err);
        tap_result_(rc == 0, "suite_load(suites/basic.suite) succeeds", "%s", err);
        if (rc == 0) {
            CHECK_STR(s->id, "basic", "basic.suite id");
            CHECK(s->ncases > 0, "basic.suite has cases");
            suite_free(s);
        }
    } else {
        printf("ok %d - suite_load(suites/basic.suite) # SKIP not found\n", ++tap_run_);
    }
    int rc = suite_load("/nonexistent/x.suite", &s, err, sizeof err);
    CHECK_INT(rc, -1, "suite_load of a missing file fails");
    CHECK(strncmp(err, "/nonexistent/x.suite:0: cannot open", 35) == 0,
          "suite_load missing file message");
    CHECK(s == NULL, "suite_load failure leaves *out NULL");
    suite_free(NULL);   /* must be a no-op */
}

int main(void)
{
    test_good();
    test_crlf_file();
    test_limits();
    test_bad();
    test_newer_steps();
    test_tls_steps();
    test_security_steps();
    test_resolve();
    test_load();
    return done_testing();
}
