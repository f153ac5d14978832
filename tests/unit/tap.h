/* tap.h - a minimal TAP producer for the unit tests (header only).
 *
 * Each test program includes this once, calls the CHECK* macros, and
 * ends main() with "return done_testing();".  The plan ("1..N") is
 * printed at the end, which TAP allows.  The exit status is 0 only when
 * every check passed (and at least one ran). */
#ifndef SMTPSPEC_TAP_H
#define SMTPSPEC_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_run_;
static int tap_failed_;

static void tap_result_(int ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), unused));

static void tap_result_(int ok, const char *name, const char *fmt, ...)
{
    tap_run_++;
    if (ok) {
        printf("ok %d - %s\n", tap_run_, name);
    } else {
        tap_failed_++;
        printf("not ok %d - %s", tap_run_, name);
        if (fmt && *fmt) {
            va_list ap;
            va_start(ap, fmt);
            fputs(" # ", stdout);
            vprintf(fmt, ap);
            va_end(ap);
        }
        putchar('\n');
    }
    fflush(stdout);
}

/* Prints s[0..n) as a C-escaped string (for failure details). */
static const char *tap_show_(const char *s, size_t n, char *dst, size_t cap)
    __attribute__((unused));
static const char *tap_show_(const char *s, size_t n, char *dst, size_t cap)
{
    size_t o = 0;
    if (!s) {
        snprintf(dst, cap, "(null)");
        return dst;
    }
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' || c == '"')
            o += (size_t)snprintf(dst + o, cap - o, "\\%c", c);
        else if (c >= 0x20 && c < 0x7F)
            dst[o++] = (char)c;
        else
            o += (size_t)snprintf(dst + o, cap - o, "\\x%02X", c);
    }
    dst[o < cap ? o : cap - 1] = '\0';
    return dst;
}

#define CHECK(cond, name) \
    tap_result_(!!(cond), (name), "%s (line %d)", #cond, __LINE__)

#define CHECK_INT(got, want, name) do { \
        long long g_ = (long long)(got), w_ = (long long)(want); \
        tap_result_(g_ == w_, (name), "got %lld, want %lld (line %d)", \
                    g_, w_, __LINE__); \
    } while (0)

/* NUL-terminated strings; NULL compares unequal to any string. */
#define CHECK_STR(got, want, name) do { \
        const char *g_ = (got), *w_ = (want); \
        char gb_[512], wb_[512]; \
        int ok_ = g_ && w_ && strcmp(g_, w_) == 0; \
        tap_result_(ok_, (name), "got \"%s\", want \"%s\" (line %d)", \
                    tap_show_(g_, g_ ? strlen(g_) : 0, gb_, sizeof gb_), \
                    tap_show_(w_, w_ ? strlen(w_) : 0, wb_, sizeof wb_), \
                    __LINE__); \
    } while (0)

/* Byte strings of explicit length. */
#define CHECK_MEM(got, glen, want, wlen, name) do { \
        const char *g_ = (const char *)(got), *w_ = (const char *)(want); \
        size_t gl_ = (glen), wl_ = (wlen); \
        char gb_[512], wb_[512]; \
        int ok_ = g_ && gl_ == wl_ && memcmp(g_, w_, wl_) == 0; \
        tap_result_(ok_, (name), "got \"%s\" (%zu), want \"%s\" (%zu) (line %d)", \
                    tap_show_(g_, gl_, gb_, sizeof gb_), gl_, \
                    tap_show_(w_, wl_, wb_, sizeof wb_), wl_, __LINE__); \
    } while (0)

/* got contains the substring needle. */
#define CHECK_CONTAINS(got, needle, name) do { \
        const char *g_ = (got), *n_ = (needle); \
        tap_result_(g_ && strstr(g_, n_) != NULL, (name), \
                    "\"%s\" does not contain \"%s\" (line %d)", \
                    g_ ? g_ : "(null)", n_, __LINE__); \
    } while (0)

static void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static void tap_diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("# ", stdout);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static int done_testing(void) __attribute__((unused));
static int done_testing(void)
{
    printf("1..%d\n", tap_run_);
    if (tap_failed_)
        printf("# failed %d of %d\n", tap_failed_, tap_run_);
    fflush(stdout);
    return tap_failed_ || tap_run_ == 0 ? 1 : 0;
}

#endif
