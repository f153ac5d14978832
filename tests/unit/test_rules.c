/* test_rules.c - the rule catalog parser (rules.h): catalog_parse,
 * keyword_verdict, catalog_find, catalog_load, catalog_dump. */
#define _GNU_SOURCE 1   /* mkdtemp */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/rules.h"
#include "tap.h"

/* Parses text into a fresh catalog; *rc gets catalog_parse's result. */
static struct catalog *parse(const char *name, const char *text, int *rc, char *err,
                             size_t errlen)
{
    struct catalog *cat = calloc(1, sizeof *cat);
    err[0] = '\0';
    *rc = cat ? catalog_parse(cat, name, text, strlen(text), err, errlen) : -2;
    return cat;
}

static const char two_rules[] =
    "# a comment\n"
    "\n"
    "rule 5321-3.3-rcpt-without-mail\n"
    "title RCPT without a previous MAIL gets 503\n"
    "source RFC 5321 §3.3\n"
    "binds server\n"
    "keyword MUST\n"
    "quote If a\n"
    "quote   RCPT command appears   without a previous MAIL command, the server MUST\n"
    "  quote\treturn a 503 \"Bad sequence of commands\" response.   \n"
    "note our reading # not a comment\n"
    "\n"
    "   # an indented comment\n"
    "rule 5321-4.1.4-ehlo-first\r\n"
    "title\tA session starts with EHLO\r\n"
    "source RFC 5321 §4.1.4\r\n"
    "binds client\r\n"
    "keyword MUST\r\n"
    "quote A session that will contain mail transactions MUST first be\r\n"
    "quote initialized by the use of the EHLO command.\r\n";

static void test_fields(void)
{
    char err[512];
    int rc;
    struct catalog *cat = parse("t.rules", two_rules, &rc, err, sizeof err);
    CHECK_INT(rc, 0, "two rules parse");
    if (rc != 0) {
        tap_diag("error: %s", err);
        catalog_free(cat);
        return;
    }
    CHECK_INT(cat->n, 2, "two rules");
    if (cat->n != 2) {
        catalog_free(cat);
        return;
    }
    const struct rule *a = &cat->rules[0], *b = &cat->rules[1];
    CHECK_STR(a->id, "5321-3.3-rcpt-without-mail", "rule id");
    CHECK_STR(a->title, "RCPT without a previous MAIL gets 503", "title");
    CHECK_STR(a->source, "RFC 5321 §3.3", "source");
    CHECK_INT(a->binds_client, 0, "binds server");
    CHECK_STR(a->keyword, "MUST", "keyword");
    CHECK_INT(a->verdict, V_FAIL, "MUST: verdict fail");
    CHECK_STR(a->quote, "If a RCPT command appears without a previous MAIL command, the "
              "server MUST return a 503 \"Bad sequence of commands\" response.",
              "quote lines joined by one space, blank runs and tabs folded, ends trimmed");
    CHECK_STR(a->note, "our reading # not a comment", "note; # inside a value is kept");
    CHECK_STR(a->file, "t.rules", "file is the name given");
    CHECK_INT(a->line, 3, "line of the rule's \"rule\" line");

    CHECK_STR(b->id, "5321-4.1.4-ehlo-first", "CRLF: id has no CR");
    CHECK_STR(b->title, "A session starts with EHLO", "a tab separates field and value");
    CHECK_INT(b->binds_client, 1, "binds client");
    CHECK_STR(b->quote, "A session that will contain mail transactions MUST first be "
              "initialized by the use of the EHLO command.", "CRLF: quote lines joined");
    CHECK(b->note == NULL, "no note: NULL");
    CHECK_INT(b->line, 14, "second rule's line");

    /* a second text adds to the same catalog */
    static const char more[] =
        "rule 1870-3-size-param\ntitle T\nsource RFC 1870 §3\nbinds server\n"
        "keyword SHOULD\nquote x SHOULD y.\n";
    rc = catalog_parse(cat, "more.rules", more, sizeof more - 1, err, sizeof err);
    CHECK_INT(rc, 0, "a second text adds rules");
    CHECK_INT(cat->n, 3, "three rules now");
    if (cat->n == 3) {
        CHECK_STR(cat->rules[2].file, "more.rules", "the added rule's file");
        CHECK_INT(cat->rules[2].verdict, V_WARN, "SHOULD: verdict warn");
    }
    /* the same id in another text is a duplicate */
    static const char dup[] =
        "rule 5321-3.3-rcpt-without-mail\ntitle T\nsource RFC 5321 §3.3\nbinds server\n"
        "keyword MUST\nquote x MUST y.\n";
    rc = catalog_parse(cat, "dup.rules", dup, sizeof dup - 1, err, sizeof err);
    CHECK_INT(rc, -1, "an id defined in another file is refused");
    CHECK_CONTAINS(err, "dup.rules:1: rule 5321-3.3-rcpt-without-mail is defined twice",
                   "duplicate across files: message");
    CHECK(cat->n >= 3 && strcmp(cat->rules[0].id, "5321-3.3-rcpt-without-mail") == 0,
          "the catalog keeps the rules added before the error");
    catalog_free(cat);

    /* an empty text, or comments only, adds nothing and is no error */
    cat = parse("e.rules", "# nothing here\n\n", &rc, err, sizeof err);
    CHECK(rc == 0 && cat->n == 0, "comments only: no rules, no error");
    catalog_free(cat);
    catalog_free(NULL);     /* a no-op */
}

