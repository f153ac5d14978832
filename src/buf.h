/* buf.h - growable byte buffer and the lossless "wire string" escaping
 * used wherever bytes from the network are shown (JSON, JUnit, terminal). */
#ifndef SMTPSPEC_BUF_H
#define SMTPSPEC_BUF_H

#include <stddef.h>

struct buf {
    char *data; /* always NUL-terminated when non-NULL (not counted in len) */
    size_t len;
    size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

/* 0 on success, -1 when memory is exhausted (the buffer is unchanged). */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Keeps at most the first n bytes and gives spare capacity back. */
void buf_truncate(struct buf *b, size_t n);
/* Drops the first n bytes. */
void buf_consume(struct buf *b, size_t n);
void buf_free(struct buf *b);
/* Hands the storage to the caller (who frees it); the buffer is reset. */
char *buf_steal(struct buf *b);

/* Lossless, always-valid-UTF-8 text for arbitrary bytes: printable ASCII
 * stays, '\' becomes "\\", CR LF TAB become "\r" "\n" "\t", well-formed
 * UTF-8 sequences of two or more bytes stay, every other byte is "\xHH".
 * Returns a malloc'd NUL-terminated string the caller frees, NULL on OOM. */
char *wire_escape(const char *p, size_t n);

/* Is p[0..n) well-formed UTF-8? */
int utf8_valid(const char *p, size_t n);

/* printf into a malloc'd string the caller frees; NULL on OOM. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Is word w in the space-separated list (case-insensitive)?  NULL list: no. */
int word_listed(const char *list, const char *w);

/* strdup that aborts on OOM is not used; these return NULL on OOM. */
char *xstrndup(const char *s, size_t n);

#endif
