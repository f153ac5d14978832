/* runner.c - executes cases.
 *
 * A case is a small state machine over one connection:
 *   connect -> greeting -> steps... -> teardown (QUIT unless the server is
 *   in DATA mode or gone).
 * The runner drives the connection and decides when to judge; judge.c
 * decides what each observation breaks.  No RFC sentence lives here.
 *
 * Safety: in a case without "needs rcpt", a 354 reply means the server
 * would take whatever comes next as a message; the runner then sends
 * nothing more and drops the connection, so no message is delivered. */
#include "runner.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "ehlo.h"
#include "judge.h"

#define TEARDOWN_TIMEOUT_MS 3000
#define SETTLE_MS 10            /* see check_unsolicited */
#define SETTLE_LIKELY_MS 250

static pthread_mutex_t transcript_lock = PTHREAD_MUTEX_INITIALIZER;

struct case_run {
    const struct run_config *cfg;
    const struct server_info *info;
    const struct casedef *def;
    struct case_result *res;
    struct judge_ctx jc;
    struct session sess;
    int connected;
    int greeted;            /* a complete greeting came */
    int refused;            /* greeting was 554 or 521 */
    int data_mode;          /* a 354 was received and not yet ended */
    int lockstep;           /* every reply asked for has been read */
    int gone;               /* the connection can no longer be used */
    int quit_done;          /* QUIT was sent by the case */
    int pipelined;          /* lines were sent without waiting for replies */
    int awaiting_tls;       /* STARTTLS got 220: the server waits for a handshake */
    struct vars vars;       /* the options' variables and the server's (VAR_SIZE_*) */
    size_t step;            /* index of the step being run */
    struct judged {         /* findings the case's own steps made */
        size_t ex;
        const struct rule *rule;
    } judged[32];
    size_t njudged;
    struct buf unsent;      /* the first bytes written since the last reply read */
    size_t unsent_total;    /* all of them */
    int attempt;            /* 1, or more after 421 greetings */
    long long deadline;     /* clock_ms() when the case's time (--case-time) is up */
    enum verdict case_verdict;  /* verdict not tied to an exchange */
    char *case_reason;
};

/* What is left of --max-time (at least 1 ms), or -1 without it. */
static long run_left_ms(const struct run_config *cfg)
{
    if (cfg->deadline_ms <= 0)
        return -1;
    long long left = cfg->deadline_ms - clock_ms();
    return left > 0 ? (long)left : 1;
}

long runner_timeout_ms(const struct run_config *cfg, const char *cmd)
{
    long t = cfg->timeout_ms > 0 ? cfg->timeout_ms : codes_rfc_timeout(cmd, NULL) * 1000L / 10;
    long left = run_left_ms(cfg);
    return left >= 0 && left < t ? left : t;
}

int runner_out_of_time(const struct run_config *cfg)
{
    return cfg->deadline_ms > 0 && clock_ms() >= cfg->deadline_ms;
}

/* What is left of the case's budget, at least 1 ms. */
static long case_left_ms(const struct case_run *r)
{
    long long left = r->deadline - clock_ms();
    return left > 0 ? (long)left : 1;
}

static int case_out_of_time(const struct case_run *r)
{
    return clock_ms() >= r->deadline;
}

/* The timeout for a reply to cmd: the per-reply timeout, cut to what is
 * left of the case's budget and of the run's. */
static long reply_timeout_ms(const struct case_run *r, const char *cmd)
{
    long t = runner_timeout_ms(r->cfg, cmd), left = case_left_ms(r);
    return left < t ? left : t;
}

/* ---- credentials never leave the run ------------------------------------- */

/* Overwrites every credential (--auth-user/--auth-pass) in p[0..n) with
 * '*', keeping the length (offsets into a reply stay valid): the Base64
 * forms always, the raw ones in what the server sent (smtpspec sends them
 * only in Base64, and the raw user name may be part of ordinary text such
 * as the EHLO argument).  A credential shorter than 4 octets is left
 * alone: it would mask ordinary text. */
static void mask_in(const struct run_config *cfg, char *p, size_t n, int received)
{
    size_t count = received ? sizeof cfg->secrets / sizeof cfg->secrets[0] : SECRETS_BASE64;
    for (size_t i = 0; i < count; i++) {
        const char *sec = cfg->secrets[i];
        size_t len = sec ? strlen(sec) : 0;
        if (len < 4)
            continue;
        for (char *at = p; (at = memmem(at, n - (size_t)(at - p), sec, len)) != NULL; at += len)
            memset(at, '*', len);
    }
}

static void mask_secrets(const struct run_config *cfg, char *p, size_t n)
{
    mask_in(cfg, p, n, 1);
}

/* p[0..n) as sent, masked: p itself when no credential is set, else a
 * masked copy in tmp (the caller frees tmp). */
static const char *masked(const struct case_run *r, const char *p, size_t n, struct buf *tmp)
{
    if (!r->cfg->secrets[0] || n == 0)
        return p;
    buf_append(tmp, p, n);
    if (!tmp->data)
        return "";
    mask_in(r->cfg, tmp->data, n, 0);
    return tmp->data;
}

/* ---- transcript ---------------------------------------------------------- */

static void transcript(const struct case_run *r, const char *dir, const char *p, size_t n)
{
    FILE *f = r->cfg->transcript;
    if (!f || n == 0)
        return;
    struct buf tmp = BUF_INIT;
    p = masked(r, p, n > 4096 ? 4096 : n, &tmp);
    char *esc = wire_escape(p, n > 4096 ? 4096 : n);
    buf_free(&tmp);
    pthread_mutex_lock(&transcript_lock);
    fprintf(f, "[%s] %s %s%s\n", r->def ? r->def->id : "discovery", dir,
            esc ? esc : "?", n > 4096 ? " ..." : "");
    fflush(f);
    pthread_mutex_unlock(&transcript_lock);
    free(esc);
}

/* ---- findings ------------------------------------------------------------ */

/* A finding without a rule: the probe could not conclude (error). */
#define inconclusive(ex, ...) exchange_addf((ex), V_ERROR, NULL, __VA_ARGS__)

