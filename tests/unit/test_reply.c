/* test_reply.c - reply_frame, reply_parse and the defect table (reply.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/reply.h"
#include "tap.h"

#define S(lit) lit, sizeof(lit) - 1

static const char *const defect_names[RD_COUNT] = {
    "RD_NOT_DIGITS", "RD_FIRST_DIGIT", "RD_SECOND_DIGIT", "RD_NO_SEPARATOR",
    "RD_CODE_MISMATCH", "RD_BARE_LF", "RD_BARE_CR", "RD_UNTERMINATED",
    "RD_LONG_LINE", "RD_CODE_ONLY",
};

/* Parses p[0..n) and checks that exactly the defects in mask are set. */
static void check_defects(const char *label, const char *p, size_t n, unsigned mask)
{
    struct reply r;
    char name[512], got[200] = "", want[200] = "";
    if (reply_parse(p, n, &r) != 0) {
        snprintf(name, sizeof name, "%s: reply_parse succeeds", label);
        CHECK(0, name);
        return;
    }
    for (int d = 0; d < RD_COUNT; d++) {
        if (r.defects & (1u << d)) {
            strcat(got, " ");
            strcat(got, defect_names[d]);
        }
        if (mask & (1u << d)) {
            strcat(want, " ");
            strcat(want, defect_names[d]);
        }
    }
    snprintf(name, sizeof name, "%s: defects are {%s }", label, want);
    tap_result_(r.defects == mask, name, "got {%s }", got);
    reply_free(&r);
}

#define BIT(d) (1u << (d))

static void test_single_line(void)
{
    struct reply r;
    size_t len;
    CHECK_INT(reply_frame(S("250 OK\r\n")), 8, "frame: single line is whole input");
    CHECK_INT(reply_parse(S("250 OK\r\n"), &r), 0, "parse: single line ok");
    CHECK_INT(r.code, 250, "single: code 250");
    CHECK_INT(r.nlines, 1, "single: one line");
    CHECK_INT(r.defects, 0, "single: no defects");
    CHECK_INT(r.raw_len, 8, "single: raw_len 8");
    CHECK_MEM(r.raw, r.raw_len, "250 OK\r\n", 8, "single: raw copy");
    CHECK_INT(r.lines[0].off, 0, "single: line off 0");
    CHECK_INT(r.lines[0].len, 6, "single: line len excludes CRLF");
    CHECK_INT(r.lines[0].sep, ' ', "single: separator SP");
    CHECK_INT(r.lines[0].code, 250, "single: line code");
    CHECK_INT(r.longest, 8, "single: longest counts the terminator");
    const char *t = reply_line_text(&r, 0, &len);
    CHECK_MEM(t, len, "OK", 2, "single: text OK");
    reply_free(&r);
    CHECK(r.raw == NULL && r.lines == NULL && r.nlines == 0 && r.code == -1,
          "reply_free resets the struct");
}

static void test_multiline(void)
{
    static const char in[] = "250-a\r\n250-b\r\n250 c\r\n";
    struct reply r;
    size_t len;
    CHECK_INT(reply_frame(S(in)), sizeof in - 1, "frame: multiline is whole input");
    CHECK_INT(reply_parse(S(in), &r), 0, "parse: multiline ok");
    CHECK_INT(r.code, 250, "multi: code 250");
    CHECK_INT(r.nlines, 3, "multi: three lines");
    CHECK_INT(r.defects, 0, "multi: no defects");
    if (r.nlines == 3) {
        const char *t;
        t = reply_line_text(&r, 0, &len);
        CHECK_MEM(t, len, "a", 1, "multi: line 0 text a");
        t = reply_line_text(&r, 1, &len);
        CHECK_MEM(t, len, "b", 1, "multi: line 1 text b");
        t = reply_line_text(&r, 2, &len);
        CHECK_MEM(t, len, "c", 1, "multi: line 2 text c");
        CHECK_INT(r.lines[0].sep, '-', "multi: line 0 sep -");
        CHECK_INT(r.lines[1].sep, '-', "multi: line 1 sep -");
        CHECK_INT(r.lines[2].sep, ' ', "multi: line 2 sep SP");
        CHECK_INT(r.lines[1].off, 7, "multi: line 1 starts at 7");
        CHECK_INT(r.lines[2].off, 14, "multi: line 2 starts at 14");
    }
    reply_free(&r);

    /* a continuation line with empty text: "250-\r\n" */
    CHECK_INT(reply_frame(S("250-\r\n250 x\r\n")), 13, "frame: empty continuation text");
    check_defects("empty continuation text", S("250-\r\n250 x\r\n"), 0);
}

