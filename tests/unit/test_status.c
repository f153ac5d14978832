/* test_status.c - enhanced status codes in replies (status.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/codes.h"
#include "../../src/status.h"
#include "tap.h"

#define S(lit) lit, sizeof(lit) - 1

struct seen {
    char rules[512];    /* "rule rule ..." (NULL rule: "note") */
    int n;
};

static void collect(void *ctx, const char *rule, const char *msg)
{
    struct seen *s = ctx;
    (void)msg;
    size_t used = strlen(s->rules);
    snprintf(s->rules + used, sizeof s->rules - used, "%s%s", used ? " " : "",
             rule ? rule : "note");
    s->n++;
}

/* Checks raw and compares the rules it cites with want ("" for none). */
static void check(const char *label, const char *raw, size_t n, const char *want)
{
    struct reply r;
    struct seen s = { "", 0 };
    if (reply_parse(raw, n, &r) != 0) {
        CHECK(0, label);
        return;
    }
    status_check(&r, collect, &s);
    tap_result_(strcmp(s.rules, want) == 0, label, "cites \"%s\", want \"%s\"", s.rules, want);
    reply_free(&r);
}

int main(void)
{
    check("250 2.0.0 Ok: nothing", S("250 2.0.0 Ok\r\n"), "");
    check("550 5.1.1 multiline, same code: nothing",
          S("550-5.1.1 no such user\r\n550 5.1.1 here\r\n"), "");
    check("status code alone on the line: nothing", S("250 2.1.0\r\n"), "");
    check("no status code", S("250 Ok\r\n"), "2034-4-status-code-present");
    check("class disagrees", S("550 2.1.1 no\r\n"), "2034-4-class-agrees");
    check("second line lacks it", S("250-2.0.0 a\r\n250 b\r\n"), "2034-4-same-code-each-line");
    check("second line differs", S("250-2.0.0 a\r\n250 2.1.0 b\r\n"),
          "2034-4-same-code-each-line");
    check("leading zero", S("250 2.01.0 x\r\n"), "3463-2-status-code-abnf");
    check("class 3", S("250 3.0.0 x\r\n"), "3463-2-status-code-abnf");
    check("four digits", S("250 2.1000.0 x\r\n"), "3463-2-status-code-abnf");
    check("two parts", S("250 2.0 x\r\n"), "3463-2-status-code-abnf");
    /* found by fuzz_reply: a long digit run once overflowed the parser */
    check("thirty digits", S("250 2.999999999999999999999999999999.0 x\r\n"),
          "3463-2-status-code-abnf");
    check("subject 8 is defined nowhere", S("250 2.8.0 x\r\n"), "3463-2-registered-codes");
    check("unknown detail: a note", S("550 5.7.99 x\r\n"), "note");
    check("X.7.30 (RFC 8689) is known", S("550 5.7.30 x\r\n"), "");
    check("X.6.10 (RFC 6531) is known", S("553 5.6.10 x\r\n"), "");
    check("X.1.10 (RFC 7505) is known", S("550 5.1.10 x\r\n"), "");

    CHECK(!status_applies(CMD_GREETING, 220), "the greeting is exempt");
    CHECK(!status_applies("EHLO", 250) && !status_applies("HELO", 250),
          "replies to EHLO and HELO are exempt");
    CHECK(!status_applies("DATA", 354), "3yz replies are exempt");
    CHECK(status_applies("MAIL", 250) && status_applies("RCPT", 550) &&
          status_applies("QUIT", 221) && status_applies(CMD_END_OF_DATA, 250),
          "2yz, 4yz and 5yz replies to other commands are judged");
    for (size_t i = 0; status_rule(i); i++)
        CHECK(strchr(status_rule(i), '-') != NULL, "status_rule gives rule ids");
    return done_testing();
}
