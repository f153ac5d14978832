/* transport.c - raw connections through libcurl's CONNECT_ONLY mode.
 *
 * Facts this relies on (../shared/reference/transport-notes.md):
 * - smtp:// and smtps:// URLs make libcurl read the greeting and send EHLO
 *   itself, so the connection is opened as http:// (plain) or https://
 *   with ALPN off (implicit TLS): both connect and send nothing.
 * - Those schemes obey proxy environment variables: CURLOPT_PROXY "".
 * - TLS data already decrypted is invisible to poll(), so every wait
 *   first tries curl_easy_recv and polls only on CURLE_AGAIN.
 * - curl_easy_recv returns OK with 0 bytes at EOF and CURLE_RECV_ERROR on
 *   a reset.
 * - TLS, implicit or after STARTTLS, is OpenSSL's on the same socket
 *   (tls.c): libcurl cannot upgrade a live connection, and one TLS path
 *   gives both the same certificate facts and verification.  Once TLS is
 *   on, libcurl's send/recv are never called again.
 *
 * Cancelling: a pipe that every poll() also watches; transport_cancel()
 * writes to it (async-signal-safe), so waits in every thread wake. */
#include "transport.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "tls.h"

struct conn {
    CURL *curl;
    curl_socket_t fd;
    char peer[96];
    struct tls *tls;            /* after a handshake (smtps or STARTTLS) */
    struct tls_facts facts;     /* what the handshake showed */
};

static int cancel_pipe[2] = { -1, -1 };
static volatile sig_atomic_t cancelled;
static pthread_once_t cancel_once = PTHREAD_ONCE_INIT;

static void cancel_init(void)
{
    if (pipe(cancel_pipe) != 0) {
        cancel_pipe[0] = cancel_pipe[1] = -1;
        return;
    }
    for (int i = 0; i < 2; i++)
        fcntl(cancel_pipe[i], F_SETFL, fcntl(cancel_pipe[i], F_GETFL) | O_NONBLOCK);
}

void transport_cancel(void)
{
    cancelled = 1;
    if (cancel_pipe[1] >= 0) {
        ssize_t rc = write(cancel_pipe[1], "x", 1);
        (void)rc;
    }
}

int transport_cancelled(void)
{
    return cancelled != 0;
}

int transport_sleep(long ms)
{
    pthread_once(&cancel_once, cancel_init);
    struct pollfd pfd = { .fd = cancel_pipe[0], .events = POLLIN };
    long long deadline = clock_ms() + ms;
    long left;
    while (!cancelled && (left = (long)(deadline - clock_ms())) > 0)
        poll(&pfd, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
    return cancelled ? -1 : 0;
}

const char *io_status_name(enum io_status s)
{
    static const char *const names[] = { "ok", "timeout", "eof", "reset", "error",
                                         "cancelled" };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

/* >0 ready, 0 timeout, <0 error or cancelled (see transport_cancelled). */
static int wait_fd(curl_socket_t fd, short events, long timeout_ms)
{
    struct pollfd pfd[2] = { { .fd = fd, .events = events },
                             { .fd = cancel_pipe[0], .events = POLLIN } };
    if (cancelled)
        return -1;
    if (timeout_ms < 0)
        timeout_ms = 0;
    int rc = poll(pfd, 2, timeout_ms > 0x7fffffff ? 0x7fffffff : (int)timeout_ms);
    return cancelled ? -1 : rc;
}

/* libcurl calls this while connecting: a nonzero return aborts. */
static int connect_progress(void *p, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)p, (void)a, (void)b, (void)c, (void)d;
    return cancelled != 0;
}

static int build_url(const struct conn_opts *o, char *url, size_t len)
{
    int v6 = strchr(o->host, ':') != NULL;
    int n = snprintf(url, len, "http://%s%s%s:%d/", v6 ? "[" : "", o->host,
                     v6 ? "]" : "", o->port);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

int conn_open(const struct conn_opts *o, struct conn **out, char *err, size_t errlen)
{
    char url[600];
    *out = NULL;
    if (build_url(o, url, sizeof url) != 0) {
        snprintf(err, errlen, "host name too long");
        return -1;
    }
    pthread_once(&cancel_once, cancel_init);
    if (cancelled) {
        snprintf(err, errlen, "not connected: the run is being stopped");
        return -1;
    }
    struct conn *c = calloc(1, sizeof *c);
    if (!c || !(c->curl = curl_easy_init())) {
        free(c);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    CURL *h = c->curl;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, connect_progress);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "cannot connect to %s port %d: %s", o->host, o->port,
                 curl_easy_strerror(rc));
        conn_close(c);
        return -1;
    }
    curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &c->fd);
    char *ip = NULL;
    long port = 0;
    curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip);
    curl_easy_getinfo(h, CURLINFO_PRIMARY_PORT, &port);
    snprintf(c->peer, sizeof c->peer, "%s%s%s:%ld", ip && strchr(ip, ':') ? "[" : "",
             ip ? ip : "?", ip && strchr(ip, ':') ? "]" : "", port);
    if (o->tls && conn_start_tls(c, o, o->connect_timeout_ms, err, errlen) != 0) {
        conn_close(c);
        return -1;
    }
    *out = c;
    return 0;
}