#define R(id) "rule " id "\n"
#define FULL "title T\nsource RFC 5321 §3.3\nbinds server\nkeyword MUST\nquote It MUST.\n"

struct bad {
    const char *label;
    const char *text;
    int line;
    const char *phrase;
};

static const struct bad bads[] = {
    { "unknown field", R("a-1") FULL "frob x\n", 7, "unknown field \"frob\"" },
    { "old level field", R("a-1") FULL "level MUST\n", 7, "unknown field \"level\"" },
    { "unknown keyword", R("a-1") "title T\nsource RFC 5321 §3.3\nbinds server\n"
      "keyword MUSTN'T\nquote It MUST.\n", 5, "unknown keyword \"MUSTN'T\"" },
    { "keyword in mixed case", R("a-1") "title T\nsource RFC 5321 §3.3\nbinds server\n"
      "keyword Must\nquote It MUST.\n", 5, "unknown keyword \"Must\"" },
    { "keyword missing its value", R("a-1") "title T\nsource RFC 5321 §3.3\nbinds server\n"
      "keyword\nquote It MUST.\n", 5, "keyword needs a value" },
    { "keyword given twice", R("a-1") FULL "keyword SHOULD\n", 7, "keyword given twice" },
    { "title given twice", R("a-1") FULL "title again\n", 7, "title given twice" },
    { "source given twice", R("a-1") FULL "source RFC 5321 §3.4\n", 7, "source given twice" },
    { "note given twice", R("a-1") FULL "note a\nnote b\n", 8, "note given twice" },
    { "no title", R("a-1") "source RFC 5321 §3.3\nbinds server\nkeyword MUST\nquote It MUST.\n",
      1, "rule a-1 has no title" },
    { "no source", R("a-1") "title T\nbinds server\nkeyword MUST\nquote It MUST.\n",
      1, "rule a-1 has no source" },
    { "no keyword", R("a-1") "title T\nsource RFC 5321 §3.3\nbinds server\nquote It MUST.\n",
      1, "rule a-1 has no keyword" },
    { "no quote", R("a-1") "title T\nsource RFC 5321 §3.3\nbinds server\nkeyword MUST\n",
      1, "rule a-1 has no quote" },
    /* a rule that forgets "binds client" must not silently judge servers */
    { "no binds", R("a-1") "title T\nsource RFC 5321 §3.3\nkeyword MUST\nquote It MUST.\n",
      1, "rule a-1 has no binds" },
    { "an incomplete rule before the next", R("a-1") "title T\n" R("b-2") FULL, 1,
      "rule a-1 has no source" },
    { "bad binds", R("a-1") "title T\nsource RFC 5321 §3.3\nbinds both\nkeyword MUST\n"
      "quote It MUST.\n", 4, "binds takes server or client" },
    { "duplicate id", R("a-1") FULL "\n" R("a-1") FULL, 8, "rule a-1 is defined twice" },
    { "bad id: upper case", R("A-1") FULL, 1, "bad rule id \"A-1\"" },
    { "bad id: underscore", R("a_1") FULL, 1, "bad rule id \"a_1\"" },
    { "bad id: section sign", R("5321-§3.3") FULL, 1, "bad rule id" },
    { "bad id: empty", "rule\n" FULL, 1, "bad rule id" },
    { "field before the first rule", "title T\n" R("a-1") FULL, 1,
      "\"title\" before the first rule" },
    { "quote before the first rule", "quote x\n", 1, "\"quote\" before the first rule" },
};

