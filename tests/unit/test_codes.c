/* test_codes.c - the reply-code table (codes.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/codes.h"
#include "tap.h"

static void check_verdict(enum profile prof, int refused, const char *cmd, int code,
                          enum verdict want)
{
    struct codes_ctx ctx = { .profile = prof, .refused = refused, .ehlo_keywords = NULL };
    struct code_check out;
    char name[160];
    memset(&out, 0x5A, sizeof out);     /* codes_check must fill everything */
    codes_check(cmd, &ctx, code, &out);
    snprintf(name, sizeof name, "%s%s: (%s, %d) -> %s", profile_name(prof),
             refused ? " refused" : "", cmd, code, verdict_name(want));
    tap_result_(out.verdict == want, name, "got %s; reason: %s",
                verdict_name(out.verdict), out.reason);
    if (want == V_PASS) {
        snprintf(name, sizeof name, "%s: (%s, %d) pass has an empty reason",
                 profile_name(prof), cmd, code);
        CHECK_STR(out.reason, "", name);
    } else {
        snprintf(name, sizeof name, "%s: (%s, %d) %s has a reason",
                 profile_name(prof), cmd, code, verdict_name(want));
        CHECK(out.reason[0] != '\0' && memchr(out.reason, '\0', sizeof out.reason), name);
    }
}

/* The allowed set must be exactly want[0..n) (ascending). */
static void check_allowed(enum profile prof, int refused, const char *cmd,
                          const int *want, size_t n)
{
    struct codes_ctx ctx = { .profile = prof, .refused = refused };
    struct code_check out;
    char name[900], got[400] = "", exp[400] = "";
    codes_check(cmd, &ctx, 250, &out);
    for (size_t i = 0; i < out.nallowed && i < CODES_MAX_ALLOWED; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), " %d", out.allowed[i]);
    for (size_t i = 0; i < n; i++)
        snprintf(exp + strlen(exp), sizeof exp - strlen(exp), " %d", want[i]);
    int ok = out.nallowed == n && memcmp(out.allowed, want, n * sizeof *want) == 0;
    snprintf(name, sizeof name, "%s%s: allowed set of %s is {%s }", profile_name(prof),
             refused ? " refused" : "", cmd, exp);
    tap_result_(ok, name, "got {%s }", got);
}

