/* session.h - an SMTP connection seen as replies: reads exactly one
 * reply at a time, bounded in bytes, lines and time, and keeps bytes that
 * arrive past a reply for the next read. */
#ifndef SMTPSPEC_SESSION_H
#define SMTPSPEC_SESSION_H

#include <stddef.h>

#include "buf.h"
#include "reply.h"
#include "transport.h"

struct session_limits {
    size_t line_max;        /* one reply line, bytes */
    size_t reply_max;       /* one whole reply, bytes */
    size_t lines_max;       /* one whole reply, lines */
};

struct session {
    struct conn *conn;
    struct session_limits limits;
    struct buf pending;     /* received, not yet handed out */
    struct reply_framer framer; /* how far pending has been framed */
    enum io_status closed;  /* IO_EOF or IO_RESET once session_drain saw a close */
};

enum rx_status {
    RX_REPLY = 0,   /* a complete reply */
    RX_TIMEOUT,     /* no complete reply in time (bytes may be partial) */
    RX_EOF,         /* clean close before a complete reply */
    RX_RESET,       /* reset before a complete reply */
    RX_CAPPED,      /* a limit was exceeded; reading stopped */
    RX_CANCELLED    /* the run is being stopped (transport_cancel) */
};

struct rx {
    enum rx_status status;
    struct buf bytes;       /* the reply, or what arrived of it */
    long elapsed_ms;
    const char *capped;     /* which limit, for RX_CAPPED */
};

/* Reads one reply within timeout_ms.  out->bytes is the caller's to free
 * (buf_free).  Returns -1 only when memory runs out. */
int session_read_reply(struct session *s, long timeout_ms, struct rx *out);

/* Drops the pending bytes (after the caller has used them). */
void session_discard(struct session *s);

/* Collects bytes that are waiting, waiting up to wait_ms for the first
 * (0: not at all); returns how many are pending afterwards.  A close seen
 * meanwhile sets s->closed. */
size_t session_drain(struct session *s, long wait_ms);

/* Waits up to timeout_ms for the peer to close.  Bytes that arrive
 * meanwhile go to extra (at most keep bytes of them; the rest are read and
 * dropped).  Returns IO_EOF,
 * IO_RESET or IO_TIMEOUT. */
enum io_status session_wait_close(struct session *s, long timeout_ms, struct buf *extra,
                                  size_t keep);

#endif
