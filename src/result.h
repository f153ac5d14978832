/* result.h - what running a case produced: exchanges with their findings,
 * and the case verdict.  Filled by runner.c, read by the report writers. */
#ifndef SMTPSPEC_RESULT_H
#define SMTPSPEC_RESULT_H

#include <stddef.h>

#include "buf.h"
#include "codes.h"
#include "reply.h"
#include "suite.h"
#include "verdict.h"

enum close_kind {
    CLOSE_NONE = 0,
    CLOSE_CLEAN,    /* FIN */
    CLOSE_RESET     /* RST or another receive error */
};

/* One command (or the greeting) and what came back. */
struct exchange {
    char *table_cmd;        /* code-table command, e.g. "MAIL", "GREETING" */
    struct buf sent;        /* raw bytes sent for this exchange */
    struct buf received;    /* raw bytes received for it */
    int has_reply;          /* reply holds a parsed (maybe partial) reply */
    struct reply reply;
    int checked;            /* check holds a code-table check */
    struct code_check check;
    enum close_kind closed; /* how the connection ended here, if it did */
    long elapsed_ms;        /* from sending (or connecting) to the reply */
    enum verdict verdict;   /* worst of its findings */
    struct buf reason;      /* its findings' reasons, "; "-joined */
};

struct case_result {
    const struct casedef *def;
    enum verdict verdict;
    char *reason;           /* why it is not a pass; NULL on pass */
    struct exchange *ex;
    size_t nex;
    long duration_ms;
};

/* What the first (discovery) connection learnt about the server. */
struct server_info {
    int connected;
    char *connect_error;    /* when not connected */
    char peer[96];
    struct buf greeting;    /* raw greeting bytes */
    int greeting_code;
    struct buf ehlo;        /* raw EHLO reply bytes */
    int ehlo_code;
    char *keywords;         /* space-separated upper-case EHLO keywords */
};

void exchange_free(struct exchange *e);
void case_result_free(struct case_result *r);
void server_info_free(struct server_info *s);

#endif
