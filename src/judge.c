/* judge.c - from an exchange, its context and the catalog to findings.
 *
 * Each finding cites one rule and takes the rule's verdict (its keyword:
 * MUST fails, SHOULD warns, MAY or none is info).  Findings without a rule
 * are error (the probe could not conclude).  Nothing here reads a socket. */
#include "judge.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ehlo.h"
#include "status.h"

/* The rules the runner's own observations break (rules/reply.rules). */
#define R_ONE_REPLY "5321-4.2-one-reply"
#define R_NO_CLOSE "5321-3.8-no-close"
#define R_CLOSE_ON_UNKNOWN "5321-3.8-close-on-unknown"
#define R_ADVERTISED "5321-4.2.4-no-unimplemented-capabilities"
#define R_VALID_CERT "8314-4.4-valid-certificates"

static const char *const codes_rules[] = {
    "5321-4.3.1-command-codes", "5321-4.2-listed-codes", "5321-4.2.4-unrecognized-500",
    "5321-4.1.4-ehlo-refusal-codes", "821-4.3-command-codes", "3207-4-starttls-codes",
    "4954-6-auth-codes", "3030-2-bdat-replies",
};

/* A finding that breaks rule id; its verdict is the rule's.  A rule that
 * binds clients never judges a server (the catalog check keeps such ids
 * out of the built-ins, and suite_resolve_rules out of the suites). */
static void broken(const struct judge_ctx *j, struct exchange *ex, const char *id,
                   const char *msg)
{
    const struct rule *r = catalog_find(j->cat, id);
    if (!r)
        exchange_addf(ex, V_ERROR, NULL, "%s (rule %s is missing from the catalog)", msg, id);
    else if (r->binds_client)
        exchange_addf(ex, V_ERROR, NULL, "%s (rule %s binds clients and cannot judge a server)",
            msg, id);
    else
        exchange_add_finding(ex, r->verdict, r, msg);
}

static const char *cmd_name(const struct exchange *ex)
{
    return strcmp(ex->table_cmd, CMD_GREETING) == 0 ? "the greeting" : ex->table_cmd;
}

/* The verb of a plain command line: printable ASCII, at most 512 octets
 * with its CRLF (§4.5.3.1.4), nothing else.  A 500 to any other line may
 * be about the line, not the command.  Returns 0 when ex is not one. */
static int plain_verb(const struct exchange *ex, char *verb, size_t len)
{
    const char *p = ex->sent.data;
    size_t n = ex->sent.len, i = 0;
    if (n < 3 || n > 512 || p[n - 2] != '\r' || p[n - 1] != '\n')
        return 0;
    for (size_t k = 0; k + 2 < n; k++)
        if (p[k] < 32 || p[k] > 126)
            return 0;
    while (i + 1 < len && i + 2 < n && p[i] != ' ') {
        verb[i] = (char)toupper((unsigned char)p[i]);
        i++;
    }
    verb[i] = '\0';
    return i > 0;
}

/* §4.2.4: a command whose keyword the EHLO reply listed, answered 500/502. */
static void judge_advertised(const struct judge_ctx *j, struct exchange *ex)
{
    char verb[32], msg[256];
    int code = ex->reply.code;
    if (!j->extended || (code != 500 && code != 502) || !plain_verb(ex, verb, sizeof verb))
        return;
    const char *kw = ehlo_keyword_for_verb(verb);
    if (!kw || !word_listed(j->keywords, kw))
        return;
    snprintf(msg, sizeof msg, "%s answered %d, though the EHLO reply lists %s", verb,
             code, kw);
    broken(j, ex, R_ADVERTISED, msg);
}

struct content_ctx {
    const struct judge_ctx *j;
    struct exchange *ex;
};
static void content_finding(void *arg, const char *rule, const char *msg);

/* RFC 2034: the server advertised ENHANCEDSTATUSCODES (on this run's
 * discovery connection), so the reply's text starts with a status code. */
static void judge_status(const struct judge_ctx *j, struct exchange *ex)
{
    struct content_ctx c = { j, ex };
    status_check(&ex->reply, content_finding, &c);
}