static void case_finding(struct case_run *r, enum verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void case_finding(struct case_run *r, enum verdict v, const char *fmt, ...)
{
    if (r->case_reason && v <= r->case_verdict)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    free(r->case_reason);
    r->case_reason = strdup(msg);
    r->case_verdict = verdict_worst(r->case_verdict, v);
}

static struct exchange *new_exchange(struct case_run *r, const char *table_cmd)
{
    struct case_result *res = r->res;
    if (res->nex)   /* steps judge only the last exchange's reply */
        exchange_shrink(&res->ex[res->nex - 1]);
    struct exchange *ex = realloc(res->ex, (res->nex + 1) * sizeof *ex);
    if (!ex)
        return NULL;
    res->ex = ex;
    ex = &res->ex[res->nex++];
    memset(ex, 0, sizeof *ex);
    ex->table_cmd = strdup(table_cmd);
    return ex;
}

static struct exchange *last_exchange(struct case_run *r)
{
    return r->res->nex ? &r->res->ex[r->res->nex - 1] : NULL;
}

/* ---- reading a reply ----------------------------------------------------- */

static const char *rx_explain(enum rx_status st)
{
    switch (st) {
    case RX_TIMEOUT: return "no complete reply before the timeout";
    case RX_EOF: return "the server closed the connection (clean close) before a complete reply";
    case RX_RESET: return "the connection was reset before a complete reply";
    case RX_CANCELLED: return "the run was stopped before a complete reply";
    default: return "reply exceeded smtpspec's limit";
    }
}

/* The connection ended while ex awaited its reply.  Before the greeting
 * that is only an error; after it, a close before QUIT is judged. */
static void closed_at(struct case_run *r, struct exchange *ex, enum rx_status st)
{
    ex->closed = st == RX_EOF ? CLOSE_CLEAN : CLOSE_RESET;
    size_t n = r->res->nex;
    const struct exchange *prev = n >= 2 ? &r->res->ex[n - 2] : NULL;
    if (strcmp(ex->table_cmd, CMD_GREETING) == 0) {
        inconclusive(ex, "%s: the server closed before its greeting", rx_explain(st));
    } else if (r->quit_done) {
        inconclusive(ex, "%s", rx_explain(st));
    } else if (prev && prev->has_reply && prev->reply.code == 221 && ex->received.len == 0) {
        /* the server announced the close in its reply to the previous command */
        inconclusive(ex, "%s", rx_explain(st));
        judge_close(&r->jc, &r->res->ex[n - 2], 1);
    } else if (ex->received_total > 0) {
        /* Part of a reply, then the end: a crash or a cut line, which shows
         * no intentional close; and the part is no reply to judge. */
        inconclusive(ex, "%s, after %zu bytes of it (neither the cut-off reply nor a close "
                     "in the middle of one is judged)", rx_explain(st), ex->received_total);
    } else {
        judge_close(&r->jc, ex, 0);
    }
}

/* Reads one reply into ex and judges it.  Returns 0 when a complete reply
 * came, -1 when the connection is no longer usable.  Only a complete reply
 * is judged: one cut off by a timeout, a close or a limit is not a reply. */
static int read_reply(struct case_run *r, struct exchange *ex, long long started)
{
    struct rx rx;
    long timeout = reply_timeout_ms(r, ex->table_cmd);
    if (session_read_reply(&r->sess, timeout, &rx) != 0) {
        inconclusive(ex, "out of memory");
        r->gone = 1;
        return -1;
    }
    ex->elapsed_ms = (long)(clock_ms() - started);
    if (rx.bytes.len && r->cfg->secrets[0])
        mask_secrets(r->cfg, rx.bytes.data, rx.bytes.len);   /* a server may echo them */
    transcript(r, "S:", rx.bytes.data, rx.bytes.len);
    exchange_received(ex, rx.bytes.data, rx.bytes.len);
    size_t len = rx.bytes.len;
    if (rx.status == RX_REPLY && reply_adopt(buf_steal(&rx.bytes), len, &ex->reply) == 0)
        ex->has_reply = 1;   /* the reply owns the bytes: no second copy */
    buf_free(&rx.bytes);
    if (rx.status == RX_REPLY && ex->has_reply) {
        judge_reply(&r->jc, ex);
        r->lockstep = 1;
        if (ex->reply.code != 421)
            return 0;
        r->gone = 1;    /* the server closes after 421: the case ends here */
        return -1;
    }
    if (rx.status == RX_EOF || rx.status == RX_RESET)
        closed_at(r, ex, rx.status);
    else if (rx.status == RX_CAPPED)
        inconclusive(ex, "%s (%s limit); smtpspec stopped reading and closed the "
                     "connection", rx_explain(rx.status), rx.capped);
    else if (rx.status == RX_TIMEOUT && case_out_of_time(r))
        inconclusive(ex, "%s: the case's time was up (see --case-time)",
                     rx_explain(rx.status));
    else if (rx.status == RX_TIMEOUT && runner_out_of_time(r->cfg))
        inconclusive(ex, "%s: the run's time was up (see --max-time)", rx_explain(rx.status));
    else if (rx.status == RX_TIMEOUT)
        inconclusive(ex, "%s (waited %ld ms for %s; RFC 5321 §4.5.3.2 gives a client "
                     "%d s; see --timeout)", rx_explain(rx.status), timeout, ex->table_cmd,
                     codes_rfc_timeout(ex->table_cmd, NULL));
    else if (rx.status == RX_CANCELLED)
        inconclusive(ex, "%s", rx_explain(rx.status));
    else
        inconclusive(ex, "out of memory");
    r->gone = 1;
    return -1;
}

/* ---- steps ----------------------------------------------------------------- */

/* The verb at the start of a command line, upper-cased, into verb. */
static void command_verb(const char *p, size_t n, char *verb, size_t len)
{
    size_t i = 0;
    while (i < n && i + 1 < len && p[i] != ' ' && p[i] != '\r' && p[i] != '\n' &&
           p[i] != '\0' && p[i] != ':' && p[i] != '\t') {
        verb[i] = (char)toupper((unsigned char)p[i]);
        i++;
    }
    verb[i] = '\0';
}

/* A single line ending in CRLF, with no other CR or LF in it. */
static int is_one_line(const char *p, size_t n)
{
    if (n < 2 || p[n - 2] != '\r' || p[n - 1] != '\n')
        return 0;
    return !memchr(p, '\r', n - 2) && !memchr(p, '\n', n - 2);
}

/* Before the next command: bytes the server sent that nobody asked for
 * are a second reply to the previous command, and a close seen now came
 * after that command's reply.  Returns -1 when the connection is gone. */
static int check_unsolicited(struct case_run *r)
{
    struct exchange *prev = last_exchange(r);
    if (!r->lockstep || !prev || !prev->has_reply)
        return 0;
    /* Give a server that closes after its reply a moment, so that its close
     * is seen here, after that reply, and not at the next command: longer
     * after an unrecognized command or a 221, where closes are likelier. */
    int likely = strcmp(prev->table_cmd, CMD_UNKNOWN) == 0 || prev->reply.code == 221;
    size_t n = session_drain(&r->sess, reply_timeout_ms(r, "") < SETTLE_LIKELY_MS
                             ? 0 : likely ? SETTLE_LIKELY_MS : SETTLE_MS);
    struct buf *p = &r->sess.pending;
    /* After a send of several lines, what is pending are their replies, for
     * the next read.  After lines sent without waiting (write), a reply that
     * arrives late may be theirs too: it is kept, not judged. */
    if (n && prev->sent.len && is_one_line(prev->sent.data, prev->sent.len)) {
        mask_secrets(r->cfg, p->data, p->len);
        transcript(r, "S:", p->data, p->len);
        exchange_received(prev, p->data, p->len);
        if (r->pipelined)
            exchange_add_finding(prev, V_PASS, NULL, "note: more bytes came after this "
                                 "reply; lines were sent earlier without waiting for "
                                 "replies, so they may answer those");
        else
            judge_extra_reply(&r->jc, prev, p->len);
        session_discard(&r->sess);
    }
    if (r->sess.closed == IO_OK)
        return 0;
    prev->closed = r->sess.closed == IO_EOF ? CLOSE_CLEAN : CLOSE_RESET;
    if (!r->quit_done)
        judge_close(&r->jc, prev, 1);
    r->gone = 1;
    return -1;
}

/* Stops before sending in DATA mode when the case may not deliver. */
static int data_mode_blocks(struct case_run *r)
{
    if (!r->data_mode || r->def->needs_rcpt)
        return 0;
    case_finding(r, V_ERROR, "the server answered 354 and is waiting for message data; "
                 "smtpspec sent nothing more and closed the connection so that no "
                 "message is delivered (cases that deliver need --rcpt)");
    r->gone = 1;
    return 1;
}

/* Bytes written before (pipelining, message data) belong to the exchange
 * whose reply is read next. */
static void take_unsent(struct case_run *r, struct exchange *ex)
{
    exchange_sent(ex, r->unsent.data, r->unsent.len);
    ex->sent_total += r->unsent_total - r->unsent.len;
    buf_free(&r->unsent);
    r->unsent_total = 0;
}

static int send_bytes(struct case_run *r, struct exchange *ex, const char *p, size_t n)
{
    struct buf tmp = BUF_INIT;
    const char *shown = masked(r, p, n, &tmp);
    transcript(r, "C:", shown, n);
    exchange_sent(ex, shown, n);
    buf_free(&tmp);
    enum io_status st = conn_send(r->sess.conn, p, n, reply_timeout_ms(r, ex->table_cmd));
    if (st == IO_OK)
        return 0;
    inconclusive(ex, "could not send: %s", st == IO_TIMEOUT
                 ? "the server stopped reading (send timed out)"
                 : st == IO_CANCELLED ? "the run was stopped" : "connection reset");
    ex->closed = st == IO_TIMEOUT ? CLOSE_NONE : CLOSE_RESET;
    r->gone = 1;
    return -1;
}

static int step_send(struct case_run *r, const struct step *st)
{
    struct buf bytes = BUF_INIT;
    char verb[24];
    if (data_mode_blocks(r))
        return -1;
    if (expr_expand(&st->expr, &r->vars, &bytes) != 0) {
        buf_free(&bytes);
        case_finding(r, V_ERROR, "line %d: could not build the command", st->line);
        return -1;
    }
    command_verb(bytes.data ? bytes.data : "", bytes.len, verb, sizeof verb);
    const char *cmd = st->cmd ? st->cmd : codes_command(verb, r->cfg->profile);
    if (check_unsolicited(r) != 0) {
        buf_free(&bytes);
        return -1;
    }
    struct exchange *ex = new_exchange(r, cmd);
    if (!ex) {
        buf_free(&bytes);
        return -1;
    }
    take_unsent(r, ex);
    long long started = clock_ms();
    if (!is_one_line(bytes.data ? bytes.data : "", bytes.len))
        r->pipelined = 1;   /* several lines, or none: replies may not pair up */
    int rc = send_bytes(r, ex, bytes.data ? bytes.data : "", bytes.len);
    buf_free(&bytes);
    if (rc != 0 || read_reply(r, ex, started) != 0)
        return -1;
    if (strcmp(cmd, "QUIT") == 0)
        r->quit_done = 1;
    /* service extensions are in effect after EHLO 250, not after HELO */
    if (strcmp(cmd, "EHLO") == 0 && ex->reply.code == 250)
        r->jc.extended = 1;
    else if (strcmp(cmd, "HELO") == 0 && ex->reply.code == 250)
        r->jc.extended = 0;
    if (ex->reply.code == 354)
        r->data_mode = 1;
    /* After 220 to STARTTLS the connection is the handshake's: a QUIT in
     * plaintext would only garble it (see teardown). */
    r->awaiting_tls = strcmp(verb, "STARTTLS") == 0 && ex->reply.code == 220;
    return 0;
}

static void transcript_tls(const struct case_run *r, const struct tls_facts *f)
{
    char line[512];
    snprintf(line, sizeof line, "%s %s, certificate %s%s", f->version, f->cipher,
             !f->verify_done ? "not verified (--insecure)" : f->verified ? "verified"
             : "did not verify: ", f->verify_done && !f->verified ? f->verify_reason : "");
    transcript(r, "TLS:", line, strlen(line));
}

/* A handshake succeeded (before the greeting for smtps, else after the
 * 220 to STARTTLS): after STARTTLS the session starts again (RFC 3207
 * §4.2), and the keywords that apply are the ones offered over TLS. */
static void tls_started(struct case_run *r, int implicit)
{
    const struct tls_facts *f = conn_tls_facts(r->sess.conn);
    if (!f)
        return;
    if (!r->res->tls)
        r->res->tls = malloc(sizeof *r->res->tls);
    if (r->res->tls)
        *r->res->tls = *f;
    transcript_tls(r, f);
    r->jc.tls_active = 1;
    if (!implicit) {
        r->jc.extended = 0;
        if (r->info->tls_keywords)
            r->jc.keywords = r->info->tls_keywords;
    }
}

/* starttls RULE: the handshake, right after a 220 to STARTTLS.  Bytes the
 * server sent after its 220 are plaintext: judged as a further reply and
 * dropped, never handed to TLS (transport-notes §3). */
static int step_starttls(struct case_run *r, const struct step *st)
{
    struct exchange *ex = last_exchange(r);
    char err[512];
    if (!r->awaiting_tls || !ex) {
        case_finding(r, V_ERROR, "line %d: starttls needs a 220 reply to STARTTLS just "
                     "before it", st->line);
        return -1;
    }
    if (check_unsolicited(r) != 0)
        return -1;
    session_discard(&r->sess);
    r->awaiting_tls = 0;
    if (conn_start_tls(r->sess.conn, &r->cfg->conn, reply_timeout_ms(r, "STARTTLS"), err,
                       sizeof err) != 0) {
        /* The finding is the case's verdict: the steps after it need TLS. */
        transcript(r, "TLS:", err, strlen(err));
        judge_handshake_failed(&r->jc, ex, st, err);
        r->gone = 1;
        return -1;
    }
    tls_started(r, 0);
    return 0;
}

/* certificate: what verification of the session's certificate found. */
static int step_certificate(struct case_run *r, const struct step *st)
{
    const struct tls_facts *f = conn_tls_facts(r->sess.conn);
    struct exchange *ex = last_exchange(r);
    if (!f || !ex) {
        case_finding(r, V_ERROR, "line %d: certificate needs a TLS session", st->line);
        return -1;
    }
    judge_certificate(&r->jc, ex, f, r->cfg->conn.tls);
    return 0;
}

static int step_write(struct case_run *r, const struct step *st)
{
    struct buf bytes = BUF_INIT;
    if (data_mode_blocks(r))
        return -1;
    if (expr_expand(&st->expr, &r->vars, &bytes) != 0) {
        buf_free(&bytes);
        case_finding(r, V_ERROR, "line %d: could not build the bytes", st->line);
        return -1;
    }
    if (check_unsolicited(r) != 0) {
        buf_free(&bytes);
        return -1;
    }
    struct buf tmp = BUF_INIT;
    const char *shown = masked(r, bytes.data, bytes.len, &tmp);
    transcript(r, "C:", shown, bytes.len);
    r->unsent_total += bytes.len;
    if (r->unsent.len < EXCHANGE_KEEP_SENT)
        buf_append(&r->unsent, shown, bytes.len < EXCHANGE_KEEP_SENT - r->unsent.len
                   ? bytes.len : EXCHANGE_KEEP_SENT - r->unsent.len);
    buf_free(&tmp);
    enum io_status io = conn_send(r->sess.conn, bytes.data ? bytes.data : "", bytes.len,
                                  reply_timeout_ms(r, CMD_DATA_BLOCK));
    buf_free(&bytes);
    r->lockstep = 0;
    r->pipelined = 1;
    if (io != IO_OK) {
        case_finding(r, V_ERROR, "could not send (line %d): %s", st->line,
                     io == IO_TIMEOUT ? "the server stopped reading"
                     : io == IO_CANCELLED ? "the run was stopped" : "connection reset");
        r->gone = 1;
        return -1;
    }
    return 0;
}

/* Did ex wait out its whole reply timeout, on a connection still open,
 * with the case's and the run's time left?  Then no reply came. */
static int timed_out(const struct case_run *r, const struct exchange *ex)
{
    return !ex->has_reply && ex->closed == CLOSE_NONE && ex->received_total == 0 &&
           !transport_cancelled() && !case_out_of_time(r) && !runner_out_of_time(r->cfg);
}

static int step_read(struct case_run *r, const struct step *st)
{
    if (data_mode_blocks(r) && strcmp(st->cmd, CMD_END_OF_DATA) != 0)
        return -1;
    struct exchange *ex = new_exchange(r, st->cmd);
    if (!ex)
        return -1;
    take_unsent(r, ex);
    if (read_reply(r, ex, clock_ms()) != 0) {
        if (st->rule && timed_out(r, ex))
            judge_no_reply(&r->jc, ex, st, reply_timeout_ms(r, st->cmd));
        return -1;
    }
    if (strcmp(st->cmd, CMD_END_OF_DATA) == 0)
        r->data_mode = 0;
    else if (ex->reply.code == 354)
        r->data_mode = 1;
    return 0;
}

static int step_expect(struct case_run *r, const struct step *st)
{
    struct exchange *ex = last_exchange(r);
    if (!ex || !ex->has_reply)
        return -1;
    judge_expect(&r->jc, ex, st);
    return 0;
}

/* A refused control makes the case inconclusive: the verdicts its own
 * steps gave so far are void, and the rest is not run.  A control that
 * comes last, after steps that found nothing, changes nothing: the probe
 * passed, and nothing remains to be blamed on another cause. */
static int control_refused(struct case_run *r, const struct exchange *ex,
                           const struct step *st)
{
    if (r->njudged == 0 && r->step + 1 == r->def->nsteps)
        return 0;
    for (size_t i = 0; i < r->njudged; i++)
        exchange_drop_rule(&r->res->ex[r->judged[i].ex], r->judged[i].rule);
    case_finding(r, V_SKIP, "inconclusive: the control %s was answered %d, not %s: %s%s",
                 ex->table_cmd, ex->reply.code, st->codes_text, st->why,
                 r->njudged ? " (the case's earlier verdicts are void)" : "");
    r->njudged = 0;
    return -1;
}

static int step_require(struct case_run *r, const struct step *st)
{
    struct exchange *ex = last_exchange(r);
    if (!ex || !ex->has_reply)
        return -1;
    if (codeset_has(&st->codes, ex->reply.code))
        return 0;
    if (st->kind == STEP_CONTROL)
        return control_refused(r, ex, st);
    case_finding(r, V_SKIP, "precondition not met: %s answered %d, not %s: %s",
                 ex->table_cmd, ex->reply.code, st->codes_text, st->why);
    return -1;
}

static int step_expect_close(struct case_run *r, const struct step *st)
{
    struct exchange *ex = last_exchange(r);
    struct buf extra = BUF_INIT;
    long timeout = reply_timeout_ms(r, "QUIT");
    enum io_status io = session_wait_close(&r->sess, timeout, &extra, EXCHANGE_KEEP_RECEIVED);
    if (extra.len)
        mask_secrets(r->cfg, extra.data, extra.len);
    transcript(r, "S:", extra.data, extra.len);
    exchange_received(ex, extra.data, extra.len);
    buf_free(&extra);
    r->gone = 1;
    if (io == IO_EOF || io == IO_RESET) {
        ex->closed = io == IO_EOF ? CLOSE_CLEAN : CLOSE_RESET;
        return 0;
    }
    if (io == IO_CANCELLED || case_out_of_time(r) || runner_out_of_time(r->cfg)) {
        inconclusive(ex, "%s before the server closed the connection",
                     io == IO_CANCELLED ? "the run was stopped"
                     : case_out_of_time(r) ? "the case's time was up (see --case-time)"
                     : "the run's time was up (see --max-time)");
        return -1;
    }
    judge_not_closed(&r->jc, ex, st, timeout);
    return -1;
}

static int step_check(struct case_run *r, const struct step *st)
{
    struct exchange *ex = last_exchange(r);
    if (!ex || !ex->has_reply)
        return -1;
    judge_content(&r->jc, ex, st->check);
    return 0;
}

static int step_expect_keyword(struct case_run *r, const struct step *st)
{
    struct exchange *ex = last_exchange(r);
    if (!ex)
        return -1;
    judge_keyword(&r->jc, ex, st, word_listed(r->info->keywords, st->keyword));
    return 0;
}

static int step_expect_within(struct case_run *r, const struct step *st)
{
    struct exchange *ex = last_exchange(r);
    if (!ex || !ex->has_reply)
        return -1;
    judge_within(&r->jc, ex, st);
    return 0;
}

/* Remembers the findings a judging step made on exchange exi, so that a
 * refused control can void them: the step's rule, or (for a content
 * check, rule NULL) every rule-citing finding from index first on. */
static void remember(struct case_run *r, size_t exi, const struct rule *rule, size_t first)
{
    const struct exchange *ex = &r->res->ex[exi];
    for (size_t i = rule ? 0 : first; i < ex->nfindings && r->njudged < 32; i++) {
        const struct rule *f = ex->findings[i].rule;
        if (f && (!rule || f == rule))
            r->judged[r->njudged++] = (struct judged){ exi, f };
    }
}

/* Waits a moment for anything more after the last reply: a further reply
 * is judged by the step's rule (and consumed), a close ends the case. */
static int step_expect_no_more(struct case_run *r, const struct step *st)
{
    struct exchange *ex = last_exchange(r);
    if (!ex || !ex->has_reply)
        return -1;
    long wait = reply_timeout_ms(r, "");
    size_t n = session_drain(&r->sess, wait < SETTLE_LIKELY_MS ? wait : SETTLE_LIKELY_MS);
    if (n) {
        struct buf *p = &r->sess.pending;
        mask_secrets(r->cfg, p->data, p->len);
        transcript(r, "S:", p->data, p->len);
        exchange_received(ex, p->data, p->len);
        judge_no_more(&r->jc, ex, st, n, r->unsent_total);
        session_discard(&r->sess);
    }
    if (r->sess.closed == IO_OK)
        return 0;
    ex->closed = r->sess.closed == IO_EOF ? CLOSE_CLEAN : CLOSE_RESET;
    if (!n)     /* a close after a further reply is the server's answer to it */
        judge_close(&r->jc, ex, 1);
    r->gone = 1;
    return -1;
}

/* After message data that must not end the data: silence is the server
 * still reading.  A reply (read as END-OF-DATA's) or a close ends the
 * case: the server ended, or refused, the data there. */
static int step_expect_silence(struct case_run *r, const struct step *st)
{
    /* No longer than a reply may take (--timeout): a reply later than
     * that would count as none anyway. */
    long wait = st->within_ms, limit = reply_timeout_ms(r, CMD_END_OF_DATA);
    if (wait > limit)
        wait = limit;
    if (wait > case_left_ms(r))
        wait = case_left_ms(r);
    long long started = clock_ms();
    size_t n = session_drain(&r->sess, wait);
    if (n == 0 && r->sess.closed == IO_OK)
        return 0;
    struct exchange *ex = new_exchange(r, CMD_END_OF_DATA);
    if (!ex)
        return -1;
    take_unsent(r, ex);
    r->data_mode = 0;
    if (n == 0) {
        ex->closed = r->sess.closed == IO_EOF ? CLOSE_CLEAN : CLOSE_RESET;
        judge_silence_broken(&r->jc, ex, st, wait);
    } else if (read_reply(r, ex, started) == 0) {
        judge_silence_broken(&r->jc, ex, st, wait);
    }
    r->gone = 1;    /* whatever state the server is in now, nothing more is sent */
    return -1;
}

static int step_expect_same_code(struct case_run *r, const struct step *st)
{
    size_t n = r->res->nex;
    if (n < 2 || !r->res->ex[n - 1].has_reply || !r->res->ex[n - 2].has_reply)
        return -1;
    judge_same_code(&r->jc, &r->res->ex[n - 1], &r->res->ex[n - 2], st);
    return 0;
}

static int judging_step(enum step_kind k)
{
    return k == STEP_EXPECT || k == STEP_EXPECT_CLOSE || k == STEP_CHECK ||
           k == STEP_EXPECT_KEYWORD || k == STEP_EXPECT_WITHIN || k == STEP_EXPECT_NO_MORE ||
           k == STEP_STARTTLS || k == STEP_CERTIFICATE || k == STEP_EXPECT_SAME_CODE;
}

static int dispatch_step(struct case_run *r, const struct step *st);

static int run_step(struct case_run *r, const struct step *st)
{
    if (!(judging_step(st->kind) || st->rule) || r->res->nex == 0)
        return dispatch_step(r, st);
    size_t exi = r->res->nex - 1, before = r->res->ex[exi].nfindings;
    int rc = dispatch_step(r, st);
    remember(r, exi, st->kind == STEP_CHECK ? NULL : st->rule, before);
    return rc;
}

static int dispatch_step(struct case_run *r, const struct step *st)
{
    switch (st->kind) {
    case STEP_SEND: return step_send(r, st);
    case STEP_WRITE: return step_write(r, st);
    case STEP_READ: return step_read(r, st);
    case STEP_EXPECT: return step_expect(r, st);
    case STEP_REQUIRE:
    case STEP_CONTROL: return step_require(r, st);
    case STEP_EXPECT_CLOSE: return step_expect_close(r, st);
    case STEP_CHECK: return step_check(r, st);
    case STEP_EXPECT_KEYWORD: return step_expect_keyword(r, st);
    case STEP_EXPECT_WITHIN: return step_expect_within(r, st);
    case STEP_EXPECT_NO_MORE: return step_expect_no_more(r, st);
    case STEP_STARTTLS: return step_starttls(r, st);
    case STEP_CERTIFICATE: return step_certificate(r, st);
    case STEP_EXPECT_SILENCE: return step_expect_silence(r, st);
    case STEP_EXPECT_SAME_CODE: return step_expect_same_code(r, st);
    case STEP_END_UNLESS: {
        const struct exchange *ex = last_exchange(r);
        return ex && ex->has_reply && codeset_has(&st->codes, ex->reply.code) ? 0 : -1;
    }
    case STEP_PAUSE:
        return transport_sleep(st->within_ms < case_left_ms(r) ? st->within_ms
                               : case_left_ms(r)) == 0 ? 0 : -1;
    }
    return -1;
}

/* ---- a whole case ---------------------------------------------------------- */

/* Reasons to skip a case before connecting; NULL when it can run. */
static const char *precheck(const struct case_run *r, char *buf, size_t len)
{
    const struct casedef *d = r->def;
    if (d->profile >= 0 && d->profile != (int)r->cfg->profile) {
        snprintf(buf, len, "the case applies to profile %s (see --profile)",
                 profile_name((enum profile)d->profile));
        return buf;
    }
    if (d->profile < 0 && r->cfg->profile != PROFILE_RFC5321)
        return "the case is written for RFC 5321; under --profile rfc821 only the "
               "cases of that profile run";
    if (d->needs_tls && !r->cfg->conn.tls && !r->cfg->starttls)
        return "the case runs over TLS: give an smtps:// target or --starttls";
    if (r->cfg->starttls && d->plaintext)
        return "the case is about the plaintext session; it does not run under --starttls";
    if (r->cfg->conn.tls && d->plaintext)
        return "the case is about the plaintext session; it does not run over implicit TLS "
               "(smtps://)";
    if (r->cfg->starttls && !word_listed(r->info->keywords, "STARTTLS"))
        return "--starttls: the server does not advertise STARTTLS in its EHLO reply";
    if (r->cfg->starttls && !r->info->tls_keywords) {
        snprintf(buf, len, "--starttls: the discovery connection could not start TLS (%s)",
                 r->info->tls_error ? r->info->tls_error : "no EHLO reply over TLS");
        return buf;
    }
    if (d->needs_auth && !r->cfg->secrets[0])
        return "the case runs only with --auth-user and --auth-pass";
    if (d->needs_auth && !r->cfg->conn.tls && !r->cfg->starttls)
        return "credentials are sent only over TLS: give an smtps:// target or --starttls";
    const struct tls_facts *tf = r->info->tls;
    if (d->needs_auth && tf && tf->verify_done && !tf->verified) {
        snprintf(buf, len, "the server's certificate did not verify (%s), so credentials are "
                 "not sent (see --cacert, --insecure)", tf->verify_reason);
        return buf;
    }
    if (case_uses_var(d, VAR_SIZE_OVER) && !r->vars.value[VAR_SIZE_OVER])
        return "the server's EHLO reply gives SIZE no fixed limit (above 0)";
    if (case_uses_var(d, VAR_SIZE_HUGE) && !r->vars.value[VAR_SIZE_HUGE])
        return "the server's EHLO reply does not say \"SIZE 0\" (no fixed limit)";
    if (d->needs_rcpt && !r->cfg->vars.value[VAR_RCPT])
        return "the case runs only with --rcpt ADDR (a mailbox you own)";
    if (d->needs_rcpt == 2 && strcmp(r->cfg->vars.value[VAR_RCPT],
                                     r->cfg->vars.value[VAR_RCPT2]) == 0)
        return "the case needs two different recipients: give --rcpt twice";
    const char *kw = r->cfg->starttls ? r->info->tls_keywords : r->info->keywords;
    for (size_t i = 0; i < d->nneeds_ext; i++) {
        if (!word_listed(kw, d->needs_ext[i])) {
            snprintf(buf, len, "the server does not advertise %s in its EHLO reply%s",
                     d->needs_ext[i], r->cfg->starttls ? " over TLS" : "");
            return buf;
        }
    }
    for (size_t i = 0; i < d->nneeds_no_ext; i++) {
        if (word_listed(kw, d->needs_no_ext[i])) {
            snprintf(buf, len, "the case is for a server that does not advertise %s, and "
                     "this one does", d->needs_no_ext[i]);
            return buf;
        }
    }
    return NULL;
}

/* Without a complete greeting on the discovery connection (or with only
 * 421s), no case connects: each is an error that says why.  Returns -1
 * then. */
static int discovery_gate(struct case_run *r)
{
    if (!r->info->connected) {
        case_finding(r, V_ERROR, "not run: the discovery connection failed (%s)",
                     r->info->connect_error ? r->info->connect_error : "could not connect");
        return -1;
    }
    if (!r->info->greeted) {
        case_finding(r, V_ERROR, "not run: the discovery connection got no complete "
                     "greeting, so smtpspec made no more connections");
        return -1;
    }
    if (r->info->greeting_code == 421) {
        case_finding(r, V_ERROR, "not run: the server greeted the discovery connection with "
                     "421 (service not available) %d time%s; smtpspec backed off and gave "
                     "up (see --retries)", r->info->attempts, r->info->attempts == 1 ? "" : "s");
        return -1;
    }
    return 0;
}

/* --starttls: what every case does before its own steps.  The rule is
 * the one a failed handshake breaks (rules/tls.rules). */
static const char prelude_text[] =
    "suite starttls-prelude\n"
    "title --starttls\n"
    "case upgrade\n"
    "title EHLO, STARTTLS and the TLS handshake before the case's steps\n"
    "send EHLO ${helo}\n"
    "require 250 \"EHLO was not accepted (--starttls)\"\n"
    "send STARTTLS\n"
    "require 220 \"STARTTLS was not accepted (--starttls)\"\n"
    "starttls 3207-3-starttls-keyword\n";

static int run_prelude(struct case_run *r)
{
    struct suite *s = NULL;
    char err[256];
    if (suite_parse("(--starttls)", prelude_text, sizeof prelude_text - 1, &s, err,
                    sizeof err) != 0 ||
        suite_resolve_rules(s, r->cfg->catalog, err, sizeof err) != 0) {
        suite_free(s);
        case_finding(r, V_ERROR, "--starttls: %s", err);
        return -1;
    }
    const struct casedef *c = &s->cases[0];
    int rc = 0;
    for (size_t i = 0; i < c->nsteps && rc == 0; i++)
        rc = run_step(r, &c->steps[i]);
    suite_free(s);
    r->njudged = 0;     /* a control of the case voids only the case's own verdicts */
    return rc;
}

static int open_case(struct case_run *r)
{
    char err[512];
    long long started = clock_ms();
    struct conn_opts opts = r->cfg->conn;
    long left = reply_timeout_ms(r, CMD_GREETING);
    if (left < opts.connect_timeout_ms)
        opts.connect_timeout_ms = left;
    r->res->attempts = r->attempt;
    if (conn_open(&opts, &r->sess.conn, err, sizeof err) != 0) {
        case_finding(r, V_ERROR, "%s", err);
        return -1;
    }
    r->connected = 1;
    if (r->def->greeting == GREETING_EARLY) {
        r->greeted = 1;     /* the case reads the greeting itself (read GREETING) */
        return 0;
    }
    struct exchange *ex = new_exchange(r, CMD_GREETING);
    int got = ex ? read_reply(r, ex, started) : -1;
    r->greeted = ex && ex->has_reply;   /* a 421 greeting is an answer too */
    if (r->greeted && ex->reply.code == 421) {
        case_finding(r, V_ERROR, "not run: the server greeted %d connection%s with 421 "
                     "(service not available, e.g. too many connections); smtpspec backed "
                     "off and gave up (see --retries)", r->attempt, r->attempt == 1 ? "" : "s");
        return -1;
    }
    if (got != 0)
        return -1;
    int code = ex->reply.code;
    r->refused = code == 554 || code == 521;
    r->jc.refused = r->refused ? code : 0;
    enum greeting_mode mode = r->def->greeting;
    if (mode == GREETING_ACCEPT && r->refused) {
        case_finding(r, V_SKIP, "the server refuses service here (%d greeting, RFC 5321 "
                     "§3.1%s); the case needs an SMTP session", code,
                     code == 521 ? ", RFC 7504" : "");
        return -1;
    }
    if (mode == GREETING_REFUSE && !r->refused) {
        case_finding(r, V_SKIP, "the case runs only against a server that greets "
                     "with 554 (RFC 5321 §3.1); this one answered %d", code);
        return -1;
    }
    if (r->cfg->conn.tls)
        tls_started(r, 1);
    return r->cfg->starttls && !r->refused ? run_prelude(r) : 0;
}

/* Why the case must stop before its next step, or NULL. */
static const char *must_stop(const struct case_run *r)
{
    if (transport_cancelled())
        return "the run was stopped";
    if (runner_out_of_time(r->cfg))
        return "the run's time was up (see --max-time)";
    if (case_out_of_time(r))
        return "the case's time was up (see --case-time)";
    return NULL;
}

static void run_steps(struct case_run *r)
{
    for (r->step = 0; r->step < r->def->nsteps; r->step++) {
        const struct step *st = &r->def->steps[r->step];
        const char *why = must_stop(r);
        if (why) {
            case_finding(r, V_ERROR, "%s before the step at line %d; the rest of the case "
                         "did not run", why, st->line);
            return;
        }
        if (run_step(r, st) != 0)
            return;
    }
}

/* Ends the case: QUIT unless the case said it, the connection is gone or
 * the server waits for message data or a TLS handshake.  A server that closed after the
 * case's last reply, before this QUIT, is judged for it.  The wait is at
 * most min(TEARDOWN_TIMEOUT_MS, the reply timeout, the case's time left). */
static void teardown(struct case_run *r)
{
    long timeout = reply_timeout_ms(r, "QUIT");
    if (timeout > TEARDOWN_TIMEOUT_MS)
        timeout = TEARDOWN_TIMEOUT_MS;
    int usable = r->connected && !r->gone && !r->data_mode && !r->awaiting_tls;
    if (usable)
        check_unsolicited(r);   /* an extra reply to, or a close after, the last command */
    if (usable && !r->gone && !r->quit_done) {
        static const char quit[] = "QUIT\r\n";
        struct exchange *last = last_exchange(r);
        enum io_status io = conn_send(r->sess.conn, quit, sizeof quit - 1, timeout);
        struct rx rx = { .status = io == IO_OK ? RX_REPLY : RX_RESET };
        transcript(r, "C:", quit, sizeof quit - 1);
        if (io == IO_OK && session_read_reply(&r->sess, timeout, &rx) == 0) {
            transcript(r, "S:", rx.bytes.data, rx.bytes.len);
            buf_free(&rx.bytes);
        }
        if ((rx.status == RX_EOF || rx.status == RX_RESET) && io != IO_CANCELLED &&
            last && last->has_reply && last->reply.code != 421 && r->lockstep) {
            last->closed = rx.status == RX_EOF ? CLOSE_CLEAN : CLOSE_RESET;
            judge_close(&r->jc, last, 1);
        }
    }
    conn_close(r->sess.conn);
    r->sess.conn = NULL;
    buf_free(&r->sess.pending);
    buf_free(&r->unsent);
}

/* The case verdict: the worst finding; its reason names the exchange. */
static void conclude(struct case_run *r)
{
    struct case_result *res = r->res;
    enum verdict worst = r->case_verdict;
    const char *reason = r->case_reason;
    const struct exchange *at = NULL;
    for (size_t i = 0; i < res->nex; i++) {
        if (res->ex[i].verdict > worst) {
            worst = res->ex[i].verdict;
            at = &res->ex[i];
        }
    }
    res->verdict = worst;
    if (worst == V_PASS)
        return;
    if (at) {
        res->rule = at->rule;
        res->reason = xasprintf("%s: %s", strcmp(at->table_cmd, CMD_GREETING) == 0
                                ? "greeting" : at->table_cmd, at->reason.data);
    } else {
        res->reason = strdup(reason ? reason : verdict_name(worst));
    }
}

/* How a case's connection went: for the circuit breaker and the backoff. */
enum contact { CONTACT_NONE, CONTACT_OK, CONTACT_FAILED, CONTACT_421 };

/* One attempt at a case, within the case's time (deadline). */
static enum contact run_case(const struct run_config *cfg, const struct server_info *info,
                             const struct casedef *def, struct case_result *res,
                             long long deadline, int attempt)
{
    enum contact contact = CONTACT_NONE;
    struct case_run r = { .cfg = cfg, .info = info, .def = def, .res = res,
                          .deadline = deadline, .attempt = attempt };
    char buf[512];
    r.vars = cfg->vars;
    r.vars.value[VAR_SIZE_OVER] = info->size_over[0] ? info->size_over : NULL;
    r.vars.value[VAR_SIZE_HUGE] = info->size_huge[0] ? info->size_huge : NULL;
    r.jc = (struct judge_ctx){ .cat = cfg->catalog, .profile = cfg->profile,
                               .keywords = info->keywords,
                               .close_permitted = def->close_permitted,
                               .codes_not_judged = def->codes_not_judged, .so_far = res };
    long long started = clock_ms();
    memset(res, 0, sizeof *res);
    res->def = def;
    r.sess.limits = cfg->limits;
    int gated = discovery_gate(&r) != 0;
    const char *skip = gated ? NULL : precheck(&r, buf, sizeof buf);
    if (skip) {
        case_finding(&r, V_SKIP, "%s", skip);
    } else if (!gated) {
        if (open_case(&r) == 0)
            run_steps(&r);
        contact = !r.greeted ? CONTACT_FAILED
                : res->nex && res->ex[0].has_reply && res->ex[0].reply.code == 421
                ? CONTACT_421 : CONTACT_OK;
    }
    teardown(&r);
    conclude(&r);
    for (size_t i = 0; i < res->nex; i++)
        exchange_shrink(&res->ex[i]);
    free(r.case_reason);
    res->duration_ms = (long)(clock_ms() - started);
    return contact;
}

/* A case the circuit breaker (tripped), --max-time or a stop kept from
 * running: an error, with no connection. */
static void not_run(const struct run_config *cfg, const struct casedef *def,
                    struct case_result *res, int tripped)
{
    memset(res, 0, sizeof *res);
    res->def = def;
    res->verdict = V_ERROR;
    if (tripped)
        res->reason = xasprintf("not run: %d connections in a row failed or got no "
                                "greeting (see --max-connect-failures)",
                                cfg->max_connect_failures);
    else if (transport_cancelled())
        res->reason = xasprintf("not run: the run was stopped");
    else
        res->reason = xasprintf("not run: the run's time (--max-time) was up");
}

/* Can a case that was greeted with 421 try again after delay_ms? */
static int may_retry(const struct run_config *cfg, int attempt, long delay_ms,
                     long long deadline)
{
    return attempt <= cfg->retries && !transport_cancelled() && !runner_out_of_time(cfg) &&
           clock_ms() + delay_ms < deadline;
}

/* ---- discovery ---------------------------------------------------------- */

static char *ehlo_keywords(const struct reply *rp)
{
    struct buf kw = BUF_INIT;
    buf_append(&kw, "", 0);
    for (size_t i = 1; i < rp->nlines; i++) {
        size_t len;
        const char *t = reply_line_text(rp, i, &len);
        size_t n = 0;
        while (n < len && t[n] != ' ' && t[n] != '\t' && t[n] != '=')
            n++;
        if (n == 0)
            continue;
        if (kw.len)
            buf_append(&kw, " ", 1);
        for (size_t j = 0; j < n; j++) {
            char c = (char)toupper((unsigned char)t[j]);
            buf_append(&kw, &c, 1);
        }
    }
    return buf_steal(&kw);
}

static void save_reply(struct buf *to, const struct exchange *ex)
{
    buf_free(to);
    buf_append(to, ex->received.data, ex->received.len);
}

static struct tls_facts *copy_facts(const struct conn *c)
{
    const struct tls_facts *f = conn_tls_facts(c);
    struct tls_facts *copy = f ? malloc(sizeof *copy) : NULL;
    if (copy)
        *copy = *f;
    return copy;
}

/* Sends line and reads its reply into a new exchange; 0 on a reply. */
static int ask(struct case_run *r, const char *cmd, const char *line)
{
    struct exchange *ex = new_exchange(r, cmd);
    long long t = clock_ms();
    return ex && send_bytes(r, ex, line, strlen(line)) == 0 && read_reply(r, ex, t) == 0
           ? 0 : -1;
}

/* The server advertised STARTTLS: the discovery connection upgrades, to
 * learn the TLS facts and the keywords offered over TLS. */
static void discover_tls(struct case_run *r, struct server_info *info)
{
    char err[512], line[300];
    snprintf(line, sizeof line, "EHLO %s\r\n", r->cfg->vars.value[VAR_HELO]);
    if (ask(r, "STARTTLS", "STARTTLS\r\n") != 0 || last_exchange(r)->reply.code != 220) {
        const struct exchange *ex = last_exchange(r);
        if (ex && ex->has_reply)
            snprintf(err, sizeof err, "STARTTLS was answered %d, not 220", ex->reply.code);
        else
            snprintf(err, sizeof err, "STARTTLS got no reply");
        info->tls_error = strdup(err);
        r->gone = 1;
        return;
    }
    session_discard(&r->sess);  /* plaintext after the 220 never goes to TLS */
    if (conn_start_tls(r->sess.conn, &r->cfg->conn, reply_timeout_ms(r, "STARTTLS"), err,
                       sizeof err) != 0) {
        info->tls_error = strdup(err);
        r->gone = 1;
        return;
    }
    info->tls = copy_facts(r->sess.conn);
    transcript_tls(r, info->tls);
    if (ask(r, "EHLO", line) == 0) {
        save_reply(&info->tls_ehlo, last_exchange(r));
        if (last_exchange(r)->reply.code == 250)
            info->tls_keywords = ehlo_keywords(&last_exchange(r)->reply);
    }
}

/* One discovery connection: the greeting, and EHLO when it offers a
 * session.  Returns the greeting code, or -1 without a complete one. */
static int discover_once(struct case_run *r, struct server_info *info)
{
    char err[512];
    struct conn_opts opts = r->cfg->conn;
    long left = reply_timeout_ms(r, CMD_GREETING);
    if (left < opts.connect_timeout_ms)
        opts.connect_timeout_ms = left;
    if (conn_open(&opts, &r->sess.conn, err, sizeof err) != 0) {
        free(info->connect_error);
        info->connect_error = strdup(err);
        return -1;
    }
    info->connected = 1;
    r->connected = 1;
    snprintf(info->peer, sizeof info->peer, "%s", conn_peer(r->sess.conn));
    if (r->cfg->conn.tls) {
        info->tls_implicit = 1;
        info->tls = copy_facts(r->sess.conn);
    }
    struct exchange *ex = new_exchange(r, CMD_GREETING);
    if (!ex)
        return -1;
    read_reply(r, ex, clock_ms());
    save_reply(&info->greeting, ex);
    int code = ex->has_reply ? ex->reply.code : -1;
    info->greeted = ex->has_reply;   /* a complete greeting, even a bad one */
    info->greeting_code = code;
    /* Only a server that offers a session is asked for its extensions. */
    if (code == 220) {
        struct buf line = BUF_INIT;
        buf_printf(&line, "EHLO %s\r\n", r->cfg->vars.value[VAR_HELO]);
        ex = new_exchange(r, "EHLO");
        long long t = clock_ms();
        if (ex && send_bytes(r, ex, line.data, line.len) == 0 && read_reply(r, ex, t) == 0) {
            save_reply(&info->ehlo, ex);
            info->ehlo_code = ex->reply.code;
            if (ex->reply.code == 250)
                info->keywords = ehlo_keywords(&ex->reply);
        }
        buf_free(&line);
        if (!r->cfg->conn.tls && word_listed(info->keywords, "STARTTLS"))
            discover_tls(r, info);
    }
    return code;
}

/* The SIZE limit of an EHLO reply: sets the VAR_SIZE_* values. */
static void size_vars(const struct buf *ehlo, struct server_info *info)
{
    struct reply rp;
    if (ehlo->len == 0 || reply_parse(ehlo->data, ehlo->len, &rp) != 0)
        return;
    for (size_t i = 1; i < rp.nlines; i++) {
        size_t len, d = 0;
        const char *t = reply_line_text(&rp, i, &len);
        if (len < 6 || strncasecmp(t, "SIZE ", 5) != 0)
            continue;
        unsigned long long limit = 0;
        for (d = 5; d < len && d < 5 + 18 && isdigit((unsigned char)t[d]); d++)
            limit = limit * 10 + (unsigned)(t[d] - '0');
        if (d == 5 || d != len)
            break;      /* no number, or more than a number: no limit known */
        if (limit > 0)
            snprintf(info->size_over, sizeof info->size_over, "%llu", limit + 1);
        else
            snprintf(info->size_huge, sizeof info->size_huge, "4294967296");
        break;
    }
    reply_free(&rp);
}

void runner_discover(const struct run_config *cfg, struct server_info *info,
                     struct run_stats *stats)
{
    static const struct casedef probe = { .id = "discovery", .title = "discovery" };
    long long deadline = clock_ms() + cfg->case_time_ms;
    long delay = cfg->retry_delay_ms;
    memset(info, 0, sizeof *info);
    info->greeting_code = info->ehlo_code = -1;
    for (int attempt = 1;; attempt++, delay *= 2) {
        struct case_result res;
        struct case_run r = { .cfg = cfg, .info = info, .def = &probe, .res = &res,
                              .deadline = deadline, .attempt = attempt };
        r.jc = (struct judge_ctx){ .cat = cfg->catalog, .profile = cfg->profile };
        r.sess.limits = cfg->limits;
        memset(&res, 0, sizeof res);
        info->attempts = attempt;
        r.vars = cfg->vars;
        int code = discover_once(&r, info);
        teardown(&r);
        size_vars(cfg->starttls ? &info->tls_ehlo : &info->ehlo, info);
        case_result_free(&res);
        free(r.case_reason);
        if (code != 421)
            return;
        stats->greetings_421++;
        if (!may_retry(cfg, attempt, delay, deadline))
            return;
        stats->retries++;
        transport_sleep(delay);
    }
}

/* ---- parallel execution ------------------------------------------------- */

struct pool {
    const struct run_config *cfg;
    const struct server_info *info;
    const struct casedef *const *cases;
    struct case_result *results;
    size_t n;
    size_t next;
    int failures;           /* consecutive failed connections */
    int tripped;            /* the circuit breaker stopped the run */
    int active;             /* cases connected, connecting or about to retry */
    int cap;                /* at most this many at once; lowered by 421 */
    struct run_stats *stats;
    pthread_mutex_t lock;
    pthread_cond_t freed;   /* a slot under cap became free */
};

/* Waits until fewer than cap cases run (or the run is stopping). */
static void pool_enter(struct pool *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->active >= p->cap && !transport_cancelled() && !runner_out_of_time(p->cfg)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000L;   /* wake now and then to see a stop */
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->freed, &p->lock, &ts);
    }
    p->active++;
    pthread_mutex_unlock(&p->lock);
}

