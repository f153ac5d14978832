/* test_codes.c - the reply-code table (codes.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/codes.h"
#include "tap.h"

/* The rule a code outside the command's set breaks (rules/reply.rules). */
#define OK NULL
#define R_CMD "5321-4.3.1-command-codes"      /* a 5321 code not in the command's list */
#define R_LISTED "5321-4.2-listed-codes"      /* a code RFC 5321 does not list at all */
#define R_UNKNOWN "5321-4.2.4-unrecognized-500"
#define R_821 "821-4.3-command-codes"

/* codes_check(cmd, code) must name rule want (NULL: the code is allowed),
 * with a reason exactly when it names a rule. */
static void check_rule(enum profile prof, int refused, const char *cmd, int code,
                       const char *want)
{
    struct codes_ctx ctx = { .profile = prof, .refused = refused, .ehlo_keywords = NULL };
    struct code_check out;
    char name[200];
    memset(&out, 0x5A, sizeof out);     /* codes_check must fill everything */
    codes_check(cmd, &ctx, code, &out);
    snprintf(name, sizeof name, "%s%s: (%s, %d) -> %s", profile_name(prof),
             refused ? " refused" : "", cmd, code, want ? want : "allowed");
    int reason_ok = memchr(out.reason, '\0', sizeof out.reason) != NULL;
    if (!want) {
        tap_result_(out.rule == NULL, name, "got rule %s; reason: %.200s",
                    out.rule ? out.rule : "(null)", reason_ok ? out.reason : "?");
        snprintf(name, sizeof name, "%s: (%s, %d) allowed has an empty reason",
                 profile_name(prof), cmd, code);
        CHECK(reason_ok && out.reason[0] == '\0', name);
    } else {
        tap_result_(out.rule && strcmp(out.rule, want) == 0, name, "got rule %s",
                    out.rule ? out.rule : "(null)");
        snprintf(name, sizeof name, "%s: (%s, %d) broken rule has a reason",
                 profile_name(prof), cmd, code);
        CHECK(reason_ok && out.reason[0] != '\0', name);
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
    check_rule(P, 0, "MAIL", 250, OK);
    check_rule(P, 0, "MAIL", 555, OK);
    check_rule(P, 0, "MAIL", 354, R_CMD);       /* an RFC 5321 code, not MAIL's */
    check_rule(P, 0, "MAIL", 554, R_CMD);
    check_rule(P, 0, "MAIL", 500, OK);          /* any command: 500 501 421 */
    check_rule(P, 0, "MAIL", 501, OK);
    check_rule(P, 0, "MAIL", 421, OK);
    check_rule(P, 0, "MAIL", 220, R_CMD);
    check_rule(P, 0, "MAIL", 259, R_LISTED);    /* in no list of RFC 5321 */
    /* SEND, SOML, SAML, TURN: §4.3.2 has no list for them, so a code RFC
     * 5321 lists is not judged; one it lists nowhere still is */
    check_rule(P, 0, "TURN", 504, NULL);
    check_rule(P, 0, "SEND", 354, NULL);
    check_rule(P, 0, "SAML", 259, R_LISTED);
    check_rule(P, 0, "MAIL", 556, R_CMD);      /* RFC 7504 §5.1 adds it to the lists */
    check_rule(P, 0, "RCPT", 556, NULL);        /* ... and to RCPT's */
    check_rule(P, 0, "MAIL", 299, R_LISTED);
    check_rule(P, 0, "NOOP", 200, R_LISTED);    /* RFC 876's 200 is not an RFC 5321 code */
    check_rule(P, 0, "GREETING", 220, OK);
    check_rule(P, 0, "GREETING", 554, OK);
    check_rule(P, 0, "GREETING", 521, OK);
    check_rule(P, 0, "GREETING", 421, OK);
    /* The "any command" 500/501 rows do not apply to the greeting. */
    check_rule(P, 0, "GREETING", 500, R_CMD);
    check_rule(P, 0, "GREETING", 501, R_CMD);
    check_rule(P, 0, "GREETING", 250, R_CMD);
    check_rule(P, 0, "GREETING", 354, R_CMD);
    check_rule(P, 0, "HELP", 250, R_CMD);
    check_rule(P, 0, "HELP", 214, OK);
    check_rule(P, 0, "HELP", 211, OK);
    check_rule(P, 0, "DATA", 354, OK);
    check_rule(P, 0, "DATA", 250, R_CMD);       /* DATA has no 2yz */
    check_rule(P, 0, "END-OF-DATA", 250, OK);
    check_rule(P, 0, "END-OF-DATA", 354, R_CMD);
    check_rule(P, 0, "UNKNOWN", 500, OK);
    check_rule(P, 0, "UNKNOWN", 501, OK);
    check_rule(P, 0, "UNKNOWN", 421, OK);
    /* an unrecognized command answered with anything else breaks §4.2.4,
     * whether or not RFC 5321 lists the code */
    check_rule(P, 0, "UNKNOWN", 502, R_UNKNOWN);
    check_rule(P, 0, "UNKNOWN", 250, R_UNKNOWN);
    check_rule(P, 0, "UNKNOWN", 556, R_UNKNOWN);
    check_rule(P, 0, "NOOP", 503, R_CMD);
    check_rule(P, 1, "NOOP", 503, OK);          /* after a 554 greeting (§3.1) */
    check_rule(P, 1, "MAIL", 503, OK);
    check_rule(P, 1, "GREETING", 503, R_CMD);   /* ANY rows skip the greeting */
    check_rule(P, 0, "QUIT", 221, OK);
    check_rule(P, 0, "RSET", 200, R_LISTED);
    check_rule(P, 0, "EHLO", 250, OK);
    check_rule(P, 0, "EHLO", 502, OK);
    check_rule(P, 0, "VRFY", 252, OK);
    check_rule(P, 0, "VRFY", 502, OK);
    check_rule(P, 0, "EXPN", 252, OK);
    check_rule(P, 0, "TURN", 502, OK);          /* seed 000 rows under both */
    check_rule(P, 0, "mail", 250, OK);          /* command names are case-insensitive */
    check_rule(P, 0, "mail", 354, R_CMD);

    /* codes outside 2..5 are the reply parser's (three-digit-codes), but
     * codes_check still names a rule rather than allowing them */
    struct codes_ctx ctx = { .profile = P };
    struct code_check out;
    codes_check("MAIL", &ctx, 150, &out);
    CHECK(out.rule != NULL, "MAIL 150 is not allowed");
    codes_check("MAIL", &ctx, 650, &out);
    CHECK(out.rule != NULL, "MAIL 650 is not allowed");

    /* the reasons: what was answered, its meaning, the set and its source */
    codes_check("NOOP", &ctx, 200, &out);
    CHECK_CONTAINS(out.reason, "RFC 876", "NOOP 200 reason mentions RFC 876");
    CHECK_CONTAINS(out.reason, "NOOP", "NOOP 200 reason names the command");
    CHECK_CONTAINS(out.reason, "250", "NOOP 200 reason lists the allowed codes");
    CHECK_CONTAINS(out.reason, "RFC 5321 §4.3.2", "NOOP 200 reason names the table's source");
    codes_check("MAIL", &ctx, 354, &out);
    CHECK_CONTAINS(out.reason, "354", "MAIL 354 reason names the code");
    CHECK_CONTAINS(out.reason, "Start mail input", "MAIL 354 reason gives the code's meaning");
    CHECK_CONTAINS(out.reason, "250, 421, 451", "MAIL 354 reason lists MAIL's set");
    codes_check("GREETING", &ctx, 500, &out);
    CHECK_CONTAINS(out.reason, "the greeting", "GREETING reason says 'the greeting'");
    codes_check("UNKNOWN", &ctx, 502, &out);
    CHECK_CONTAINS(out.reason, "unrecognized command", "UNKNOWN reason says 'unrecognized'");
    codes_check("END-OF-DATA", &ctx, 354, &out);
    CHECK_CONTAINS(out.reason, "the end of data", "END-OF-DATA reason says 'the end of data'");
    /* the reason is no verdict: the rule's keyword sets the level */
    codes_check("MAIL", &ctx, 554, &out);
    CHECK(strstr(out.reason, "SHOULD") == NULL && strstr(out.reason, "MUST") == NULL,
          "MAIL 554 reason carries no keyword (the rule does)");

    /* allowed sets */
    static const int rset[] = { 250, 421, 500, 501 };
    check_allowed(P, 0, "RSET", rset, 4);
    static const int quit[] = { 221, 421, 500, 501 };
    check_allowed(P, 0, "QUIT", quit, 4);
    static const int greeting[] = { 220, 421, 521, 554 };
    check_allowed(P, 0, "GREETING", greeting, 4);
    check_allowed(P, 1, "GREETING", greeting, 4);
    static const int noop_refused[] = { 250, 421, 500, 501, 503, 521 };
    check_allowed(P, 1, "NOOP", noop_refused, 6);
    static const int unknown[] = { 421, 500, 501 };
    check_allowed(P, 0, "UNKNOWN", unknown, 3);
    static const int data[] = { 354, 421, 451, 500, 501, 503, 554 };
    check_allowed(P, 0, "DATA", data, 7);
    static const int mail[] = { 250, 421, 451, 452, 455, 500, 501, 503, 550, 552, 553, 555 };
    check_allowed(P, 0, "MAIL", mail, 12);
    /* the set is filled when the code is allowed too */
    codes_check("RSET", &ctx, 250, &out);
    CHECK(out.rule == NULL && out.nallowed == 4, "allowed code: rule NULL, set filled");
}

static void test_rfc821(void)
{
    enum profile P = PROFILE_RFC821;
    check_rule(P, 0, "NOOP", 200, OK);
    check_rule(P, 0, "RSET", 200, OK);
    check_rule(P, 0, "MAIL", 503, R_821);
    check_rule(P, 0, "HELO", 521, OK);
    check_rule(P, 0, "QUIT", 221, OK);
    check_rule(P, 0, "MAIL", 555, R_821);       /* 555 is RFC 5321 only */
    check_rule(P, 0, "UNKNOWN", 421, OK);
    check_rule(P, 0, "UNKNOWN", 502, R_821);    /* the 821 table decides, not §4.2.4 */
    check_rule(P, 0, "MAIL", 556, R_821);
    check_rule(P, 1, "NOOP", 503, OK);          /* the refused row applies under both */
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
                if (out.rule == NULL) {   /* code 0 can never be allowed */
                    bad++;
                    snprintf(where, sizeof where, "%s/%s code 0 allowed",
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
}

/* verdict.h: six verdicts, info between pass and skip. */
static void test_verdicts(void)
{
    static const char *const names[V_COUNT] = { "pass", "info", "skip", "warn", "error",
                                                "fail" };
    for (int v = 0; v < V_COUNT; v++) {
        char name[64];
        snprintf(name, sizeof name, "verdict_name(%d) is %s", v, names[v]);
        CHECK_STR(verdict_name((enum verdict)v), names[v], name);
    }
    CHECK_STR(verdict_name(V_COUNT), "?", "verdict_name(V_COUNT) is ?");
    CHECK(V_PASS < V_INFO && V_INFO < V_SKIP && V_SKIP < V_WARN && V_WARN < V_ERROR &&
          V_ERROR < V_FAIL, "order: pass < info < skip < warn < error < fail");
    CHECK_INT(verdict_worst(V_ERROR, V_FAIL), V_FAIL, "fail is worse than error");
    CHECK_INT(verdict_worst(V_INFO, V_PASS), V_INFO, "info is worse than pass");
    CHECK_INT(verdict_worst(V_INFO, V_SKIP), V_SKIP, "skip is worse than info");
}

/* The extension verbs (STARTTLS, AUTH, BDAT): table commands whether or
 * not advertised, each with its own rule for a code outside its set. */
static void test_extension_verbs(void)
{
    enum profile P = PROFILE_RFC5321;
    CHECK(strcmp(codes_command("starttls", P), "STARTTLS") == 0 &&
          strcmp(codes_command("AUTH", P), "AUTH") == 0 &&
          strcmp(codes_command("bdat", P), "BDAT") == 0, "extension verbs are table commands");
    CHECK(strcmp(codes_command("STARTTLS", PROFILE_RFC821), CMD_UNKNOWN) == 0,
          "not under rfc821");
    check_rule(P, 0, "STARTTLS", 220, OK);
    check_rule(P, 0, "STARTTLS", 454, OK);
    check_rule(P, 0, "STARTTLS", 501, OK);
    check_rule(P, 0, "STARTTLS", 502, OK);      /* recognized, not implemented (§4.2.4) */
    check_rule(P, 0, "STARTTLS", 250, "3207-4-starttls-codes");
    check_rule(P, 0, "STARTTLS", 554, "3207-4-starttls-codes");
    check_rule(P, 0, "STARTTLS", 503, "3207-4-starttls-codes");
    struct codes_ctx tls = { .profile = P, .tls_active = 1 };
    struct code_check out;
    codes_check("STARTTLS", &tls, 503, &out);
    CHECK(out.rule == NULL, "STARTTLS 503 is allowed while TLS is active");
    static const int auth[] = { 235, 334, 421, 432, 454, 500, 501, 502, 503, 504, 534, 535,
                                538 };
    check_allowed(P, 0, "AUTH", auth, sizeof auth / sizeof auth[0]);
    check_rule(P, 0, "AUTH", 250, "4954-6-auth-codes");
    check_rule(P, 0, "BDAT", 250, OK);
    check_rule(P, 0, "BDAT", 552, OK);
    check_rule(P, 0, "BDAT", 503, OK);
    check_rule(P, 0, "BDAT", 354, "3030-2-bdat-replies");
    check_rule(P, 0, "BDAT", 251, "3030-2-bdat-replies");
}

/* Like check_rule, with the EHLO keywords advertised (NULL: none). */
static void check_rule_kw(const char *keywords, const char *cmd, int code, const char *want)
{
    struct codes_ctx ctx = { .profile = PROFILE_RFC5321, .ehlo_keywords = keywords };
    struct code_check out;
    char name[200];
    codes_check(cmd, &ctx, code, &out);
    snprintf(name, sizeof name, "rfc5321 [%s]: (%s, %d) -> %s", keywords ? keywords : "",
             cmd, code, want ? want : "allowed");
    if (!want)
        tap_result_(out.rule == NULL, name, "got rule %s", out.rule ? out.rule : "(null)");
    else
        tap_result_(out.rule && strcmp(out.rule, want) == 0 && out.reason[0] != '\0', name,
                    "got rule %s", out.rule ? out.rule : "(null)");
}

/* Every code each extension RFC lists for its verb, with the keyword
 * advertised; the 530s an advertised extension adds to another extension
 * verb; the verbs stay table commands when their keyword is absent. */
static void test_extension_rows(void)
{
    static const char *const kw = "PIPELINING SIZE STARTTLS AUTH CHUNKING SMTPUTF8 DSN";
    static const int starttls[] = { 220, 501, 454 };                 /* RFC 3207 §4 */
    static const int auth[] = { 235, 334, 432, 454, 500, 501, 503, 504, 534, 535,
                                538 };                               /* RFC 4954 §4, §6 */
    static const int bdat[] = { 250, 450, 451, 452, 455, 502, 503, 504, 550, 551, 552,
                                553, 554, 555 };                     /* RFC 3030 §2 */
    for (size_t i = 0; i < sizeof starttls / sizeof starttls[0]; i++)
        check_rule_kw(kw, "STARTTLS", starttls[i], OK);
    for (size_t i = 0; i < sizeof auth / sizeof auth[0]; i++)
        check_rule_kw(kw, "AUTH", auth[i], OK);
    for (size_t i = 0; i < sizeof bdat / sizeof bdat[0]; i++)
        check_rule_kw(kw, "BDAT", bdat[i], OK);
    check_rule_kw(kw, "STARTTLS", 250, "3207-4-starttls-codes");
    check_rule_kw(kw, "AUTH", 250, "4954-6-auth-codes");
    check_rule_kw(kw, "BDAT", 354, "3030-2-bdat-replies");
    /* RFC 3207 lists no 503: only while TLS is active (a second STARTTLS) */
    check_rule_kw(kw, "STARTTLS", 503, "3207-4-starttls-codes");

    /* 530: STARTTLS first (RFC 3207 §4) to AUTH; authentication required
     * (RFC 4954 §6) to STARTTLS; each only when its keyword was advertised */
    check_rule_kw("STARTTLS AUTH", "AUTH", 530, OK);
    check_rule_kw("AUTH", "AUTH", 530, "4954-6-auth-codes");
    check_rule_kw("STARTTLS", "STARTTLS", 530, "3207-4-starttls-codes");
    check_rule_kw("AUTH", "STARTTLS", 530, OK);
    check_rule_kw("STARTTLS", "BDAT", 530, OK);
    check_rule_kw(NULL, "BDAT", 530, "3030-2-bdat-replies");

    /* SIZE, SMTPUTF8 and DSN name only codes RFC 5321 already allows */
    check_rule_kw(kw, "MAIL", 552, OK);         /* RFC 1870 §6.1 */
    check_rule_kw(kw, "MAIL", 452, OK);
    check_rule_kw(kw, "RCPT", 552, OK);         /* RFC 1870 §6.4 */
    check_rule_kw(kw, "RCPT", 452, OK);
    check_rule_kw(kw, "END-OF-DATA", 552, OK);  /* RFC 1870 §6.3 */
    check_rule_kw(kw, "MAIL", 550, OK);         /* RFC 6531 §3.5 */
    check_rule_kw(kw, "RCPT", 553, OK);
    check_rule_kw(kw, "END-OF-DATA", 554, OK);
    check_rule_kw(kw, "VRFY", 252, OK);         /* RFC 6531 §3.7.4.2 */
    check_rule_kw(kw, "EXPN", 550, OK);
    check_rule_kw(kw, "MAIL", 501, OK);         /* RFC 3461 §5.1 */
    check_rule_kw(kw, "MAIL", 555, OK);         /* RFC 5321 §4.1.1.11 */

    /* Unadvertised, the verbs are still table commands (a server may
     * recognize a verb it does not offer): 220 to STARTTLS is allowed,
     * 502 (§4.2.4, recognized but not implemented) too. */
    CHECK_STR(codes_command("STARTTLS", PROFILE_RFC5321), "STARTTLS",
              "STARTTLS is a table command without the keyword");
    check_rule_kw(NULL, "STARTTLS", 220, OK);
    check_rule_kw(NULL, "STARTTLS", 502, OK);
    check_rule_kw(NULL, "STARTTLS", 250, "3207-4-starttls-codes");
    /* ETRN: nothing in rfc/ lists its codes, so it is no table command */
    CHECK_STR(codes_command("ETRN", PROFILE_RFC5321), "UNKNOWN", "codes_command(ETRN)");
    check_rule_kw("ETRN", "UNKNOWN", 250, R_UNKNOWN);

    /* the reason names the extension RFC's set */
    struct codes_ctx ctx = { .profile = PROFILE_RFC5321, .ehlo_keywords = kw };
    struct code_check out;
    codes_check("STARTTLS", &ctx, 250, &out);
    CHECK_CONTAINS(out.reason, "RFC 3207 §4", "STARTTLS 250 reason names RFC 3207 §4");
    CHECK_CONTAINS(out.reason, "220, 421, 454, 500, 501, 502", "STARTTLS 250 reason lists the set");
    codes_check("AUTH", &ctx, 250, &out);
    CHECK_CONTAINS(out.reason, "RFC 4954", "AUTH 250 reason names RFC 4954");
}

/* --list-codes prints the extension rows with their sources and keywords. */
static void test_dump(void)
{
    char buf[65536];
    FILE *f = tmpfile();
    if (!f) {
        CHECK(0, "tmpfile for codes_dump");
        return;
    }
    codes_dump(f);
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    CHECK(n < sizeof buf - 1, "codes_dump output fits the buffer");
    CHECK_CONTAINS(buf, "STARTTLS     220   rfc5321  -         RFC 3207 §4\n",
                   "dump: STARTTLS 220 from RFC 3207 §4");
    CHECK_CONTAINS(buf, "STARTTLS     501   rfc5321  -         RFC 3207 §4",
                   "dump: STARTTLS 501 from RFC 3207 §4");
    CHECK_CONTAINS(buf, "STARTTLS     454   rfc5321  -         RFC 3207 §4",
                   "dump: STARTTLS 454 from RFC 3207 §4");
    CHECK_CONTAINS(buf, "STARTTLS     503   rfc5321  tls       RFC 3207 §4.2",
                   "dump: STARTTLS 503 only while TLS is active");
    CHECK_CONTAINS(buf, "STARTTLS     530   rfc5321  -         RFC 4954 §6 "
                   "(authentication required) [ext AUTH]", "dump: STARTTLS 530 [ext AUTH]");
    CHECK_CONTAINS(buf, "AUTH         334   rfc5321  -         RFC 4954 §4",
                   "dump: AUTH 334 from RFC 4954 §4");
    CHECK_CONTAINS(buf, "AUTH         538   rfc5321  -         RFC 4954 §6",
                   "dump: AUTH 538 from RFC 4954 §6");
    CHECK_CONTAINS(buf, "AUTH         501   rfc5321  -         RFC 4954 §4",
                   "dump: AUTH 501 from RFC 4954 §4");
    CHECK_CONTAINS(buf, "AUTH         530   rfc5321  -         RFC 3207 §4 "
                   "(STARTTLS first) [ext STARTTLS]", "dump: AUTH 530 [ext STARTTLS]");
    CHECK_CONTAINS(buf, "BDAT         503   rfc5321  -         RFC 3030 §2 (BDAT after",
                   "dump: BDAT 503 from RFC 3030 §2");
    CHECK(strstr(buf, "ETRN") == NULL, "dump: no ETRN rows");
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
    test_verdicts();
    test_extension_verbs();
    test_extension_rows();
    test_dump();
    return done_testing();
}