void judge_reply(const struct judge_ctx *j, struct exchange *ex)
{
    for (int d = 0; d < RD_COUNT; d++) {
        if (reply_has(&ex->reply, (enum reply_defect)d)) {
            const struct reply_defect_info *di = reply_defect_info((enum reply_defect)d);
            broken(j, ex, di->rule, di->what);
        }
    }
    int code = ex->reply.code;
    if (code < 200 || code > 599)
        return;     /* the syntax findings have judged it */
    struct codes_ctx ctx = { .profile = j->profile, .refused = j->refused != 0,
                             .tls_active = j->tls_active, .ehlo_keywords = j->keywords };
    codes_check(ex->table_cmd, &ctx, code, &ex->check);
    ex->checked = 1;
    /* 421 may answer anything when the service shuts down (§3.8): the case
     * is inconclusive, whatever the table lists. */
    if (code == 421)
        exchange_addf(ex, V_ERROR, NULL, "421: the server is closing the channel (overload, rate "
            "limit or shutdown); the case is inconclusive");
    else if (ex->check.rule && j->codes_not_judged)
        exchange_addf(ex, V_PASS, NULL, "note: %s (not judged: %s)", ex->check.reason,
                      j->codes_not_judged);
    else if (ex->check.rule)
        broken(j, ex, ex->check.rule, ex->check.reason);
    if (code != 421)
        judge_advertised(j, ex);
    if (word_listed(j->keywords, "ENHANCEDSTATUSCODES") && status_applies(ex->table_cmd, code))
        judge_status(j, ex);
}

void judge_expect(const struct judge_ctx *j, struct exchange *ex, const struct step *st)
{
    char msg[512];
    if (codeset_has(&st->codes, ex->reply.code))
        return;
    if (ex->reply.code == 530 && ex->checked && !ex->check.rule) {
        exchange_addf(ex, V_SKIP, NULL, "%s answered 530: the server requires authentication or "
            "TLS first (an advertised extension allows it), so the case cannot judge it",
            cmd_name(ex));
        return;
    }
    snprintf(msg, sizeof msg, "%s answered %d, expected %s", cmd_name(ex), ex->reply.code,
             st->codes_text);
    broken(j, ex, st->rule->id, msg);
    /* One reply, one behaviour: a sentence about this very command's reply
     * takes the place of the code table's general rule, unless it is weaker. */
    const struct rule *table = ex->check.rule ? catalog_find(j->cat, ex->check.rule) : NULL;
    if (table && table != st->rule && st->rule->verdict >= table->verdict)
        exchange_drop_rule(ex, table);
}

static int got_two_replies(const struct exchange *e)
{
    for (size_t k = 0; k < e->nfindings; k++)
        if (e->findings[k].rule && strcmp(e->findings[k].rule->id, R_ONE_REPLY) == 0)
            return 1;
    return 0;
}

/* Did ex, or an exchange before it, get more than one reply? */
static int out_of_step(const struct judge_ctx *j, const struct exchange *ex)
{
    const struct case_result *r = j->so_far;
    if (got_two_replies(ex))
        return 1;
    for (size_t i = 0; r && i < r->nex && &r->ex[i] != ex; i++)
        if (got_two_replies(&r->ex[i]))
            return 1;
    return 0;
}

