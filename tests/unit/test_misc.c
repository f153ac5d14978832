/* test_misc.c - buf.h (buffers, wire_escape), target.h, options.h. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/buf.h"
#include "../../src/options.h"
#include "../../src/result.h"
#include "../../src/target.h"
#include "../../src/baseline.h"
#include "tap.h"

/* ---- wire_escape ---------------------------------------------------- */

static void check_escape(const char *in, size_t n, const char *want, const char *name)
{
    char *got = wire_escape(in, n);
    CHECK_STR(got, want, name);
    free(got);
}

/* Inverse of wire_escape: "\\" "\r" "\n" "\t" "\xHH" and raw bytes.
 * Returns the decoded length, or (size_t)-1 on a malformed escape. */
static size_t wire_unescape(const char *s, char *out)
{
    size_t o = 0;
    while (*s) {
        if (*s != '\\') {
            out[o++] = *s++;
            continue;
        }
        switch (s[1]) {
        case '\\': out[o++] = '\\'; s += 2; break;
        case 'r': out[o++] = '\r'; s += 2; break;
        case 'n': out[o++] = '\n'; s += 2; break;
        case 't': out[o++] = '\t'; s += 2; break;
        case 'x': {
            unsigned v;
            char hex[3] = { s[2], s[2] ? s[3] : '\0', '\0' };
            if (!s[2] || !s[3] || sscanf(hex, "%2X", &v) != 1 ||
                strspn(hex, "0123456789ABCDEF") != 2)
                return (size_t)-1;
            out[o++] = (char)v;
            s += 4;
            break;
        }
        default:
            return (size_t)-1;
        }
    }
    return o;
}

