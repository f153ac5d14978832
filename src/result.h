/* result.h - what running a case produced: exchanges with their findings,
 * and the case verdict.  Filled by runner.c, read by the report writers. */
#ifndef SMTPSPEC_RESULT_H
#define SMTPSPEC_RESULT_H

#include <stddef.h>

#include "buf.h"
#include "tls.h"
#include "codes.h"
#include "reply.h"
#include "rules.h"
#include "suite.h"
#include "verdict.h"

enum close_kind {
    CLOSE_NONE = 0,
    CLOSE_CLEAN,    /* FIN */
    CLOSE_RESET     /* RST or another receive error */
};

/* One judgement of an exchange.  Every fail, warn and info cites a rule
 * and takes its verdict from it; error and skip findings carry no rule. */
struct finding {
    enum verdict verdict;
    const struct rule *rule;    /* in the catalog; NULL for error and skip */
    char *message;              /* what was seen, without the RFC sentence */
};

/* How many bytes an exchange keeps of what it sent and received (all
 * are counted); and, once its case is written out, of each. */
#define EXCHANGE_KEEP_SENT 65536
#define EXCHANGE_KEEP_RECEIVED 8192
#define EXCHANGE_KEEP_RETIRED 512

/* One command (or the greeting) and what came back. */
struct exchange {
    char *table_cmd;        /* code-table command, e.g. "MAIL", "GREETING" */
    struct buf sent;        /* the first bytes sent for this exchange */
    struct buf received;    /* the first bytes received for it */
    size_t sent_total;      /* all bytes sent, kept or not */
    size_t received_total;  /* all bytes received, kept or not */
    int has_reply;          /* reply holds a parsed (maybe partial) reply */
    struct reply reply;
    int checked;            /* check holds a code-table check */
    struct code_check check;
    enum close_kind closed; /* how the connection ended here, if it did */
    long elapsed_ms;        /* from sending (or connecting) to the reply */
    struct finding *findings;
    size_t nfindings;
    enum verdict verdict;   /* worst of its findings */
    const struct rule *rule;/* the first finding with that verdict's rule */
    struct buf reason;      /* its findings' messages, "; "-joined */
};

struct case_result {
    const struct casedef *def;
    enum verdict verdict;
    char *reason;           /* why it is not a pass; NULL on pass */
    const struct rule *rule;/* the rule the verdict cites, or NULL */
    struct exchange *ex;
    size_t nex;
    long duration_ms;
    int attempts;           /* connections made (more than 1 after 421 greetings) */
    int retired;            /* written out; bytes cut (case_result_retire) */
    struct tls_facts *tls;  /* the case's TLS session (the last one), or NULL */
};

/* What the first (discovery) connection learnt about the server. */
struct server_info {
    int connected;
    int greeted;            /* a complete greeting came (421 included) */
    int attempts;           /* connections made (more after 421 greetings) */
    char *connect_error;    /* when not connected */
    char peer[96];
    struct buf greeting;    /* raw greeting bytes */
    int greeting_code;
    struct buf ehlo;        /* raw EHLO reply bytes */
    int ehlo_code;
    char *keywords;         /* space-separated upper-case EHLO keywords */
    /* TLS: implicit (smtps), or a STARTTLS the discovery connection made
     * because the server advertised it. */
    int tls_implicit;
    struct tls_facts *tls;  /* the handshake's facts, or NULL */
    char *tls_error;        /* why STARTTLS or its handshake failed, or NULL */
    struct buf tls_ehlo;    /* raw EHLO reply over TLS */
    char *tls_keywords;     /* its keywords, as keywords */
    /* Variables the EHLO reply sets (suite.h, VAR_SIZE_*): "" when unset. */
    char size_over[24];
    char size_huge[24];
};

/* Adds a finding to e (the message is copied) and updates e's verdict,
 * rule and reason.  Returns 0, or -1 when memory runs out. */
int exchange_add_finding(struct exchange *e, enum verdict v, const struct rule *rule,
                         const char *message);
/* Removes e's findings that cite rule, and updates its verdict, rule and
 * reason. */
void exchange_drop_rule(struct exchange *e, const struct rule *rule);
/* exchange_add_finding with a printf-style message. */
int exchange_addf(struct exchange *e, enum verdict v, const struct rule *rule,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Add bytes to what e sent or received: the first EXCHANGE_KEEP_SENT /
 * EXCHANGE_KEEP_RECEIVED are kept, all are counted. */
void exchange_sent(struct exchange *e, const char *p, size_t n);
void exchange_received(struct exchange *e, const char *p, size_t n);
/* Once nothing judges e's reply any more: keeps what the report shows of
 * it, EXCHANGE_KEEP_RECEIVED bytes. */
void exchange_shrink(struct exchange *e);
void exchange_free(struct exchange *e);
/* Once r has been written to the reports, keeps only what the summary and
 * the findings list need: EXCHANGE_KEEP_RETIRED bytes of each exchange's
 * sent and received bytes, and each reply's code and defects, not its
 * lines. */
void case_result_retire(struct case_result *r);
void case_result_free(struct case_result *r);
void server_info_free(struct server_info *s);

#endif