void judge_close(const struct judge_ctx *j, struct exchange *ex, int replied)
{
    char msg[512];
    int unknown = strcmp(ex->table_cmd, CMD_UNKNOWN) == 0;
    /* After a 250 to TURN the roles are reversed (RFC 821 §4.1.1): what
     * the server does next is a client's move, which no server rule judges. */
    if (replied && strcmp(ex->table_cmd, "TURN") == 0 && ex->has_reply &&
        ex->reply.code == 250) {
        exchange_addf(ex, V_ERROR, NULL, "the server took TURN and the roles are reversed; "
            "smtpspec does not act as a server, so the case ends here");
        return;
    }
    if (j->refused == 521) {
        exchange_addf(ex, V_PASS, NULL, "note: the server closed the connection; after a 521 "
            "greeting it may (RFC 7504 §3)");
        return;
    }
    if (out_of_step(j, ex)) {
        exchange_addf(ex, V_PASS, NULL, "note: the server closed the connection after its replies "
            "got out of step with the commands; the close is not judged");
        return;
    }
    if (j->close_permitted) {
        exchange_addf(ex, V_PASS, NULL, "note: the server closed the connection, which this case "
            "does not judge: %s", j->close_permitted);
        return;
    }
    if (replied)
        snprintf(msg, sizeof msg, "after its reply to %s the server closed the connection "
                 "before QUIT, without a 421", cmd_name(ex));
    else
        snprintf(msg, sizeof msg, "the server closed the connection without a reply to %s "
                 "(no QUIT, no 421)", cmd_name(ex));
    broken(j, ex, unknown ? R_CLOSE_ON_UNKNOWN : R_NO_CLOSE, msg);
}

void judge_no_more(const struct judge_ctx *j, struct exchange *ex, const struct step *st,
                   size_t n, size_t written)
{
    char msg[256];
    if (written)
        snprintf(msg, sizeof msg, "after %zu bytes written without waiting (since its reply "
                 "to %s), the server sent %zu bytes before smtpspec asked for a reply",
                 written, cmd_name(ex), n);
    else
        snprintf(msg, sizeof msg, "after its reply to %s the server sent %zu more bytes: a "
                 "further reply", cmd_name(ex), n);
    broken(j, ex, st->rule->id, msg);
}

void judge_silence_broken(const struct judge_ctx *j, struct exchange *ex,
                          const struct step *st, long timeout_ms)
{
    char msg[320];
    if (ex->has_reply && ex->reply.code / 100 == 2) {
        snprintf(msg, sizeof msg, "accepted early: the server answered %d within %ld ms, "
                 "before the real <CRLF>.<CRLF>; it took the bytes written as the end of "
                 "the data", ex->reply.code, timeout_ms);
        broken(j, ex, st->rule->id, msg);
    } else if (ex->has_reply) {
        exchange_addf(ex, V_PASS, NULL, "note: rejected: the server refused the data with "
                      "%d before their end (it did not take the bytes written as the end "
                      "of the data)", ex->reply.code);
    } else {
        exchange_addf(ex, V_PASS, NULL, "note: rejected: the server closed the connection "
                      "before the end of the data");
    }
}

void judge_same_code(const struct judge_ctx *j, struct exchange *ex,
                     const struct exchange *prev, const struct step *st)
{
    char msg[320];
    if (ex->reply.code == prev->reply.code)
        return;
    snprintf(msg, sizeof msg, "%s answered %d here and %d to the %s before: the two are "
             "told apart", cmd_name(ex), ex->reply.code, prev->reply.code, cmd_name(prev));
    if (st->rule)
        broken(j, ex, st->rule->id, msg);
    else
        exchange_addf(ex, V_PASS, NULL, "note: %s", msg);
}

void judge_extra_reply(const struct judge_ctx *j, struct exchange *ex, size_t n)
{
    char msg[256];
    snprintf(msg, sizeof msg, "the server sent %zu more bytes after its reply to %s, unasked",
             n, cmd_name(ex));
    broken(j, ex, R_ONE_REPLY, msg);
}

void judge_not_closed(const struct judge_ctx *j, struct exchange *ex,
                      const struct step *st, long timeout_ms)
{
    char msg[256];
    snprintf(msg, sizeof msg, "the server did not close the connection within %ld ms "
             "after %s", timeout_ms, cmd_name(ex));
    broken(j, ex, st->rule->id, msg);
}

void judge_keyword(const struct judge_ctx *j, struct exchange *ex, const struct step *st,
                   int advertised)
{
    char msg[256];
    if (advertised)
        return;
    snprintf(msg, sizeof msg, "the server does not advertise %s in its EHLO reply",
             st->keyword);
    broken(j, ex, st->rule->id, msg);
}