static void test_frame(void)
{
    CHECK_INT(reply_frame(S("250-a\r\n")), 0, "frame: continuation alone is incomplete");
    CHECK_INT(reply_frame(S("250 ok")), 0, "frame: no LF is incomplete");
    CHECK_INT(reply_frame(S("250 ok\r")), 0, "frame: CR without LF is incomplete");
    CHECK_INT(reply_frame(S("250-a\r\n250-b")), 0, "frame: unfinished second line");
    CHECK_INT(reply_frame("", 0), 0, "frame: empty input");
    CHECK_INT(reply_frame(S("250 a\r\n221 b\r\n")), 7, "frame: first of two replies");
    CHECK_INT(reply_frame(S("250-a\r\n250 b\r\n354 go\r\n")), 14,
              "frame: first multiline of two replies");
    CHECK_INT(reply_frame(S("250 ok\n")), 7, "frame: bare LF ends a line");
    CHECK_INT(reply_frame(S("250-a\n250 b\n")), 12, "frame: bare LF multiline");
    /* a line that is not "ddd-" ends the reply, whatever it is */
    CHECK_INT(reply_frame(S("garbage\r\n250 ok\r\n")), 9, "frame: non-reply line ends the reply");
    CHECK_INT(reply_frame(S("250\r\n250 x\r\n")), 5, "frame: code-only line ends the reply");
}