static void test_bad(void)
{
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        char err[512], name[200], prefix[64];
        int rc;
        struct catalog *cat = parse("bad.rules", bads[i].text, &rc, err, sizeof err);
        snprintf(name, sizeof name, "bad: %s is refused", bads[i].label);
        CHECK_INT(rc, -1, name);
        snprintf(prefix, sizeof prefix, "bad.rules:%d: ", bads[i].line);
        snprintf(name, sizeof name, "bad: %s error starts with \"%s\"", bads[i].label, prefix);
        tap_result_(rc == -1 && strncmp(err, prefix, strlen(prefix)) == 0, name,
                    "got \"%s\"", err);
        snprintf(name, sizeof name, "bad: %s error mentions the cause", bads[i].label);
        CHECK_CONTAINS(rc == -1 ? err : "", bads[i].phrase, name);
        catalog_free(cat);
    }

    /* a NUL byte: the length is explicit */
    static const char nul[] = "rule a-1\ntitle T\0x\n";
    struct catalog *cat = calloc(1, sizeof *cat);
    char err[512] = "";
    int rc = catalog_parse(cat, "nul.rules", nul, sizeof nul - 1, err, sizeof err);
    CHECK_INT(rc, -1, "bad: NUL byte is refused");
    CHECK_CONTAINS(err, "nul.rules:1: ", "bad: NUL byte error names the file");
    catalog_free(cat);
}

static void test_keyword_verdict(void)
{
    static const struct {
        const char *kw;
        enum verdict v;
    } kws[] = {
        { "MUST", V_FAIL }, { "MUST NOT", V_FAIL }, { "REQUIRED", V_FAIL },
        { "SHALL", V_FAIL }, { "SHALL NOT", V_FAIL }, { "VIOLATION", V_FAIL },
        { "ABNF", V_FAIL }, { "must", V_FAIL },
        { "SHOULD", V_WARN }, { "SHOULD NOT", V_WARN }, { "RECOMMENDED", V_WARN },
        { "NOT RECOMMENDED", V_WARN },
        { "MAY", V_INFO }, { "OPTIONAL", V_INFO }, { "NONE", V_INFO },
        /* unknown: pass, which the parser refuses */
        { "should", V_PASS }, { "may", V_PASS }, { "Must", V_PASS }, { "MUST  NOT", V_PASS },
        { "MUSTNOT", V_PASS }, { "", V_PASS }, { "INFO", V_PASS }, { "FAIL", V_PASS },
    };
    for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++) {
        char name[80];
        snprintf(name, sizeof name, "keyword_verdict(\"%s\") is %s", kws[i].kw,
                 verdict_name(kws[i].v));
        CHECK_INT(keyword_verdict(kws[i].kw), kws[i].v, name);
    }
    /* every keyword the parser takes sets the rule's verdict */
    for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++) {
        if (kws[i].v == V_PASS)
            continue;
        char text[256], err[512], name[80];
        int rc;
        snprintf(text, sizeof text, "rule k-1\ntitle T\nsource RFC 5321 §3.3\nbinds server\n"
                 "keyword %s\nquote q.\n", kws[i].kw);
        struct catalog *cat = parse("k.rules", text, &rc, err, sizeof err);
        snprintf(name, sizeof name, "keyword %s: rule verdict %s", kws[i].kw,
                 verdict_name(kws[i].v));
        tap_result_(rc == 0 && cat->n == 1 && cat->rules[0].verdict == kws[i].v, name,
                    "rc %d, %s", rc, err);
        catalog_free(cat);
    }
}

