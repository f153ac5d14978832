/* reply.c - SMTP reply framing and parsing (RFC 5321 §4.2, §2.3.8). */
#include "reply.h"

#include <stdlib.h>
#include <string.h>

/* Each defect and the catalog rule it breaks (rules/reply.rules). */
static const struct reply_defect_info defect_table[RD_COUNT] = {
    [RD_NOT_DIGITS] = { "reply line does not start with a three-digit code",
                        "5321-4.3.2-three-digit-codes" },
    [RD_FIRST_DIGIT] = { "reply code's first digit is outside 2..5",
                         "5321-4.3.2-three-digit-codes" },
    [RD_SECOND_DIGIT] = { "reply code's second digit is outside 0..5",
                          "5321-4.2-reply-code-abnf" },
    [RD_NO_SEPARATOR] = { "reply code is followed by neither SP nor \"-\"",
                          "5321-4.2-reply-line-abnf" },
    [RD_CODE_MISMATCH] = { "lines of a multiline reply carry different codes",
                           "5321-4.2.1-multiline-same-code" },
    [RD_BARE_LF] = { "reply line ended by a bare LF", "5321-2.3.8-crlf-only" },
    [RD_BARE_CR] = { "bare CR in a reply line", "5321-4.2-textstring-abnf" },
    [RD_UNTERMINATED] = { "reply line not terminated by CRLF", "5321-4.2-reply-line-abnf" },
    [RD_LONG_LINE] = { "reply line longer than 512 octets", "5321-4.5.3.1-size-limits" },
    [RD_CODE_ONLY] = { "last reply line is the code alone, without SP",
                       "5321-4.2.1-sp-after-code" },
};

const struct reply_defect_info *reply_defect_info(enum reply_defect d)
{
    return (unsigned)d < RD_COUNT ? &defect_table[d] : NULL;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* "ddd-" starts a continuation line. */
static int is_continuation(const char *line, size_t len)
{
    return len >= 4 && is_digit(line[0]) && is_digit(line[1]) &&
           is_digit(line[2]) && line[3] == '-';
}

size_t reply_frame_more(struct reply_framer *f, const char *p, size_t n)
{
    while (f->scanned < n) {
        const char *lf = memchr(p + f->scanned, '\n', n - f->scanned);
        if (!lf) {
            f->scanned = n;
            return 0;
        }
        size_t end = (size_t)(lf - p) + 1;
        f->scanned = end;
        if (!is_continuation(p + f->line_start, end - f->line_start))
            return end;
        f->line_start = end;
        f->lines++;
    }
    return 0;
}

size_t reply_frame(const char *p, size_t n)
{
    struct reply_framer f = { 0, 0, 0 };
    return reply_frame_more(&f, p, n);
}

static void flag(struct reply *r, enum reply_defect d)
{
    r->defects |= 1u << d;
}

/* Reads the code and separator of one line into *ln and flags defects. */
static void parse_line_head(struct reply *r, struct reply_line *ln, int last)
{
    const char *s = r->raw + ln->off;
    size_t len = ln->len;
    ln->code = -1;
    ln->sep = '\0';
    ln->text_off = ln->off;
    if (len < 3 || !is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2])) {
        flag(r, RD_NOT_DIGITS);
        return;
    }
    ln->code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
    if (s[0] < '2' || s[0] > '5')
        flag(r, RD_FIRST_DIGIT);
    if (s[1] > '5')
        flag(r, RD_SECOND_DIGIT);
    ln->text_off = ln->off + 3;
    if (len == 3) {
        if (last)
            flag(r, RD_CODE_ONLY);
        return;
    }
    if (s[3] == ' ' || s[3] == '-') {
        ln->sep = s[3];
        ln->text_off = ln->off + 4;
    } else {
        flag(r, RD_NO_SEPARATOR);
    }
}

/* Splits raw into lines at LF and records terminator defects. */
static int split_lines(struct reply *r)
{
    size_t cap = 0, start = 0;
    while (start < r->raw_len) {
        const char *lf = memchr(r->raw + start, '\n', r->raw_len - start);
        size_t end = lf ? (size_t)(lf - r->raw) + 1 : r->raw_len;
        size_t len = end - start;
        if (lf) {
            len--;
            if (len > 0 && r->raw[start + len - 1] == '\r')
                len--;
            else
                flag(r, RD_BARE_LF);
        } else {
            flag(r, RD_UNTERMINATED);
        }
        if (memchr(r->raw + start, '\r', len))
            flag(r, RD_BARE_CR);
        if (end - start > r->longest)
            r->longest = end - start;
        if (r->nlines == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            struct reply_line *nl = realloc(r->lines, ncap * sizeof *nl);
            if (!nl)
                return -1;
            r->lines = nl;
            cap = ncap;
        }
        r->lines[r->nlines++] = (struct reply_line){ .off = start, .len = len };
        start = end;
    }
    return 0;
}

int reply_parse(const char *p, size_t n, struct reply *r)
{
    char *copy = malloc(n + 1);
    if (!copy) {
        memset(r, 0, sizeof *r);
        r->code = -1;
        return -1;
    }
    memcpy(copy, p, n);
    copy[n] = '\0';
    return reply_adopt(copy, n, r);
}

int reply_adopt(char *p, size_t n, struct reply *r)
{
    memset(r, 0, sizeof *r);
    r->code = -1;
    r->raw = p;
    r->raw_len = n;
    if (split_lines(r) != 0) {
        reply_free(r);
        return -1;
    }
    if (r->longest > REPLY_LINE_MAX)
        flag(r, RD_LONG_LINE);
    for (size_t i = 0; i < r->nlines; i++) {
        parse_line_head(r, &r->lines[i], i + 1 == r->nlines);
        if (i > 0 && r->lines[i].code != r->lines[0].code)
            flag(r, RD_CODE_MISMATCH);
    }
    if (r->nlines > 0)
        r->code = r->lines[0].code;
    r->total_lines = r->nlines;
    return 0;
}

void reply_shrink(struct reply *r, size_t max)
{
    if (r->raw_len <= max)
        return;
    size_t n = 0;
    while (n < r->nlines && (n == 0 || r->lines[n].off < max))
        n++;
    for (size_t i = 0; i < n; i++) {
        struct reply_line *ln = &r->lines[i];
        if (ln->off + ln->len > max)
            ln->len = max > ln->off ? max - ln->off : 0;
        if (ln->text_off > ln->off + ln->len)
            ln->text_off = ln->off + ln->len;
    }
    r->nlines = n;
    r->raw_len = max;
    r->raw[max] = '\0';
    char *raw = realloc(r->raw, max + 1);
    if (raw)
        r->raw = raw;
    struct reply_line *lines = realloc(r->lines, (n ? n : 1) * sizeof *lines);
    if (lines)
        r->lines = lines;
}

void reply_drop_lines(struct reply *r)
{
    free(r->raw);
    free(r->lines);
    r->raw = NULL;
    r->lines = NULL;
    r->raw_len = r->nlines = 0;
}

void reply_free(struct reply *r)
{
    free(r->raw);
    free(r->lines);
    memset(r, 0, sizeof *r);
    r->code = -1;
}

const char *reply_line_text(const struct reply *r, size_t i, size_t *len)
{
    const struct reply_line *ln = &r->lines[i];
    *len = ln->len - (ln->text_off - ln->off);
    return r->raw + ln->text_off;
}