static void test_defects(void)
{
    /* clean */
    check_defects("clean single", S("250 OK\r\n"), 0);
    check_defects("clean multiline", S("250-a\r\n250-b\r\n250 c\r\n"), 0);
    check_defects("clean 554", S("554 no\r\n"), 0);
    check_defects("clean 2xx-5xx bounds 200", S("200 x\r\n"), 0);
    check_defects("clean 2xx-5xx bounds 559", S("559 x\r\n"), 0);

    /* RD_NOT_DIGITS */
    check_defects("hello", S("hello\r\n"), BIT(RD_NOT_DIGITS));
    check_defects("two digits", S("25\r\n"), BIT(RD_NOT_DIGITS));
    check_defects("25x", S("25x ok\r\n"), BIT(RD_NOT_DIGITS));
    check_defects("multiline bad 2nd line", S("250-a\r\nxyz\r\n"),
                  BIT(RD_NOT_DIGITS) | BIT(RD_CODE_MISMATCH));
    /* RD_FIRST_DIGIT */
    check_defects("150", S("150 x\r\n"), BIT(RD_FIRST_DIGIT));
    check_defects("650", S("650 x\r\n"), BIT(RD_FIRST_DIGIT));
    check_defects("050", S("050 x\r\n"), BIT(RD_FIRST_DIGIT));
    /* RD_SECOND_DIGIT */
    check_defects("260", S("260 x\r\n"), BIT(RD_SECOND_DIGIT));
    check_defects("290", S("290 x\r\n"), BIT(RD_SECOND_DIGIT));
    check_defects("259 ok", S("259 x\r\n"), 0);
    check_defects("690 both digits", S("690 x\r\n"),
                  BIT(RD_FIRST_DIGIT) | BIT(RD_SECOND_DIGIT));
    /* RD_NO_SEPARATOR */
    check_defects("250x", S("250x\r\n"), BIT(RD_NO_SEPARATOR));
    check_defects("2500", S("2500 ok\r\n"), BIT(RD_NO_SEPARATOR));
    check_defects("250<TAB>", S("250\tok\r\n"), BIT(RD_NO_SEPARATOR));
    /* RD_CODE_MISMATCH */
    check_defects("250-a 251 b", S("250-a\r\n251 b\r\n"), BIT(RD_CODE_MISMATCH));
    check_defects("250-a 250-b 450 c", S("250-a\r\n250-b\r\n450 c\r\n"),
                  BIT(RD_CODE_MISMATCH));
    /* RD_BARE_LF */
    check_defects("bare LF", S("250 ok\n"), BIT(RD_BARE_LF));
    check_defects("bare LF in first line", S("250-a\n250 b\r\n"), BIT(RD_BARE_LF));
    /* RD_BARE_CR */
    check_defects("bare CR in text", S("250 o\rk\r\n"), BIT(RD_BARE_CR));
    check_defects("CR CR LF", S("250 ok\r\r\n"), BIT(RD_BARE_CR));
    check_defects("bare CR unterminated", S("250 ok\r"),
                  BIT(RD_BARE_CR) | BIT(RD_UNTERMINATED));
    /* RD_UNTERMINATED */
    check_defects("unterminated", S("250 ok"), BIT(RD_UNTERMINATED));
    check_defects("unterminated last of multiline", S("250-a\r\n250 b"),
                  BIT(RD_UNTERMINATED));
    /* RD_CODE_ONLY */
    check_defects("code only", S("250\r\n"), BIT(RD_CODE_ONLY));
    check_defects("code and SP", S("250 \r\n"), 0);
    check_defects("code only, bare LF", S("250\n"),
                  BIT(RD_CODE_ONLY) | BIT(RD_BARE_LF));
    check_defects("code only on last line of multiline", S("250-a\r\n250\r\n"),
                  BIT(RD_CODE_ONLY));
    {
        /* RD_CODE_ONLY is about the last line only (reply.h) */
        struct reply r;
        if (reply_parse(S("250\r\n250 x\r\n"), &r) == 0) {
            CHECK(!reply_has(&r, RD_CODE_ONLY), "code-only line that is not the last: no RD_CODE_ONLY");
            reply_free(&r);
        }
    }
}

static void test_long_lines(void)
{
    /* "250 " + text + CRLF, total octets including CRLF = total */
    static const size_t totals[] = { 511, 512, 513 };
    for (size_t k = 0; k < 3; k++) {
        size_t total = totals[k];
        char *p = malloc(total);
        char name[80];
        memcpy(p, "250 ", 4);
        memset(p + 4, 'x', total - 6);
        memcpy(p + total - 2, "\r\n", 2);
        struct reply r;
        CHECK_INT(reply_frame(p, total), total, "frame: long line is one reply");
        if (reply_parse(p, total, &r) == 0) {
            snprintf(name, sizeof name, "%zu-octet line: longest == %zu", total, total);
            CHECK_INT(r.longest, total, name);
            snprintf(name, sizeof name, "%zu-octet line: RD_LONG_LINE %s", total,
                     total > 512 ? "set" : "not set");
            CHECK_INT(reply_has(&r, RD_LONG_LINE), total > 512, name);
            snprintf(name, sizeof name, "%zu-octet line: no other defect", total);
            CHECK_INT(r.defects & ~BIT(RD_LONG_LINE), 0, name);
            reply_free(&r);
        } else {
            CHECK(0, "reply_parse of a long line");
        }
        free(p);
    }
    /* the long line may be any line of a multiline reply */
    char big[600];
    memcpy(big, "250-", 4);
    memset(big + 4, 'y', 520);
    memcpy(big + 524, "\r\n250 z\r\n", 9);
    check_defects("long first line of multiline", big, 533, BIT(RD_LONG_LINE));
}