void judge_no_reply(const struct judge_ctx *j, struct exchange *ex, const struct step *st,
                    long timeout_ms)
{
    char msg[256];
    snprintf(msg, sizeof msg, "no reply for %s within %ld ms, while the connection stayed "
             "open: a reply is missing (lost, or merged into another)", ex->table_cmd,
             timeout_ms);
    broken(j, ex, st->rule->id, msg);
}

void judge_within(const struct judge_ctx *j, struct exchange *ex, const struct step *st)
{
    char msg[256];
    if (ex->elapsed_ms <= st->within_ms)
        return;
    snprintf(msg, sizeof msg, "the reply to %s took %ld ms, more than %ld ms",
             cmd_name(ex), ex->elapsed_ms, st->within_ms);
    broken(j, ex, st->rule->id, msg);
}


void judge_handshake_failed(const struct judge_ctx *j, struct exchange *ex,
                            const struct step *st, const char *why)
{
    char msg[512];
    snprintf(msg, sizeof msg, "the server advertised STARTTLS and answered %d to it, then: %s",
             ex->has_reply ? ex->reply.code : 0, why);
    broken(j, ex, st->rule->id, msg);
}

/* Implicit TLS is RFC 8314's, whose §4.4 asks for valid certificates; for
 * STARTTLS, RFC 3207 §4.1 makes believing a certificate "a local matter":
 * what verification found is a note, not a verdict. */
void judge_certificate(const struct judge_ctx *j, struct exchange *ex,
                       const struct tls_facts *f, int implicit)
{
    char msg[2048];
    if (!f->verify_done || f->verified)
        return;
    snprintf(msg, sizeof msg, "%sthe server's certificate did not verify: %s (subject %s, "
             "issuer %s, not after %s)%s", implicit ? "" : "note: ", f->verify_reason,
             f->has_cert ? f->subject : "-", f->has_cert ? f->issuer : "-",
             f->has_cert ? f->not_after : "-",
             implicit ? "" : "; for STARTTLS, RFC 3207 §4.1 leaves believing it to the "
             "client (\"a local matter\"), so it is not judged");
    if (implicit)
        broken(j, ex, R_VALID_CERT, msg);
    else
        exchange_add_finding(ex, V_PASS, NULL, msg);
}

static void content_finding(void *arg, const char *rule, const char *msg)
{
    struct content_ctx *c = arg;
    if (rule)
        broken(c->j, c->ex, rule, msg);
    else
        exchange_add_finding(c->ex, V_PASS, NULL, msg);    /* a note */
}

void judge_content(const struct judge_ctx *j, struct exchange *ex, int check)
{
    struct content_ctx c = { j, ex };
    if (check == CHECK_AUTH_PLAINTEXT && j->tls_active)
        return;     /* over TLS, a plaintext mechanism is protected */
    content_check_run((enum content_check)check, &ex->reply, content_finding, &c);
}

static int need(const struct catalog *cat, const char *id, char *err, size_t errlen)
{
    const struct rule *r = catalog_find(cat, id);
    if (r && !r->binds_client)
        return 0;
    snprintf(err, errlen, "the rule catalog has no server rule %s, which smtpspec's "
             "built-in checks cite (see --rules-dir)", id);
    return -1;
}

int judge_check_catalog(const struct catalog *cat, char *err, size_t errlen)
{
    static const char *const own[] = { R_ONE_REPLY, R_NO_CLOSE, R_CLOSE_ON_UNKNOWN,
                                       R_ADVERTISED, R_VALID_CERT };
    for (size_t i = 0; content_check_rule(i); i++)
        if (need(cat, content_check_rule(i), err, errlen))
            return -1;
    for (size_t i = 0; status_rule(i); i++)
        if (need(cat, status_rule(i), err, errlen))
            return -1;
    for (int d = 0; d < RD_COUNT; d++)
        if (need(cat, reply_defect_info((enum reply_defect)d)->rule, err, errlen))
            return -1;
    for (size_t i = 0; i < sizeof codes_rules / sizeof codes_rules[0]; i++)
        if (need(cat, codes_rules[i], err, errlen))
            return -1;
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (need(cat, own[i], err, errlen))
            return -1;
    return 0;
}
