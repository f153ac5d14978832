/* reply.h - the SMTP reply parser: bytes in, a reply with every syntax
 * defect out.  Pure: no I/O, no globals. */
#ifndef SMTPSPEC_REPLY_H
#define SMTPSPEC_REPLY_H

#include <stddef.h>


/* Syntax defects a reply can have; reply_defect_info() gives each one's
 * description and the catalog rule it breaks. */
enum reply_defect {
    RD_NOT_DIGITS = 0,  /* a line does not start with three digits */
    RD_FIRST_DIGIT,     /* first digit outside 2..5 */
    RD_SECOND_DIGIT,    /* second digit outside 0..5 */
    RD_NO_SEPARATOR,    /* neither SP, "-" nor end of line after the code */
    RD_CODE_MISMATCH,   /* the lines of a multiline reply disagree */
    RD_BARE_LF,         /* a line ended by LF without CR */
    RD_BARE_CR,         /* a CR not followed by LF */
    RD_UNTERMINATED,    /* the last line has no line terminator at all */
    RD_LONG_LINE,       /* a line over 512 octets including code and CRLF */
    RD_CODE_ONLY,       /* last line is the code alone, without SP */
    RD_COUNT
};

struct reply_defect_info {
    const char *what;   /* short description */
    const char *rule;   /* catalog rule id, e.g. "5321-2.3.8-crlf-only" */
};

const struct reply_defect_info *reply_defect_info(enum reply_defect d);

/* The maximum reply line, RFC 5321 §4.5.3.1.5, including code and CRLF. */
#define REPLY_LINE_MAX 512

struct reply_line {
    size_t off;      /* start of the line in raw */
    size_t len;      /* length without the terminator */
    size_t text_off; /* start of the text after "ddd" and separator */
    int code;        /* -1 when the line does not start with 3 digits */
    char sep;        /* ' ', '-', or '\0' for none/other */
};

struct reply {
    char *raw;               /* owned copy of the reply's bytes */
    size_t raw_len;
    int code;                /* code of the first line, -1 if none */
    struct reply_line *lines;
    size_t nlines;
    unsigned defects;        /* bit (1u << enum reply_defect) */
    size_t longest;          /* longest line including its terminator */
    size_t total_lines;      /* lines, also after reply_drop_lines */
};

/* Length of the first complete reply at the start of p[0..n), or 0 when
 * more bytes are needed.  Lines end at LF (a bare LF is accepted here so
 * that it can be reported, never silently waited past); a reply ends at
 * the first line that is not "ddd-". */
size_t reply_frame(const char *p, size_t n);

/* reply_frame over a buffer that grows: each call scans only the bytes
 * added since the last one, so framing is linear in the bytes received.
 * Start from all zeroes; after a reply is taken off the front, start
 * again.  lines counts the complete continuation lines so far, and
 * line_start is where the unfinished line begins. */
struct reply_framer {
    size_t scanned;
    size_t line_start;
    size_t lines;
};
size_t reply_frame_more(struct reply_framer *f, const char *p, size_t n);

/* Parses p[0..n) (normally one framed reply; may be a partial one).
 * Fills *r, which the caller releases with reply_free().  Returns 0, or
 * -1 when memory runs out (then *r is empty). */
int reply_parse(const char *p, size_t n, struct reply *r);
/* reply_parse without a copy: r takes p (malloc'd, n bytes followed by a
 * NUL), also on failure. */
int reply_adopt(char *p, size_t n, struct reply *r);
/* Keeps the first max bytes of the reply and the lines that start there
 * (the last one cut); code, defects, longest and total_lines stay. */
void reply_shrink(struct reply *r, size_t max);
/* Frees the reply's bytes and lines; code, defects and longest stay. */
void reply_drop_lines(struct reply *r);
void reply_free(struct reply *r);

static inline int reply_has(const struct reply *r, enum reply_defect d)
{
    return (r->defects >> d) & 1u;
}

/* Text of line i (after code and separator), not NUL-terminated. */
const char *reply_line_text(const struct reply *r, size_t i, size_t *len);

#endif