static void test_binary_text(void)
{
    static const char in[] = "250 a\0b\xff\xfe" "c\r\n";  /* 12 bytes */
    struct reply r;
    size_t len;
    CHECK_INT(sizeof in - 1, 12, "binary input is 12 bytes");
    CHECK_INT(reply_frame(S(in)), 12, "frame: NUL and 0xFF do not end the reply");
    CHECK_INT(reply_parse(S(in), &r), 0, "parse: binary ok");
    CHECK_INT(r.raw_len, 12, "binary: raw_len keeps every byte");
    CHECK_MEM(r.raw, r.raw_len, in, 12, "binary: raw is an exact copy");
    CHECK_INT(r.defects, 0, "binary: NUL/0xFF are not syntax defects");
    const char *t = reply_line_text(&r, 0, &len);
    CHECK_MEM(t, len, "a\0b\xff\xfe" "c", 6, "binary: line text keeps NUL and 0xFF");
    reply_free(&r);

    /* A NUL inside the code position */
    check_defects("NUL in code", "2\x00" "0 x\r\n", 7, BIT(RD_NOT_DIGITS));
}

static void test_empty(void)
{
    struct reply r;
    CHECK_INT(reply_parse("", 0, &r), 0, "parse: empty input ok");
    CHECK_INT(r.nlines, 0, "empty: no lines");
    CHECK_INT(r.code, -1, "empty: code -1");
    CHECK_INT(r.raw_len, 0, "empty: raw_len 0");
    CHECK(r.raw != NULL && r.raw[0] == '\0', "empty: raw is an empty string");
    CHECK_INT(r.defects, 0, "empty: no defects");
    reply_free(&r);
}

static void test_line_fields(void)
{
    struct reply r;
    size_t len;
    if (reply_parse(S("hello\r\n"), &r) != 0) {
        CHECK(0, "parse hello");
        return;
    }
    CHECK_INT(r.code, -1, "not digits: code -1");
    CHECK_INT(r.lines[0].code, -1, "not digits: line code -1");
    CHECK_INT(r.lines[0].sep, '\0', "not digits: no separator");
    const char *t = reply_line_text(&r, 0, &len);
    CHECK_MEM(t, len, "hello", 5, "not digits: text is the whole line");
    reply_free(&r);

    if (reply_parse(S("250\r\n"), &r) != 0) {
        CHECK(0, "parse 250");
        return;
    }
    CHECK_INT(r.code, 250, "code only: code 250");
    t = reply_line_text(&r, 0, &len);
    CHECK_INT(len, 0, "code only: empty text");
    reply_free(&r);

    if (reply_parse(S("250x\r\n"), &r) != 0) {
        CHECK(0, "parse 250x");
        return;
    }
    CHECK_INT(r.code, 250, "no separator: code still read");
    t = reply_line_text(&r, 0, &len);
    CHECK_MEM(t, len, "x", 1, "no separator: text after the code");
    reply_free(&r);

    if (reply_parse(S("250-a\r\n251 b\r\n"), &r) != 0) {
        CHECK(0, "parse mismatch");
        return;
    }
    CHECK_INT(r.code, 250, "mismatch: reply code is the first line's");
    CHECK_INT(r.lines[1].code, 251, "mismatch: second line code 251");
    reply_free(&r);
}

