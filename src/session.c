/* session.c - reply-at-a-time reading over a transport connection.
 *
 * Bytes are framed as they arrive (reply.h: reply_frame_more), so each
 * byte is scanned once however the reply is split into chunks, and the
 * limits are checked on what has been framed so far. */
#include "session.h"

#include <string.h>

#include "clock.h"

#define CHUNK 16384

/* Which limit, if any, the unframed bytes in pending exceed. */
static const char *over_limit(const struct session *s)
{
    if (s->pending.len - s->framer.line_start > s->limits.line_max)
        return "reply line length";
    if (s->pending.len > s->limits.reply_max)
        return "reply size";
    if (s->framer.lines > s->limits.lines_max)
        return "reply line count";
    return NULL;
}

static enum rx_status rx_from_io(enum io_status st)
{
    switch (st) {
    case IO_TIMEOUT: return RX_TIMEOUT;
    case IO_EOF: return RX_EOF;
    case IO_CANCELLED: return RX_CANCELLED;
    default: return RX_RESET;
    }
}

void session_discard(struct session *s)
{
    buf_consume(&s->pending, s->pending.len);
    memset(&s->framer, 0, sizeof s->framer);
}

/* Moves the first n pending bytes into out: the buffer itself when they
 * are all of it (no copy), and framing starts again on what is left. */
static int take(struct session *s, size_t n, struct rx *out)
{
    if (n >= s->pending.len) {
        out->bytes = s->pending;
        if (out->bytes.len > n)
            out->bytes.len = n;
        s->pending = (struct buf)BUF_INIT;
    } else {
        if (buf_append(&out->bytes, s->pending.data, n) != 0)
            return -1;
        buf_consume(&s->pending, n);
    }
    memset(&s->framer, 0, sizeof s->framer);
    return 0;
}

int session_read_reply(struct session *s, long timeout_ms, struct rx *out)
{
    char chunk[CHUNK];
    long long start = clock_ms(), deadline = start + timeout_ms;
    size_t n = 0;
    memset(out, 0, sizeof *out);
    for (;;) {
        n = reply_frame_more(&s->framer, s->pending.data, s->pending.len);
        if (n > 0) {
            out->status = RX_REPLY;
            break;
        }
        n = s->pending.len;
        if ((out->capped = over_limit(s)) != NULL) {
            out->status = RX_CAPPED;
            if (n > s->limits.reply_max)
                n = s->limits.reply_max;
            break;
        }
        size_t got = 0;
        long left = (long)(deadline - clock_ms());
        enum io_status st = left > 0 ? conn_recv(s->conn, chunk, sizeof chunk, &got, left)
                                     : IO_TIMEOUT;
        if (st != IO_OK) {
            out->status = rx_from_io(st);
            break;
        }
        if (buf_append(&s->pending, chunk, got) != 0)
            return -1;
    }
    out->elapsed_ms = (long)(clock_ms() - start);
    if (take(s, n, out) != 0)
        return -1;
    if (out->status == RX_CAPPED)
        session_discard(s);     /* the connection is abandoned */
    return 0;
}

size_t session_drain(struct session *s, long wait_ms)
{
    char chunk[CHUNK];
    size_t got;
    enum io_status st = IO_TIMEOUT;
    while (s->pending.len <= s->limits.reply_max &&
           (st = conn_recv(s->conn, chunk, sizeof chunk, &got, wait_ms)) == IO_OK) {
        if (buf_append(&s->pending, chunk, got) != 0)
            break;
        wait_ms = 0;    /* after the first bytes, take only what is there */
    }
    if (st == IO_EOF || st == IO_RESET || st == IO_ERROR)
        s->closed = st == IO_EOF ? IO_EOF : IO_RESET;
    return s->pending.len;
}

static void keep_some(struct buf *b, const char *p, size_t n, size_t keep)
{
    if (b->len < keep)
        buf_append(b, p, n < keep - b->len ? n : keep - b->len);
}

enum io_status session_wait_close(struct session *s, long timeout_ms, struct buf *extra,
                                  size_t keep)
{
    char chunk[CHUNK];
    long long deadline = clock_ms() + timeout_ms;
    keep_some(extra, s->pending.data, s->pending.len, keep);
    session_discard(s);
    for (;;) {
        size_t got = 0;
        long left = (long)(deadline - clock_ms());
        enum io_status st = left > 0 ? conn_recv(s->conn, chunk, sizeof chunk, &got, left)
                                     : IO_TIMEOUT;
        if (st != IO_OK)
            return st == IO_ERROR ? IO_RESET : st;
        keep_some(extra, chunk, got, keep);
    }
}