/* Accounts for an attempt that ended: the circuit breaker counts failed
 * connections, and a 421 greeting halves the cap, and lowers it to the
 * connections the server did accept alongside this one if that is less.
 * The slot is kept (keep) by a case that will try again: while it waits,
 * no other case connects in its place. */
static void pool_account(struct pool *p, enum contact c, int keep)
{
    pthread_mutex_lock(&p->lock);
    if (c == CONTACT_OK) {
        p->failures = 0;
    } else if (c == CONTACT_FAILED && ++p->failures >= p->cfg->max_connect_failures &&
               p->cfg->max_connect_failures > 0) {
        p->tripped = 1;
    } else if (c == CONTACT_421) {
        int accepted = p->active - 1, half = p->cap / 2;
        int cap = accepted < half ? accepted : half;
        p->cap = cap > 1 ? cap : 1;
        p->stats->greetings_421++;
        p->stats->retries += keep;
    }
    if (!keep) {
        p->active--;
        pthread_cond_broadcast(&p->freed);
    }
    pthread_mutex_unlock(&p->lock);
}

/* Runs case i, again after a growing delay while the server greets it
 * with 421, all within the case's time. */
static void run_with_backoff(struct pool *p, size_t i)
{
    const struct run_config *cfg = p->cfg;
    long long deadline = 0;
    long delay = cfg->retry_delay_ms;
    pool_enter(p);
    deadline = clock_ms() + cfg->case_time_ms;  /* from when the case may connect */
    for (int attempt = 1;; attempt++, delay *= 2) {
        enum contact c = run_case(cfg, p->info, p->cases[i], &p->results[i], deadline,
                                  attempt);
        int again = c == CONTACT_421 && may_retry(cfg, attempt, delay, deadline);
        pool_account(p, c, again);
        if (!again)
            return;
        case_result_free(&p->results[i]);
        transport_sleep(delay);
    }
}