static void test_rfc5321(void)
{
    enum profile P = PROFILE_RFC5321;
    check_verdict(P, 0, "MAIL", 250, V_PASS);
    check_verdict(P, 0, "MAIL", 555, V_PASS);
    check_verdict(P, 0, "MAIL", 354, V_FAIL);   /* class 3 never returned by MAIL */
    check_verdict(P, 0, "MAIL", 554, V_WARN);   /* class 5 ok, code not listed */
    check_verdict(P, 0, "MAIL", 500, V_PASS);   /* any command: 500 501 421 */
    check_verdict(P, 0, "MAIL", 501, V_PASS);
    check_verdict(P, 0, "MAIL", 421, V_PASS);
    check_verdict(P, 0, "MAIL", 220, V_WARN);
    check_verdict(P, 0, "MAIL", 150, V_FAIL);   /* no 1yz at all */
    check_verdict(P, 0, "MAIL", 650, V_FAIL);
    check_verdict(P, 0, "NOOP", 200, V_WARN);
    check_verdict(P, 0, "GREETING", 220, V_PASS);
    check_verdict(P, 0, "GREETING", 554, V_PASS);
    check_verdict(P, 0, "GREETING", 521, V_PASS);
    check_verdict(P, 0, "GREETING", 421, V_PASS);
    /* The "any command" 500/501 rows do not apply to the greeting, so 500
     * is not in its set; but the greeting does have 5yz codes (554, 521),
     * so 500 is a code outside the set of an allowed class: warn. */
    check_verdict(P, 0, "GREETING", 500, V_WARN);
    check_verdict(P, 0, "GREETING", 501, V_WARN);
    check_verdict(P, 0, "GREETING", 250, V_WARN);
    check_verdict(P, 0, "GREETING", 354, V_FAIL);
    check_verdict(P, 0, "HELP", 250, V_WARN);
    check_verdict(P, 0, "HELP", 214, V_PASS);
    check_verdict(P, 0, "DATA", 354, V_PASS);
    check_verdict(P, 0, "DATA", 250, V_FAIL);   /* DATA has no 2yz */
    check_verdict(P, 0, "END-OF-DATA", 250, V_PASS);
    check_verdict(P, 0, "END-OF-DATA", 354, V_FAIL);
    check_verdict(P, 0, "UNKNOWN", 500, V_PASS);
    check_verdict(P, 0, "UNKNOWN", 502, V_WARN);
    check_verdict(P, 0, "UNKNOWN", 250, V_FAIL);
    check_verdict(P, 0, "NOOP", 503, V_WARN);
    check_verdict(P, 1, "NOOP", 503, V_PASS);   /* after a 554 greeting (§3.1) */
    check_verdict(P, 1, "MAIL", 503, V_PASS);
    check_verdict(P, 1, "GREETING", 503, V_WARN); /* ANY rows skip the greeting */
    check_verdict(P, 0, "QUIT", 221, V_PASS);
    check_verdict(P, 0, "RSET", 200, V_WARN);
    check_verdict(P, 0, "EHLO", 250, V_PASS);
    check_verdict(P, 0, "EHLO", 502, V_PASS);
    check_verdict(P, 0, "TURN", 502, V_PASS);   /* seed 000 rows under both */
    check_verdict(P, 0, "mail", 250, V_PASS);   /* command names are case-insensitive */

    /* the reasons */
    struct codes_ctx ctx = { .profile = P };
    struct code_check out;
    codes_check("NOOP", &ctx, 200, &out);
    CHECK_CONTAINS(out.reason, "RFC 876", "NOOP 200 reason mentions RFC 876");
    CHECK_CONTAINS(out.reason, "NOOP", "NOOP 200 reason names the command");
    CHECK_CONTAINS(out.reason, "250", "NOOP 200 reason lists the allowed codes");
    codes_check("MAIL", &ctx, 354, &out);
    CHECK_CONTAINS(out.reason, "3yz", "MAIL 354 reason names the class");
    CHECK_CONTAINS(out.reason, "RFC 5321 §4.2.1", "MAIL 354 reason cites §4.2.1");
    codes_check("GREETING", &ctx, 500, &out);
    CHECK_CONTAINS(out.reason, "the greeting", "GREETING reason says 'the greeting'");
    codes_check("MAIL", &ctx, 554, &out);
    CHECK_CONTAINS(out.reason, "SHOULD", "MAIL 554 warn reason quotes the SHOULD");

    /* allowed sets */
    static const int rset[] = { 250, 421, 500, 501 };
    check_allowed(P, 0, "RSET", rset, 4);
    static const int quit[] = { 221, 421, 500, 501 };
    check_allowed(P, 0, "QUIT", quit, 4);
    static const int greeting[] = { 220, 421, 521, 554 };
    check_allowed(P, 0, "GREETING", greeting, 4);
    check_allowed(P, 1, "GREETING", greeting, 4);
    static const int noop_refused[] = { 250, 421, 500, 501, 503 };
    check_allowed(P, 1, "NOOP", noop_refused, 5);
    static const int unknown[] = { 421, 500, 501 };
    check_allowed(P, 0, "UNKNOWN", unknown, 3);
    static const int data[] = { 354, 421, 451, 500, 501, 503, 554 };
    check_allowed(P, 0, "DATA", data, 7);
    static const int mail[] = { 250, 421, 451, 452, 455, 500, 501, 503, 550, 552, 553, 555 };
    check_allowed(P, 0, "MAIL", mail, 12);
}