/* Strict UTF-8 check (RFC 3629) that also refuses C0 controls and DEL. */
static int valid_text(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x80) {
            if (*p < 0x20 || *p == 0x7F)
                return 0;
            p++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if (*p >= 0xC2 && *p <= 0xDF) { len = 2; cp = *p & 0x1F; min = 0x80; }
        else if (*p >= 0xE0 && *p <= 0xEF) { len = 3; cp = *p & 0x0F; min = 0x800; }
        else if (*p >= 0xF0 && *p <= 0xF4) { len = 4; cp = *p & 0x07; min = 0x10000; }
        else return 0;
        for (size_t i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        p += len;
    }
    return 1;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

/* Appends a random, valid UTF-8 encoding of a scalar value. */
static size_t put_utf8(unsigned char *p)
{
    uint32_t cp;
    do {
        switch (rnd() % 3) {
        case 0: cp = 0x80 + rnd() % 0x780; break;
        case 1: cp = 0x800 + rnd() % 0xF800; break;
        default: cp = 0x10000 + rnd() % 0x100000; break;
        }
    } while (cp >= 0xD800 && cp <= 0xDFFF);
    if (cp < 0x800) {
        p[0] = (unsigned char)(0xC0 | cp >> 6);
        p[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        p[0] = (unsigned char)(0xE0 | cp >> 12);
        p[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        p[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    p[0] = (unsigned char)(0xF0 | cp >> 18);
    p[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    p[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    p[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static void test_wire_escape(void)
{
    check_escape("a\\b", 3, "a\\\\b", "escape: backslash doubled");
    check_escape("\r\n\t", 3, "\\r\\n\\t", "escape: CR LF TAB");
    check_escape("a\0b", 3, "a\\x00b", "escape: NUL -> \\x00");
    check_escape("\x7f", 1, "\\x7F", "escape: DEL -> \\x7F");
    check_escape("\xff", 1, "\\xFF", "escape: 0xFF -> \\xFF");
    check_escape("\x01\x1f\x1b", 3, "\\x01\\x1F\\x1B", "escape: C0 controls");
    check_escape(" ~", 2, " ~", "escape: printable ASCII bounds kept");
    check_escape("", 0, "", "escape: empty input gives empty string");
    check_escape("\xc3\xa9", 2, "\xc3\xa9", "escape: valid UTF-8 e-acute kept");
    check_escape("\xe2\x82\xac", 3, "\xe2\x82\xac", "escape: euro sign kept");
    check_escape("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80", "escape: 4-byte emoji kept");
    check_escape("\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf", "escape: U+10FFFF kept");
    check_escape("\xed\x9f\xbf", 3, "\xed\x9f\xbf", "escape: U+D7FF kept");
    check_escape("\xee\x80\x80", 3, "\xee\x80\x80", "escape: U+E000 kept");
    check_escape("\xc2\x80", 2, "\xc2\x80", "escape: U+0080 kept");
    check_escape("\xc0\x80", 2, "\\xC0\\x80", "escape: overlong C0 80 escaped");
    check_escape("\xc1\xbf", 2, "\\xC1\\xBF", "escape: overlong C1 BF escaped");
    check_escape("\xe0\x80\x80", 3, "\\xE0\\x80\\x80", "escape: overlong 3-byte escaped");
    check_escape("\xf0\x80\x80\x80", 4, "\\xF0\\x80\\x80\\x80", "escape: overlong 4-byte escaped");
    check_escape("\xed\xa0\x80", 3, "\\xED\\xA0\\x80", "escape: surrogate ED A0 80 escaped");
    check_escape("\xed\xbf\xbf", 3, "\\xED\\xBF\\xBF", "escape: surrogate ED BF BF escaped");
    check_escape("\xf4\x90\x80\x80", 4, "\\xF4\\x90\\x80\\x80", "escape: above U+10FFFF escaped");
    check_escape("\xf5\x80\x80\x80", 4, "\\xF5\\x80\\x80\\x80", "escape: F5 lead escaped");
    check_escape("\x80", 1, "\\x80", "escape: lone continuation escaped");
    check_escape("a\xe2\x82", 3, "a\\xE2\\x82", "escape: truncated UTF-8 at the end");
    check_escape("\xe2\x82" "A", 3, "\\xE2\\x82A", "escape: truncated UTF-8 before ASCII");
    check_escape("\xf0\x9f\x98", 3, "\\xF0\\x9F\\x98", "escape: truncated 4-byte at the end");
    check_escape("\xc3\xc3\xa9", 3, "\\xC3\xc3\xa9", "escape: bad lead then valid pair");
    check_escape("\\x41", 4, "\\\\x41", "escape: a literal \\x41 stays distinguishable");
    /* does not read past n */
    check_escape("\xc3\xa9", 1, "\\xC3", "escape: a sequence cut by n is escaped");

    /* losslessness: 1000 random byte strings */
    int lossless = 1, valid = 1, printed = 0;
    for (int iter = 0; iter < 1000; iter++) {
        unsigned char in[256];
        size_t n = 0, target = rnd() % 60;
        static const unsigned char special[] = {
            0x00, '\\', '\r', '\n', '\t', 'x', '0', 0x7F, 0xC0, 0xC1, 0xC2, 0xC3,
            0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x80, 0x8F, 0x90,
            0x9F, 0xA0, 0xBF,
        };
        while (n < target) {
            switch (rnd() % 4) {
            case 0:
            case 1: in[n++] = (unsigned char)rnd(); break;
            case 2: in[n++] = special[rnd() % sizeof special]; break;
            default: n += put_utf8(in + n); break;
            }
        }
        char *esc = wire_escape((const char *)in, n);
        char *back = esc ? malloc(strlen(esc) + 1) : NULL;
        size_t m = back ? wire_unescape(esc, back) : (size_t)-1;
        if (m != n || memcmp(back, in, n) != 0) {
            lossless = 0;
            if (!printed++)
                tap_diag("round trip failed for iteration %d: %s", iter, esc ? esc : "(null)");
        }
        if (!esc || !valid_text(esc)) {
            valid = 0;
            if (!printed++)
                tap_diag("invalid text for iteration %d", iter);
        }
        free(back);
        free(esc);
    }
    CHECK(lossless, "escape: 1000 random strings decode back to the input");
    CHECK(valid, "escape: output is always valid UTF-8 without controls");
}

/* ---- buf ------------------------------------------------------------- */

static void test_buf(void)
{
    struct buf b = BUF_INIT;
    CHECK_INT(buf_append(&b, "hello", 5), 0, "buf_append returns 0");
    CHECK_INT(b.len, 5, "buf len 5");
    CHECK_STR(b.data, "hello", "buf data NUL-terminated");
    CHECK(b.cap > b.len, "cap leaves room for the NUL");
    CHECK_INT(buf_append(&b, " world", 6), 0, "second append");
    CHECK_STR(b.data, "hello world", "appends concatenate");
    CHECK_INT(buf_append(&b, "", 0), 0, "zero-length append");
    CHECK_INT(b.len, 11, "zero-length append keeps len");
    CHECK_INT(buf_append(&b, "a\0b", 3), 0, "append with NUL");
    CHECK_MEM(b.data, b.len, "hello worlda\0b", 14, "binary append kept");
    buf_truncate(&b, 100);
    CHECK_MEM(b.data, b.len, "hello worlda\0b", 14, "truncate past the end keeps all");
    CHECK_INT(b.cap, 15, "truncate gives spare capacity back");
    buf_consume(&b, 6);
    CHECK_MEM(b.data, b.len, "worlda\0b", 8, "consume 6 drops the prefix");
    CHECK_INT(b.data[b.len], '\0', "consume keeps the NUL terminator");
    buf_consume(&b, 0);
    CHECK_INT(b.len, 8, "consume 0 is a no-op");
    buf_consume(&b, 100);
    CHECK_INT(b.len, 0, "consume more than len empties");
    CHECK_STR(b.data, "", "emptied buffer is an empty string");
    CHECK_INT(buf_printf(&b, "%d-%s-%c", 42, "x", 'y'), 0, "buf_printf returns 0");
    CHECK_STR(b.data, "42-x-y", "buf_printf text");
    CHECK_INT(b.len, 6, "buf_printf len");
    CHECK_INT(buf_printf(&b, "%s", ""), 0, "buf_printf empty");
    CHECK_INT(buf_puts(&b, "!"), 0, "buf_puts");
    CHECK_STR(b.data, "42-x-y!", "buf_puts appends");
    buf_consume(&b, 7);
    CHECK_INT(b.len, 0, "consume exactly len empties");
    buf_free(&b);
    CHECK(b.data == NULL && b.len == 0 && b.cap == 0, "buf_free resets");

    struct buf e = BUF_INIT;
    buf_consume(&e, 5);     /* must not touch a NULL data pointer */
    CHECK(e.data == NULL && e.len == 0, "consume on an empty buffer");

    /* growth: many appends and a large printf */
    int ok = 1;
    for (int i = 0; i < 10000; i++) {
        char c = (char)('a' + i % 26);
        if (buf_append(&e, &c, 1) != 0)
            ok = 0;
    }
    for (int i = 0; i < 10000 && ok; i++)
        if (e.data[i] != (char)('a' + i % 26))
            ok = 0;
    CHECK(ok && e.len == 10000 && e.data[10000] == '\0', "10000 one-byte appends");
    CHECK_INT(buf_printf(&e, "%5000s|", "z"), 0, "large buf_printf");
    CHECK_INT(e.len, 15001, "large buf_printf length");
    CHECK(e.data[15000] == '|' && e.data[14999] == 'z' && e.data[15001] == '\0',
          "large buf_printf content");
    char *stolen = buf_steal(&e);
    CHECK(stolen && strlen(stolen) == 15001, "buf_steal hands over the data");
    CHECK(e.data == NULL && e.len == 0 && e.cap == 0, "buf_steal resets the buffer");
    free(stolen);
    stolen = buf_steal(&e);
    CHECK_STR(stolen, "", "buf_steal of an empty buffer gives \"\"");
    free(stolen);

    char *s = xasprintf("%s=%d", "n", 7);
    CHECK_STR(s, "n=7", "xasprintf");
    free(s);
    s = xstrndup("a\0bc", 3);
    CHECK_MEM(s, 3, "a\0b", 3, "xstrndup copies n bytes, NUL included");
    CHECK(s && s[3] == '\0', "xstrndup terminates");
    free(s);
}

/* ---- target_parse ----------------------------------------------------- */

static void check_target(const char *in, const char *host, int port, int tls,
                         const char *domain, const char *url)
{
    struct target t;
    char err[256] = "", name[200];
    int rc = target_parse(in, &t, err, sizeof err);
    snprintf(name, sizeof name, "target \"%s\" parses", in);
    tap_result_(rc == 0, name, "%s", err);
    if (rc != 0)
        return;
    snprintf(name, sizeof name, "target \"%s\": host", in);
    CHECK_STR(t.host, host, name);
    snprintf(name, sizeof name, "target \"%s\": port %d", in, port);
    CHECK_INT(t.port, port, name);
    snprintf(name, sizeof name, "target \"%s\": tls %d", in, tls);
    CHECK_INT(t.tls, tls, name);
    snprintf(name, sizeof name, "target \"%s\": domain", in);
    CHECK_STR(t.domain, domain, name);
    snprintf(name, sizeof name, "target \"%s\": url", in);
    CHECK_STR(t.url, url, name);
}

static void check_target_bad(const char *in, const char *phrase)
{
    struct target t;
    char err[256] = "", name[200];
    int rc = target_parse(in, &t, err, sizeof err);
    snprintf(name, sizeof name, "target \"%s\" is refused", in);
    CHECK_INT(rc, -1, name);
    snprintf(name, sizeof name, "target \"%s\": message", in);
    CHECK_CONTAINS(err, phrase, name);
}

static void test_target(void)
{
    check_target("smtp://mx.example.org", "mx.example.org", 25, 0, "mx.example.org",
                 "smtp://mx.example.org:25");
    check_target("smtps://h:2465", "h", 2465, 1, "h", "smtps://h:2465");
    check_target("smtps://h", "h", 465, 1, "h", "smtps://h:465");
    check_target("h", "h", 25, 0, "h", "smtp://h:25");
    check_target("127.0.0.1:2525", "127.0.0.1", 2525, 0, "[127.0.0.1]",
                 "smtp://127.0.0.1:2525");
    check_target("[::1]:2525", "::1", 2525, 0, "[IPv6:::1]", "smtp://[::1]:2525");
    check_target("smtp://[2001:db8::1]", "2001:db8::1", 25, 0, "[IPv6:2001:db8::1]",
                 "smtp://[2001:db8::1]:25");
    check_target("smtp://h:587/", "h", 587, 0, "h", "smtp://h:587");
    check_target("SMTP://Mail.Example", "Mail.Example", 25, 0, "Mail.Example",
                 "smtp://Mail.Example:25");
    check_target("h:65535", "h", 65535, 0, "h", "smtp://h:65535");
    check_target("h:1", "h", 1, 0, "h", "smtp://h:1");
    check_target("a_b-c.d", "a_b-c.d", 25, 0, "a_b-c.d", "smtp://a_b-c.d:25");

    check_target_bad("http://x", "only smtp:// and smtps://");
    check_target_bad("smtp://", "bad host name");
    check_target_bad("", "bad host name");
    check_target_bad("h:0", "port must be 1..65535");
    check_target_bad("h:70000", "port must be 1..65535");
    check_target_bad("h:65536", "port must be 1..65535");
    check_target_bad("h:abc", "port must be 1..65535");
    check_target_bad("h:", "port must be 1..65535");
    check_target_bad("h:-25", "port must be 1..65535");
    check_target_bad("h:25x", "port must be 1..65535");
    check_target_bad("h:1:2", "port must be 1..65535");
    check_target_bad("smtp://h:25/x", "a path (\"/x\") is not allowed");
    check_target_bad("smtp://h/x", "a path (\"/x\") is not allowed");
    check_target_bad("smtp://[::1]:25/x", "a path (\"/x\") is not allowed");
    check_target_bad("[::1", "bad IPv6 literal");
    check_target_bad("[::1]x", "bad IPv6 literal");
    check_target_bad("[]", "bad IPv6 literal");
    check_target_bad("[::g]", "bad IPv6 literal");
    check_target_bad("a b", "bad host name");
    check_target_bad("::1", "bad host name");

    /* host length: 255 fits, 256 does not */
    char longhost[300];
    memset(longhost, 'a', 255);
    longhost[255] = '\0';
    struct target t;
    char err[256];
    CHECK_INT(target_parse(longhost, &t, err, sizeof err), 0, "255-octet host accepted");
    CHECK_INT(strlen(t.host), 255, "255-octet host kept whole");
    memset(longhost, 'a', 256);
    longhost[256] = '\0';
    CHECK_INT(target_parse(longhost, &t, err, sizeof err), -1, "256-octet host refused");
}

/* ---- options_parse ------------------------------------------------------ */

/* argv is copied into writable storage (getopt permutes it); the copies
 * live until the end of the program so the options can point into them. */
static int parse_args(struct options *o, char *err, size_t errlen, ...)
{
    va_list ap;
    static char *keep[128][24];
    static int nkeep;
    char **argv = keep[nkeep++ % 128];
    int argc = 0;
    argv[argc++] = strdup("smtpspec");
    va_start(ap, errlen);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && argc < 23)
        argv[argc++] = strdup(a);
    va_end(ap);
    argv[argc] = NULL;
    err[0] = '\0';
    return options_parse(argc, argv, o, err, errlen);
}

#define ARGS(...) parse_args(&o, err, sizeof err, __VA_ARGS__, (const char *)NULL)

static void test_options(void)
{
    struct options o;
    char err[256];
    int rc;

    rc = ARGS("mx.example.org");
    CHECK_INT(rc, 0, "options: target only");
    CHECK_STR(o.target, "mx.example.org", "options: target");
    CHECK_STR(o.helo, "smtpspec.invalid", "options: default helo");
    CHECK_STR(o.mail_from, "smtpspec@smtpspec.invalid", "options: default mail-from");
    CHECK_INT(o.jobs, 1, "options: default jobs 1");
    CHECK_INT(o.profile, PROFILE_RFC5321, "options: default profile rfc5321");
    CHECK_INT(o.timeout_ms, 0, "options: default timeout 0 (per command)");
    CHECK_INT(o.connect_timeout_ms, 30000, "options: default connect timeout 30 s");
    CHECK_INT(o.color, -1, "options: colour auto");
    CHECK_INT(o.max_line, 8192, "options: default max-line");
    CHECK_INT(o.max_reply, 262144, "options: default max-reply");
    CHECK_INT(o.nrcpt, 0, "options: no rcpt");
    CHECK_INT(o.list + o.strict + o.verbose + o.insecure + o.help + o.version, 0,
              "options: flags off by default");

    CHECK_INT(o.retries, 3, "options: default retries 3");
    CHECK_INT(o.retry_delay_ms, 1000, "options: default retry delay 1 s");
    CHECK_INT(o.case_time_ms, 0, "options: case time derived from the timeouts");

    rc = ARGS("--case-time", "7.5", "--retries", "0", "--retry-delay", "0.25", "h");
    CHECK(rc == 0 && o.case_time_ms == 7500 && o.retries == 0 && o.retry_delay_ms == 250,
          "options: --case-time, --retries, --retry-delay");
    rc = ARGS("--retries", "11", "h");
    CHECK(rc == -1 && strstr(err, "--retries: \"11\" is not a number from 0 to 10"),
          "options: --retries above 10 refused");
    rc = ARGS("--case-time", "0", "h");
    CHECK(rc == -1 && strstr(err, "--case-time: \"0\" is not a number of seconds"),
          "options: --case-time 0 refused");
    rc = ARGS("--retry-delay", "x", "h");
    CHECK(rc == -1 && strstr(err, "--retry-delay: \"x\""), "options: --retry-delay x refused");

    rc = ARGS("--timeout", "0.5", "h");
    CHECK_INT(rc, 0, "options: --timeout 0.5");
    CHECK_INT(o.timeout_ms, 500, "options: 0.5 s = 500 ms");
    rc = ARGS("--timeout=2", "h");
    CHECK_INT(o.timeout_ms, 2000, "options: --timeout=2 is 2000 ms");
    rc = ARGS("--timeout", "0.0001", "h");
    CHECK_INT(o.timeout_ms, 1, "options: tiny timeout rounds up to 1 ms");
    rc = ARGS("--connect-timeout", "1.25", "h");
    CHECK_INT(o.connect_timeout_ms, 1250, "options: --connect-timeout 1.25");

    rc = ARGS("-j", "4", "h");
    CHECK_INT(rc, 0, "options: -j 4");
    CHECK_INT(o.jobs, 4, "options: jobs 4");
    rc = ARGS("--jobs=64", "h");
    CHECK_INT(o.jobs, 64, "options: --jobs=64");
    rc = ARGS("-j8", "h");
    CHECK_INT(o.jobs, 8, "options: -j8");

    rc = ARGS("--rcpt", "a@b", "--rcpt", "c@d", "h");
    CHECK_INT(rc, 0, "options: two --rcpt");
    CHECK_INT(o.nrcpt, 2, "options: nrcpt 2");
    CHECK_STR(o.rcpt[0], "a@b", "options: rcpt 0");
    CHECK_STR(o.rcpt[1], "c@d", "options: rcpt 1");

    rc = ARGS("h", "-v", "--profile", "rfc821", "--strict", "--no-color", "--insecure");
    CHECK_INT(rc, 0, "options: options after the target (GNU order)");
    CHECK_STR(o.target, "h", "options: target before options");
    CHECK(o.verbose && o.strict && o.color == 0 && o.insecure, "options: flags set");
    CHECK_INT(o.profile, PROFILE_RFC821, "options: --profile rfc821");

    rc = ARGS("--suite", "basic", "--suite", "x.suite", "--case", "basic.*", "--json", "r.json",
              "--junit", "r.xml", "--helo", "me.example", "--mail-from", "a@b.c", "h");
    CHECK_INT(rc, 0, "options: lists and paths");
    CHECK(o.nsuites == 2 && strcmp(o.suites[1], "x.suite") == 0, "options: two suites");
    CHECK(o.ncases == 1 && strcmp(o.cases[0], "basic.*") == 0, "options: one case glob");
    CHECK_STR(o.json_path, "r.json", "options: json path");
    CHECK_STR(o.junit_path, "r.xml", "options: junit path");
    CHECK_STR(o.helo, "me.example", "options: helo");
    CHECK_STR(o.mail_from, "a@b.c", "options: mail-from");

    rc = ARGS("--max-line", "600", "--max-reply", "512", "h");
    CHECK_INT(rc, 0, "options: max-line and max-reply");
    CHECK_INT(o.max_line, 600, "options: max-line 600");
    CHECK_INT(o.max_reply, 600, "options: max-reply raised to max-line");

    rc = ARGS("--list");
    CHECK_INT(rc, 0, "options: --list without target is OK");
    CHECK_INT(o.list, 1, "options: list set");
    CHECK(o.target == NULL, "options: --list leaves target NULL");
    rc = ARGS("--list-codes");
    CHECK_INT(rc, 0, "options: --list-codes without target");
    rc = ARGS("--list-rules");
    CHECK(rc == 0 && o.list_rules, "options: --list-rules without target");
    CHECK(o.target == NULL, "options: --list-rules leaves target NULL");
    rc = ARGS("--rules-dir", "/tmp/r", "--list-rules");
    CHECK(rc == 0 && o.list_rules && o.rules_dir && strcmp(o.rules_dir, "/tmp/r") == 0,
          "options: --rules-dir DIR --list-rules");
    rc = ARGS("h");
    CHECK(o.rules_dir == NULL && o.domain == NULL && o.list_rules == 0,
          "options: rules-dir and domain unset by default");
    rc = ARGS("--domain", "mx.example.org", "127.0.0.1");
    CHECK_INT(rc, 0, "options: --domain");
    CHECK_STR(o.domain, "mx.example.org", "options: domain kept");
    CHECK_STR(o.target, "127.0.0.1", "options: target with --domain");
    rc = ARGS("--help");
    CHECK(rc == 0 && o.help, "options: --help without target");
    rc = ARGS("--version");
    CHECK(rc == 0 && o.version, "options: --version without target");

    /* errors */
    static const struct {
        const char *label;
        const char *a[6];
        const char *phrase;
    } bad[] = {
        { "--timeout x", { "--timeout", "x", "h" }, "--timeout: \"x\" is not a number" },
        { "--timeout 0", { "--timeout", "0", "h" }, "--timeout" },
        { "--timeout -1", { "--timeout", "-1", "h" }, "--timeout" },
        { "--timeout nan", { "--timeout", "nan", "h" }, "--timeout" },
        { "--timeout 86401", { "--timeout", "86401", "h" }, "--timeout" },
        { "--jobs 0", { "--jobs", "0", "h" }, "--jobs: \"0\" is not a number from 1 to 64" },
        { "--jobs 65", { "--jobs", "65", "h" }, "--jobs: \"65\"" },
        { "--jobs x", { "--jobs", "x", "h" }, "--jobs" },
        { "--jobs -1", { "--jobs", "-1", "h" }, "--jobs" },
        { "--profile x", { "--profile", "x", "h" }, "--profile: \"x\" is not rfc5321 or rfc821" },
        { "--helo with CRLF", { "--helo", "a\r\nRSET", "h" }, "--helo: must be 1..255 characters" },
        { "--helo with LF", { "--helo", "a\nb", "h" }, "--helo" },
        { "--helo empty", { "--helo=", "h" }, "--helo" },
        { "--mail-from with CR", { "--mail-from", "a@b\r", "h" }, "--mail-from" },
        { "--rcpt with LF", { "--rcpt", "a@b\nx", "h" }, "--rcpt" },
        { "--domain with CRLF", { "--domain", "a\r\nRSET", "h" },
          "--domain: must be 1..255 characters" },
        { "--domain empty", { "--domain=", "h" }, "--domain" },
        { "--list-rules with a target", { "--list-rules", "h" }, "unexpected argument \"h\"" },
        { "--rules-dir without value", { "h", "--rules-dir" },
          "option \"--rules-dir\" needs a value" },
        { "three --rcpt", { "--rcpt", "a", "--rcpt", "b", "--rcpt", "c" }, "--rcpt: given more than twice" },
        { "--max-line 511", { "--max-line", "511", "h" }, "--max-line" },
        { "missing target", { "-v" }, "missing TARGET" },
        { "no arguments", { NULL }, "missing TARGET" },
        { "two targets", { "h1", "h2" }, "unexpected argument \"h2\"" },
        { "--list with two args", { "--list", "a", "b" }, "unexpected argument" },
        { "unknown long option", { "--bogus", "h" }, "unknown option \"--bogus\"" },
        { "unknown short option", { "-x", "h" }, "unknown option \"-x\"" },
        { "missing value", { "h", "--timeout" }, "option \"--timeout\" needs a value" },
        { "missing short value", { "h", "-j" }, "option \"-j\" needs a value" },
        { "flag with a value", { "--strict=1", "h" }, "--strict" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[200];
        const char *const *a = bad[i].a;
        rc = parse_args(&o, err, sizeof err, a[0], a[1], a[2], a[3], a[4], a[5],
                        (const char *)NULL);
        snprintf(name, sizeof name, "options: %s is refused", bad[i].label);
        CHECK_INT(rc, -1, name);
        snprintf(name, sizeof name, "options: %s message", bad[i].label);
        CHECK_CONTAINS(err, bad[i].phrase, name);
    }

    /* An unknown short option followed by more letters in the same word:
     * the message must name the option (optopt), and the next parse must
     * start afresh (glibc keeps its position inside the word unless
     * optind is reset to 0). */
    rc = ARGS("-xv", "h");
    CHECK_INT(rc, -1, "options: -xv is refused");
    CHECK(strstr(err, "\"-x\"") != NULL, "options: -xv message names the option");
    rc = ARGS("h");
    CHECK(rc == 0 && o.verbose == 0 && o.target && strcmp(o.target, "h") == 0,
          "options: a parse after a failed -xv starts afresh");
    rc = ARGS("-q", "--html", "r.html", "h");
    CHECK(rc == 0 && o.quiet == 1 && o.html_path && strcmp(o.html_path, "r.html") == 0,
          "options: -q and --html FILE");
    rc = ARGS("--quiet", "h");
    CHECK(rc == 0 && o.quiet == 1 && o.html_path == NULL, "options: --quiet; no --html");
}

/* Exchanges keep the first bytes and count them all; a retired case
 * keeps 512 bytes and the reply's code without its lines. */
static void test_exchange_bounds(void)
{
    struct case_result c;
    memset(&c, 0, sizeof c);
    c.ex = calloc(1, sizeof *c.ex);
    c.nex = 1;
    struct exchange *e = &c.ex[0];
    static char big[40000];
    memset(big, 'x', sizeof big);
    exchange_received(e, big, sizeof big);
    exchange_received(e, big, 10);
    CHECK_INT(e->received.len, EXCHANGE_KEEP_RECEIVED, "received: the first EXCHANGE_KEEP_RECEIVED bytes kept");
    CHECK_INT(e->received_total, sizeof big + 10, "received: every byte counted");
    for (int i = 0; i < 3; i++)
        exchange_sent(e, big, sizeof big);
    CHECK_INT(e->sent.len, EXCHANGE_KEEP_SENT, "sent: the first 65536 bytes kept");
    CHECK_INT(e->sent_total, 3 * sizeof big, "sent: every byte counted");
    CHECK_INT(reply_parse("250-a\r\n250 b\r\n", 14, &e->reply), 0, "reply parsed");
    e->has_reply = 1;
    case_result_retire(&c);
    CHECK_INT(e->received.len, EXCHANGE_KEEP_RETIRED, "retired: 512 received bytes kept");
    CHECK_INT(e->sent.len, EXCHANGE_KEEP_RETIRED, "retired: 512 sent bytes kept");
    CHECK(e->received.cap == EXCHANGE_KEEP_RETIRED + 1, "retired: spare capacity given back");
    CHECK(e->reply.code == 250 && e->reply.raw == NULL, "retired: the code stays, the lines go");
    CHECK(c.retired, "retired: marked");
    case_result_free(&c);
}

/* baseline.h: parsing, errors with file:line, lookups. */
static void test_baseline(void)
{
    char path[] = "/tmp/test_misc_baseline.XXXXXX", err[512] = "";
    int fd = mkstemp(path);
    static const char good[] = "# comment\n\n5321-2.3.8-crlf-only NOOP 250  # bare LF\n"
                               "  5321-3.8-no-close QUIT -\n";
    CHECK(fd >= 0 && write(fd, good, sizeof good - 1) == (ssize_t)(sizeof good - 1),
          "baseline: temp file written");
    close(fd);
    struct baseline *b = NULL;
    CHECK_INT(baseline_load(path, &b, err, sizeof err), 0, "baseline: a good file loads");
    if (b) {
        CHECK_INT((int)b->n, 2, "baseline: two entries (comments and blanks skipped)");
        const struct baseline_entry *e = baseline_find(b, "5321-2.3.8-crlf-only", "NOOP", 250);
        CHECK(e && e->line == 3 && e->comment && strcmp(e->comment, "bare LF") == 0,
              "baseline: entry found, with its line and comment");
        CHECK(baseline_find(b, "5321-3.8-no-close", "QUIT", -1) != NULL,
              "baseline: \"-\" is a finding without a reply code");
        CHECK(baseline_find(b, "5321-2.3.8-crlf-only", "NOOP", 251) == NULL,
              "baseline: another code is another finding");
        baseline_free(b);
    }
    static const struct { const char *text; const char *want; } bad[] = {
        { "a b\n", ":1: expected \"RULE COMMAND CODE\"" },
        { "# x\na b c d\n", ":2: expected" },
        { "a b 2500\n", ":1: the reply code is three digits" },
        { "a b 25x\n", ":1: the reply code" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *f = fopen(path, "w");
        if (f) {
            fputs(bad[i].text, f);
            fclose(f);
        }
        b = NULL;
        char name[128];
        snprintf(name, sizeof name, "baseline: bad file %zu is refused with file:line", i);
        int rc = baseline_load(path, &b, err, sizeof err);
        tap_result_(rc == -1 && b == NULL && strncmp(err, path, strlen(path)) == 0 &&
                    strstr(err, bad[i].want) != NULL, name, "rc %d, \"%s\"", rc, err);
    }
    unlink(path);
    CHECK_INT(baseline_load("/nonexistent/baseline", &b, err, sizeof err), -1,
              "baseline: a missing file is an error");
}

int main(void)
{
    test_exchange_bounds();
    test_wire_escape();
    test_buf();
    test_target();
    test_options();
    test_baseline();
    return done_testing();
}