static void *worker(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        size_t i = p->next < p->n ? p->next++ : p->n;
        int tripped = p->tripped;
        pthread_mutex_unlock(&p->lock);
        if (i >= p->n)
            return NULL;
        if (p->cfg->case_start)
            p->cfg->case_start(p->cfg->done_ctx, i);
        if (tripped || runner_out_of_time(p->cfg) || transport_cancelled())
            not_run(p->cfg, p->cases[i], &p->results[i], tripped);
        else
            run_with_backoff(p, i);
        if (p->cfg->case_done)
            p->cfg->case_done(p->cfg->done_ctx, i);
    }
}

int runner_run(const struct run_config *cfg, const struct server_info *info,
               const struct casedef *const *cases, size_t n,
               struct case_result *results, struct run_stats *stats)
{
    struct pool p = { .cfg = cfg, .info = info, .cases = cases, .results = results, .n = n,
                      .stats = stats };
    size_t jobs = cfg->jobs > 1 ? (size_t)cfg->jobs : 1;
    if (jobs > n)
        jobs = n ? n : 1;
    p.cap = (int)jobs;
    pthread_t *tids = calloc(jobs, sizeof *tids);
    size_t started = 0;
    int rc = 0;
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.freed, NULL);
    for (size_t i = 0; tids && jobs > 1 && i < jobs; i++) {
        if (pthread_create(&tids[i], NULL, worker, &p) != 0) {
            rc = -1;
            break;
        }
        started++;
    }
    if (started == 0)
        worker(&p);
    for (size_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    free(tids);
    stats->jobs = p.cap;
    pthread_cond_destroy(&p.freed);
    pthread_mutex_destroy(&p.lock);
    return rc;
}
