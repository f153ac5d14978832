/* buf.c - growable byte buffer and wire-string escaping. */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int buf_reserve(struct buf *b, size_t extra)
{
    if (extra > SIZE_MAX / 2 - b->len - 1)
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void buf_truncate(struct buf *b, size_t n)
{
    if (!b->data)
        return;
    if (n < b->len) {
        b->len = n;
        b->data[n] = '\0';
    }
    char *p = realloc(b->data, b->len + 1);
    if (p) {
        b->data = p;
        b->cap = b->len + 1;
    }
}

void buf_consume(struct buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
    }
    if (b->data)
        b->data[b->len] = '\0';
}

void buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *buf_steal(struct buf *b)
{
    char *p = b->data;
    if (!p)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

/* Length of the well-formed UTF-8 sequence of 2..4 bytes at p, or 0. */
static size_t utf8_multibyte(const unsigned char *p, size_t n)
{
    size_t len;
    uint32_t cp;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        len = 2;
        cp = p[0] & 0x1F;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        len = 3;
        cp = p[0] & 0x0F;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        len = 4;
        cp = p[0] & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

int utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t mb = utf8_multibyte(p + i, n - i);
        if (mb == 0)
            return 0;
        i += mb;
    }
    return 1;
}

char *wire_escape(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    struct buf out = BUF_INIT;
    int rc = buf_append(&out, "", 0);
    for (size_t i = 0; i < n && rc == 0;) {
        unsigned char c = p[i];
        size_t mb;
        if (c == '\\') {
            rc = buf_append(&out, "\\\\", 2);
        } else if (c == '\r') {
            rc = buf_append(&out, "\\r", 2);
        } else if (c == '\n') {
            rc = buf_append(&out, "\\n", 2);
        } else if (c == '\t') {
            rc = buf_append(&out, "\\t", 2);
        } else if (c >= 0x20 && c < 0x7F) {
            rc = buf_append(&out, &p[i], 1);
        } else if (c >= 0x80 && (mb = utf8_multibyte(p + i, n - i)) > 0) {
            rc = buf_append(&out, &p[i], mb);
            i += mb;
            continue;
        } else {
            rc = buf_printf(&out, "\\x%02X", c);
        }
        i++;
    }
    if (rc != 0) {
        buf_free(&out);
        return NULL;
    }
    return buf_steal(&out);
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = malloc((size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

char *xstrndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

int word_listed(const char *list, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = list; p && *p; p += strcspn(p, " "), p += *p == ' ')
        if (strncasecmp(p, w, n) == 0 && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}
