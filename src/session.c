/* session.c - reply-at-a-time reading over a transport connection. */
#include "session.h"

#include <string.h>

#include "clock.h"
#include "reply.h"

#define CHUNK 16384

/* Which limit, if any, the unframed bytes in pending exceed. */
static const char *over_limit(const struct session *s)
{
    const struct buf *p = &s->pending;
    size_t lines = 0, last_lf = 0;
    for (size_t i = 0; i < p->len; i++) {
        if (p->data[i] == '\n') {
            lines++;
            last_lf = i + 1;
        }
    }
    if (p->len - last_lf > s->limits.line_max)
        return "reply line length";
    if (p->len > s->limits.reply_max)
        return "reply size";
    if (lines > s->limits.lines_max)
        return "reply line count";
    return NULL;
}

static enum rx_status rx_from_io(enum io_status st)
{
    switch (st) {
    case IO_TIMEOUT: return RX_TIMEOUT;
    case IO_EOF: return RX_EOF;
    default: return RX_RESET;
    }
}

/* Moves the first n pending bytes into out. */
static int take(struct session *s, size_t n, struct rx *out)
{
    if (buf_append(&out->bytes, s->pending.data, n) != 0)
        return -1;
    buf_consume(&s->pending, n);
    return 0;
}

int session_read_reply(struct session *s, long timeout_ms, struct rx *out)
{
    char chunk[CHUNK];
    long long start = clock_ms(), deadline = start + timeout_ms;
    memset(out, 0, sizeof *out);
    for (;;) {
        size_t framed = reply_frame(s->pending.data, s->pending.len);
        if (framed > 0) {
            out->status = RX_REPLY;
            break;
        }
        if ((out->capped = over_limit(s)) != NULL) {
            out->status = RX_CAPPED;
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
    size_t n = out->status == RX_REPLY ? reply_frame(s->pending.data, s->pending.len)
                                       : s->pending.len;
    if (out->status == RX_CAPPED && n > s->limits.reply_max)
        n = s->limits.reply_max;
    if (take(s, n, out) != 0)
        return -1;
    if (out->status == RX_CAPPED)
        buf_free(&s->pending);  /* the connection is abandoned */
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

enum io_status session_wait_close(struct session *s, long timeout_ms, struct buf *extra)
{
    char chunk[CHUNK];
    long long deadline = clock_ms() + timeout_ms;
    if (s->pending.len) {
        buf_append(extra, s->pending.data, s->pending.len);
        buf_consume(&s->pending, s->pending.len);
    }
    for (;;) {
        size_t got = 0;
        long left = (long)(deadline - clock_ms());
        enum io_status st = left > 0 ? conn_recv(s->conn, chunk, sizeof chunk, &got, left)
                                     : IO_TIMEOUT;
        if (st != IO_OK)
            return st == IO_ERROR ? IO_RESET : st;
        if (extra->len < s->limits.reply_max)
            buf_append(extra, chunk, got);
    }
}