static void test_rfc821(void)
{
    enum profile P = PROFILE_RFC821;
    check_verdict(P, 0, "NOOP", 200, V_PASS);
    check_verdict(P, 0, "RSET", 200, V_PASS);
    check_verdict(P, 0, "MAIL", 503, V_WARN);
    check_verdict(P, 0, "HELO", 521, V_PASS);
    check_verdict(P, 0, "QUIT", 221, V_PASS);
    check_verdict(P, 0, "MAIL", 555, V_WARN);   /* 555 is RFC 5321 only */
    check_verdict(P, 0, "UNKNOWN", 421, V_PASS);
    static const int quit[] = { 221, 500 };
    check_allowed(P, 0, "QUIT", quit, 2);       /* no "any command" rows here */
    static const int noop[] = { 200, 250, 421, 500 };
    check_allowed(P, 0, "NOOP", noop, 4);
}

/* Every command's allowed set, under every profile and context, is
 * strictly ascending and contains only 2xx..5xx codes. */
static void test_allowed_sorted(void)
{
    static const char *const cmds[] = {
        "GREETING", "EHLO", "HELO", "MAIL", "RCPT", "DATA", "END-OF-DATA",
        "RSET", "VRFY", "EXPN", "HELP", "NOOP", "QUIT", "SEND", "SOML", "SAML",
        "TURN", "UNKNOWN",
    };
    int bad = 0, empty = 0;
    char where[200] = "";
    for (int p = 0; p < PROFILE_COUNT; p++) {
        for (int refused = 0; refused < 2; refused++) {
            for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
                struct codes_ctx ctx = { .profile = (enum profile)p, .refused = refused };
                struct code_check out;
                codes_check(cmds[i], &ctx, 0, &out);
                if (out.nallowed == 0) {
                    empty++;
                    snprintf(where, sizeof where, "%s/%s empty", profile_name(p), cmds[i]);
                }
                if (out.nallowed >= CODES_MAX_ALLOWED) {
                    bad++;
                    snprintf(where, sizeof where, "%s/%s full", profile_name(p), cmds[i]);
                }
                for (size_t k = 0; k < out.nallowed; k++) {
                    if ((k > 0 && out.allowed[k - 1] >= out.allowed[k]) ||
                        out.allowed[k] < 200 || out.allowed[k] > 599) {
                        bad++;
                        snprintf(where, sizeof where, "%s/%s at %zu", profile_name(p),
                                 cmds[i], k);
                    }
                }
                if (out.verdict != V_FAIL) {   /* code 0 can never pass */
                    bad++;
                    snprintf(where, sizeof where, "%s/%s code 0 not fail",
                             profile_name(p), cmds[i]);
                }
            }
        }
    }
    tap_result_(bad == 0, "every allowed set is ascending, 2xx..5xx, not full", "%s", where);
    tap_result_(empty == 0, "every table command has codes under every profile", "%s", where);
}

static void test_commands(void)
{
    CHECK_STR(codes_command("mail", PROFILE_RFC5321), "MAIL", "codes_command(mail)");
    CHECK_STR(codes_command("MaIl", PROFILE_RFC821), "MAIL", "codes_command(MaIl, rfc821)");
    CHECK_STR(codes_command("xyzzy", PROFILE_RFC5321), "UNKNOWN", "codes_command(xyzzy)");
    CHECK_STR(codes_command("TURN", PROFILE_RFC5321), "TURN", "codes_command(TURN)");
    CHECK_STR(codes_command("ehlo", PROFILE_RFC5321), "EHLO", "codes_command(ehlo)");
    CHECK_STR(codes_command("", PROFILE_RFC5321), "UNKNOWN", "codes_command(\"\")");
    CHECK_STR(codes_command("MAILX", PROFILE_RFC5321), "UNKNOWN", "codes_command(MAILX)");
    /* GREETING and END-OF-DATA are not verbs */
    CHECK_STR(codes_command("GREETING", PROFILE_RFC5321), "UNKNOWN",
              "codes_command(GREETING) is not a verb");
    CHECK_STR(codes_command("END-OF-DATA", PROFILE_RFC5321), "UNKNOWN",
              "codes_command(END-OF-DATA) is not a verb");

    CHECK_INT(codes_is_command("END-OF-DATA"), 1, "is_command(END-OF-DATA)");
    CHECK_INT(codes_is_command("GREETING"), 1, "is_command(GREETING)");
    CHECK_INT(codes_is_command("UNKNOWN"), 1, "is_command(UNKNOWN)");
    CHECK_INT(codes_is_command("noop"), 1, "is_command(noop)");
    CHECK_INT(codes_is_command("FOO"), 0, "is_command(FOO)");
    CHECK_INT(codes_is_command("*"), 0, "is_command(*) (the ANY row) is false");
    CHECK_INT(codes_is_command(""), 0, "is_command(\"\")");
}