static void test_find(void)
{
    char err[512];
    int rc;
    struct catalog *cat = parse("t.rules", two_rules, &rc, err, sizeof err);
    if (rc != 0 || cat->n != 2) {
        CHECK(0, "find: the catalog parses");
        catalog_free(cat);
        return;
    }
    CHECK(catalog_find(cat, "5321-4.1.4-ehlo-first") == &cat->rules[1], "find: second rule");
    CHECK(catalog_find(cat, "5321-3.3-rcpt-without-mail") == &cat->rules[0], "find: first rule");
    CHECK(catalog_find(cat, "5321-3.3") == NULL, "find: a prefix is no match");
    CHECK(catalog_find(cat, "5321-3.3-RCPT-WITHOUT-MAIL") == NULL, "find: case-sensitive");
    CHECK(catalog_find(cat, "") == NULL, "find: empty id");
    CHECK(catalog_find(cat, NULL) == NULL, "find: NULL id");
    CHECK(catalog_find(NULL, "x") == NULL, "find: NULL catalog");
    struct catalog empty = { NULL, 0 };
    CHECK(catalog_find(&empty, "5321-4.1.4-ehlo-first") == NULL, "find: empty catalog");

    /* catalog_dump: one rule a line, tab-separated */
    FILE *f = tmpfile();
    if (f) {
        char line[1024];
        catalog_dump(cat, f);
        rewind(f);
        CHECK(fgets(line, sizeof line, f) != NULL, "dump: first line");
        CHECK_STR(line, "5321-3.3-rcpt-without-mail\tfail\tMUST\tserver\tRFC 5321 §3.3\t"
                  "If a RCPT command appears without a previous MAIL command, the server "
                  "MUST return a 503 \"Bad sequence of commands\" response.\n",
                  "dump: id verdict keyword binds source quote");
        CHECK(fgets(line, sizeof line, f) != NULL, "dump: second line");
        static const char client_head[] = "5321-4.1.4-ehlo-first\tfail\tMUST\tclient\t";
        CHECK(strncmp(line, client_head, sizeof client_head - 1) == 0,
              "dump: a client rule says client");
        CHECK(fgets(line, sizeof line, f) == NULL, "dump: two lines for two rules");
        fclose(f);
    }
    catalog_free(cat);
}