/* Every defect names the catalog rule it breaks (rules/reply.rules). */
static void test_defect_info(void)
{
    static const char *const want_rule[RD_COUNT] = {
        [RD_NOT_DIGITS] = "5321-4.3.2-three-digit-codes",
        [RD_FIRST_DIGIT] = "5321-4.3.2-three-digit-codes",
        [RD_SECOND_DIGIT] = "5321-4.2-reply-code-abnf",
        [RD_NO_SEPARATOR] = "5321-4.2-reply-line-abnf",
        [RD_CODE_MISMATCH] = "5321-4.2.1-multiline-same-code",
        [RD_BARE_LF] = "5321-2.3.8-crlf-only",
        [RD_BARE_CR] = "5321-4.2-textstring-abnf",
        [RD_UNTERMINATED] = "5321-4.2-reply-line-abnf",
        [RD_LONG_LINE] = "5321-4.5.3.1-size-limits",
        [RD_CODE_ONLY] = "5321-4.2.1-sp-after-code",
    };
    for (int d = 0; d < RD_COUNT; d++) {
        const struct reply_defect_info *i = reply_defect_info((enum reply_defect)d);
        char name[160];
        snprintf(name, sizeof name, "defect_info(%s) non-NULL with what and rule",
                 defect_names[d]);
        CHECK(i && i->what && *i->what && i->rule && *i->rule, name);
        if (!i || !i->rule)
            continue;
        /* a rule id, not a citation: lower case, digits, '.' and '-' */
        int id_ok = 1;
        for (const char *c = i->rule; *c; c++)
            id_ok &= (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' ||
                     *c == '-';
        snprintf(name, sizeof name, "defect_info(%s) rule \"%s\" is a catalog id",
                 defect_names[d], i->rule);
        CHECK(id_ok, name);
        snprintf(name, sizeof name, "defect_info(%s) cites %s", defect_names[d],
                 want_rule[d]);
        CHECK_STR(i->rule, want_rule[d], name);
    }
    CHECK(reply_defect_info(RD_COUNT) == NULL, "defect_info(RD_COUNT) is NULL");
    CHECK(reply_defect_info((enum reply_defect)-1) == NULL, "defect_info(-1) is NULL");
}

/* Framing bytes as they arrive, in pieces of every size, finds the same
 * reply as framing them whole; each byte is scanned once (scanned never
 * goes back), and lines/line_start describe the unfinished reply. */
static void test_frame_more(void)
{
    static const char in[] = "250-a\r\n250-bb\r\n250-ccc\r\n250 end\r\n221 next\r\n";
    size_t whole = reply_frame(in, sizeof in - 1);
    CHECK_INT(whole, 33, "frame: whole multiline reply, not the next one");
    int same = 1, monotonic = 1;
    for (size_t step = 1; step <= sizeof in; step++) {
        struct reply_framer f = { 0, 0, 0 };
        size_t got = 0, prev = 0;
        for (size_t n = step; got == 0 && n < sizeof in + step; n += step) {
            size_t len = n < sizeof in - 1 ? n : sizeof in - 1;
            got = reply_frame_more(&f, in, len);
            monotonic &= f.scanned >= prev && f.scanned <= len;
            prev = f.scanned;
        }
        same &= got == whole;
    }
    CHECK(same, "frame_more: pieces of 1..N bytes frame the same reply as reply_frame");
    CHECK(monotonic, "frame_more: scanned only grows and never passes the bytes given");
    struct reply_framer f = { 0, 0, 0 };
    CHECK_INT(reply_frame_more(&f, S("250-a\r\n250-b\r\n250 c")), 0,
              "frame_more: unfinished reply");
    CHECK_INT(f.lines, 2, "frame_more: two continuation lines so far");
    CHECK_INT(f.line_start, 14, "frame_more: the unfinished line starts at 14");
    CHECK_INT(f.scanned, 19, "frame_more: all 19 bytes scanned");
}

/* reply_adopt parses without copying; reply_drop_lines keeps the code. */
static void test_adopt_and_drop(void)
{
    char *p = strdup("250-x\r\n250 y\r\n");
    struct reply r;
    CHECK_INT(reply_adopt(p, strlen(p), &r), 0, "adopt: parses");
    CHECK(r.raw == p, "adopt: the reply owns the caller's bytes (no copy)");
    CHECK_INT(r.nlines, 2, "adopt: two lines");
    CHECK_INT(r.total_lines, 2, "adopt: total_lines 2");
    reply_drop_lines(&r);
    CHECK(r.raw == NULL && r.lines == NULL && r.nlines == 0, "drop_lines: bytes and lines gone");
    CHECK_INT(r.code, 250, "drop_lines: the code stays");
    CHECK_INT(r.total_lines, 2, "drop_lines: total_lines stays");
    reply_free(&r);
}

int main(void)
{
    test_frame_more();
    test_adopt_and_drop();
    test_single_line();
    test_multiline();
    test_frame();
    test_defects();
    test_long_lines();
    test_binary_text();
    test_empty();
    test_line_fields();
    test_defect_info();
    return done_testing();
}