static void test_timeouts(void)
{
    const char *sec = NULL;
    CHECK_INT(codes_rfc_timeout("GREETING", &sec), 300, "timeout GREETING 300");
    CHECK_STR(sec, "RFC 5321 §4.5.3.2.1", "timeout GREETING section");
    CHECK_INT(codes_rfc_timeout("MAIL", &sec), 300, "timeout MAIL 300");
    CHECK_INT(codes_rfc_timeout("RCPT", &sec), 300, "timeout RCPT 300");
    CHECK_INT(codes_rfc_timeout("DATA", &sec), 120, "timeout DATA 120");
    CHECK_STR(sec, "RFC 5321 §4.5.3.2.4", "timeout DATA section");
    CHECK_INT(codes_rfc_timeout("END-OF-DATA", &sec), 600, "timeout END-OF-DATA 600");
    CHECK_STR(sec, "RFC 5321 §4.5.3.2.6", "timeout END-OF-DATA section");
    sec = NULL;
    CHECK_INT(codes_rfc_timeout("NOOP", &sec), 300, "timeout NOOP 300 (default)");
    CHECK_STR(sec, "RFC 5321 §4.5.3.2", "timeout NOOP section is the general one");
    CHECK_INT(codes_rfc_timeout("DATA", NULL), 120, "timeout with NULL section");
}

static void test_profiles(void)
{
    CHECK_INT(profile_parse("rfc5321"), PROFILE_RFC5321, "profile_parse(rfc5321)");
    CHECK_INT(profile_parse("rfc821"), PROFILE_RFC821, "profile_parse(rfc821)");
    CHECK_INT(profile_parse("RFC821"), PROFILE_RFC821, "profile_parse(RFC821)");
    CHECK_INT(profile_parse("x"), -1, "profile_parse(x)");
    CHECK_INT(profile_parse(""), -1, "profile_parse(\"\")");
    CHECK_INT(profile_parse("rfc5321 "), -1, "profile_parse(trailing space)");
    CHECK_STR(profile_name(PROFILE_RFC5321), "rfc5321", "profile_name(5321)");
    CHECK_STR(profile_name(PROFILE_RFC821), "rfc821", "profile_name(821)");
}

static void test_meanings(void)
{
    CHECK_STR(codes_meaning(503), "Bad sequence of commands", "meaning 503");
    CHECK(codes_meaning(999) == NULL, "meaning 999 is NULL");
    CHECK_CONTAINS(codes_meaning(200), "RFC 876", "meaning 200 cites RFC 876");
    CHECK_STR(verdict_name(V_WARN), "warn", "verdict_name(warn)");
    CHECK_INT(level_verdict(L_MUST), V_FAIL, "MUST -> fail");
    CHECK_INT(level_verdict(L_SHOULD), V_WARN, "SHOULD -> warn");
    CHECK_INT(verdict_worst(V_ERROR, V_FAIL), V_FAIL, "fail is worse than error");
}

int main(void)
{
    test_rfc5321();
    test_rfc821();
    test_allowed_sorted();
    test_commands();
    test_timeouts();
    test_profiles();
    test_meanings();
    return done_testing();
}