static int write_file(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static void remove_file(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

static void test_load(void)
{
    char dir[] = "/tmp/smtpspec-test-rules-XXXXXX";
    char err[512] = "", want[1200];
    struct catalog *cat = (struct catalog *)&cat;   /* must become NULL on failure */
    if (!mkdtemp(dir)) {
        CHECK(0, "load: mkdtemp");
        return;
    }
    /* an empty directory is an error */
    CHECK_INT(catalog_load(dir, &cat, err, sizeof err), -1, "load: no *.rules is refused");
    CHECK(cat == NULL, "load: failure leaves *out NULL");
    CHECK_CONTAINS(err, "no *.rules files", "load: empty directory message");

    /* files load in name order; other names are ignored */
    write_file(dir, "b.rules", R("b-1") FULL);
    write_file(dir, "a.rules", "# first by name\n" R("a-1") FULL "\n" R("a-2") FULL);
    write_file(dir, "c.rules.bak", "this is not a rules file\n");
    write_file(dir, "notes.txt", "neither\n");
    write_file(dir, ".hidden.rules", "hidden files are skipped\n");
    int rc = catalog_load(dir, &cat, err, sizeof err);
    tap_result_(rc == 0, "load: a directory of rules files loads", "%s", err);
    if (rc == 0) {
        CHECK_INT(cat->n, 3, "load: three rules from two files");
        if (cat->n == 3) {
            CHECK_STR(cat->rules[0].id, "a-1", "load: a.rules first");
            CHECK_STR(cat->rules[1].id, "a-2", "load: a.rules second rule");
            CHECK_STR(cat->rules[2].id, "b-1", "load: then b.rules");
            snprintf(want, sizeof want, "%s/a.rules", dir);
            CHECK_STR(cat->rules[0].file, want, "load: file is the path");
            CHECK_INT(cat->rules[1].line, 9, "load: line within its file");
        }
        catalog_free(cat);
    }

    /* an error names the file and line */
    write_file(dir, "d.rules", R("d-1") FULL "frob x\n");
    cat = (struct catalog *)&cat;
    rc = catalog_load(dir, &cat, err, sizeof err);
    CHECK_INT(rc, -1, "load: a bad file fails the load");
    CHECK(cat == NULL, "load: bad file leaves *out NULL");
    snprintf(want, sizeof want, "%s/d.rules:7: unknown field \"frob\"", dir);
    CHECK_STR(err, want, "load: error is path:line: message");
    remove_file(dir, "d.rules");

    /* the same id in two files */
    write_file(dir, "e.rules", R("a-2") FULL);
    rc = catalog_load(dir, &cat, err, sizeof err);
    CHECK_INT(rc, -1, "load: an id in two files is refused");
    snprintf(want, sizeof want, "%s/e.rules:1: rule a-2 is defined twice", dir);
    CHECK_STR(err, want, "load: duplicate across files names the second");
    remove_file(dir, "e.rules");

    /* a directory that does not exist */
    cat = (struct catalog *)&cat;
    CHECK_INT(catalog_load("/nonexistent/smtpspec-rules", &cat, err, sizeof err), -1,
              "load: missing directory is refused");
    CHECK(cat == NULL, "load: missing directory leaves *out NULL");
    CHECK_CONTAINS(err, "/nonexistent/smtpspec-rules", "load: missing directory is named");

    remove_file(dir, "a.rules");
    remove_file(dir, "b.rules");
    remove_file(dir, "c.rules.bak");
    remove_file(dir, "notes.txt");
    remove_file(dir, ".hidden.rules");
    rmdir(dir);
}

/* The bundled catalog parses, and its ids are unique (the parser refuses
 * duplicates).  Quotes are checked against the RFC texts by
 * tests/rules/test_catalog.py. */
static void test_bundled(void)
{
    const char *srcdir = getenv("srcdir");
    char path[1024];
    snprintf(path, sizeof path, "%s/rules", srcdir ? srcdir : ".");
    struct catalog *cat = NULL;
    char err[512] = "";
    if (access(path, R_OK) != 0) {
        printf("ok %d - the bundled catalog loads # SKIP %s not found\n", ++tap_run_, path);
        return;
    }
    int rc = catalog_load(path, &cat, err, sizeof err);
    tap_result_(rc == 0, "the bundled catalog loads", "%s", err);
    if (rc != 0)
        return;
    CHECK(cat->n > 0, "the bundled catalog has rules");
    int ok = 1;
    for (size_t i = 0; i < cat->n; i++)
        ok &= cat->rules[i].verdict == V_FAIL || cat->rules[i].verdict == V_WARN ||
              cat->rules[i].verdict == V_INFO;
    CHECK(ok, "every bundled rule's verdict is fail, warn or info");
    catalog_free(cat);
}

int main(void)
{
    test_fields();
    test_bad();
    test_keyword_verdict();
    test_find();
    test_load();
    test_bundled();
    return done_testing();
}
