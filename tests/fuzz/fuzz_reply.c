/* fuzz_reply.c - libFuzzer target: the bytes a server may send, through
 * the framer (whole and in pieces), the parser, every content check and
 * the wire-string escaping.  Aborts on a broken invariant. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/buf.h"
#include "../../src/ehlo.h"
#include "../../src/reply.h"
#include "../../src/status.h"

static void count_finding(void *ctx, const char *rule, const char *msg)
{
    size_t *n = ctx;
    *n += (rule ? strlen(rule) : 0) + strlen(msg);
}

static void check_reply(const char *p, size_t n)
{
    struct reply r;
    if (reply_parse(p, n, &r) != 0)
        return;
    for (size_t i = 0; i < r.nlines; i++) {
        size_t len;
        const char *t = reply_line_text(&r, i, &len);
        if (r.lines[i].off + r.lines[i].len > r.raw_len || t < r.raw ||
            (size_t)(t - r.raw) + len > r.raw_len)
            abort();
    }
    size_t total = 0;
    for (int c = 0; c < CHECK_COUNT; c++)
        content_check_run((enum content_check)c, &r, count_finding, &total);
    status_check(&r, count_finding, &total);
    reply_shrink(&r, n / 2);
    if (r.raw_len > n || r.total_lines < r.nlines)
        abort();
    reply_free(&r);
}

/* Frames as the session does: the framer over a buffer that grows by a
 * piece at a time must agree with reply_frame over the whole. */
static void check_framing(const char *p, size_t n, size_t piece)
{
    size_t off = 0;
    while (off < n) {
        size_t whole = reply_frame(p + off, n - off);
        struct reply_framer f = { 0, 0, 0 };
        size_t got = 0;
        for (size_t have = piece; got == 0; have += piece) {
            size_t len = have < n - off ? have : n - off;
            got = reply_frame_more(&f, p + off, len);
            if (f.scanned > len || f.line_start > f.scanned)
                abort();
            if (len == n - off)
                break;
        }
        if (got != whole || got > n - off)
            abort();
        if (got == 0) {
            check_reply(p + off, n - off);
            return;
        }
        check_reply(p + off, got);
        off += got;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    check_framing(p, size, size ? (size_t)data[0] % 7 + 1 : 1);
    char *esc = wire_escape(p, size);
    if (!esc || !utf8_valid(esc, strlen(esc)))
        abort();
    free(esc);
    return 0;
}