/* Waits for what the TLS layer wants; 0 when it may go on. */
static enum io_status tls_wait(struct conn *c, enum tls_io want, long long deadline)
{
    long left = (long)(deadline - clock_ms());
    int w = left > 0 ? wait_fd(c->fd, want == TLS_IO_WANT_READ ? POLLIN : POLLOUT, left) : 0;
    if (w < 0 && cancelled)
        return IO_CANCELLED;
    return w == 0 ? IO_TIMEOUT : IO_OK;
}

int conn_start_tls(struct conn *c, const struct conn_opts *o, long timeout_ms,
                   char *err, size_t errlen)
{
    long long deadline = clock_ms() + timeout_ms;
    struct tls_opts to = { .host = o->host, .cafile = o->cafile, .insecure = o->insecure };
    if (c->tls) {
        snprintf(err, errlen, "TLS is already active");
        return -1;
    }
    struct tls *t = tls_new((int)c->fd, &to, err, errlen);
    if (!t)
        return -1;
    for (;;) {
        enum tls_io io = tls_handshake(t);
        if (io == TLS_IO_OK)
            break;
        enum io_status st = io == TLS_IO_WANT_READ || io == TLS_IO_WANT_WRITE
                          ? tls_wait(c, io, deadline) : IO_ERROR;
        if (st != IO_OK) {
            snprintf(err, errlen, "%s", st == IO_TIMEOUT
                     ? "TLS handshake failed: no answer within the time allowed"
                     : st == IO_CANCELLED ? "TLS handshake stopped: the run is being stopped"
                     : tls_error(t));
            tls_free(t);
            return -1;
        }
    }
    c->tls = t;
    tls_get_facts(t, &c->facts);
    return 0;
}

const struct tls_facts *conn_tls_facts(const struct conn *c)
{
    return c && c->tls ? &c->facts : NULL;
}

enum io_status conn_send(struct conn *c, const void *p, size_t n, long timeout_ms)
{
    long long deadline = clock_ms() + timeout_ms;
    const char *s = p;
    while (n > 0) {
        if (cancelled)
            return IO_CANCELLED;
        size_t sent = 0;
        short want = POLLOUT;
        if (c->tls) {
            /* SSL_write is retried with the same bytes (moving buffer allowed). */
            enum tls_io io = tls_write(c->tls, s, n, &sent);
            if (io == TLS_IO_OK) {
                s += sent;
                n -= sent;
                continue;
            }
            if (io != TLS_IO_WANT_READ && io != TLS_IO_WANT_WRITE)
                return IO_RESET;
            want = io == TLS_IO_WANT_READ ? POLLIN : POLLOUT;
        } else {
            CURLcode rc = curl_easy_send(c->curl, s, n, &sent);
            if (rc == CURLE_OK) {
                s += sent;
                n -= sent;
                continue;
            }
            if (rc != CURLE_AGAIN)
                return IO_RESET;
        }
        long left = (long)(deadline - clock_ms());
        int w = left > 0 ? wait_fd(c->fd, want, left) : 0;
        if (w < 0 && cancelled)
            return IO_CANCELLED;
        if (w == 0)
            return IO_TIMEOUT;
    }
    return IO_OK;
}

enum io_status conn_recv(struct conn *c, void *buf, size_t cap, size_t *got,
                         long timeout_ms)
{
    long long deadline = clock_ms() + timeout_ms;
    *got = 0;
    for (;;) {
        size_t n = 0;
        short want = POLLIN;
        if (cancelled)
            return IO_CANCELLED;
        if (c->tls) {
            enum tls_io io = tls_read(c->tls, buf, cap, &n);
            if (io == TLS_IO_OK) {
                *got = n;
                return IO_OK;
            }
            if (io == TLS_IO_EOF)
                return IO_EOF;
            if (io != TLS_IO_WANT_READ && io != TLS_IO_WANT_WRITE)
                return IO_RESET;
            want = io == TLS_IO_WANT_READ ? POLLIN : POLLOUT;
        } else {
            CURLcode rc = curl_easy_recv(c->curl, buf, cap, &n);
            if (rc == CURLE_OK) {
                *got = n;
                return n > 0 ? IO_OK : IO_EOF;
            }
            if (rc != CURLE_AGAIN)
                return IO_RESET;
        }
        long left = (long)(deadline - clock_ms());
        if (left <= 0)
            return IO_TIMEOUT;
        int w = wait_fd(c->fd, want, left);
        if (w < 0 && cancelled)
            return IO_CANCELLED;
        if (w == 0)
            return IO_TIMEOUT;
    }
}

const char *conn_peer(const struct conn *c)
{
    return c->peer;
}

void conn_close(struct conn *c)
{
    if (!c)
        return;
    tls_free(c->tls);   /* leaves the socket open; no close_notify is sent */
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c);
}
