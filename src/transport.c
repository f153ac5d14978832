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

struct conn {
    CURL *curl;
    curl_socket_t fd;
    char peer[96];
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
    int n = snprintf(url, len, "%s://%s%s%s:%d/", o->tls ? "https" : "http",
                     v6 ? "[" : "", o->host, v6 ? "]" : "", o->port);
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
    if (o->tls) {
        curl_easy_setopt(h, CURLOPT_SSL_ENABLE_ALPN, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
    }
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "cannot connect to %s port %d: %s%s", o->host,
                 o->port, curl_easy_strerror(rc),
                 rc == CURLE_PEER_FAILED_VERIFICATION ? " (see --insecure)" : "");
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
    *out = c;
    return 0;
}

enum io_status conn_send(struct conn *c, const void *p, size_t n, long timeout_ms)
{
    long long deadline = clock_ms() + timeout_ms;
    const char *s = p;
    while (n > 0) {
        if (cancelled)
            return IO_CANCELLED;
        size_t sent = 0;
        CURLcode rc = curl_easy_send(c->curl, s, n, &sent);
        if (rc == CURLE_OK) {
            s += sent;
            n -= sent;
            continue;
        }
        if (rc != CURLE_AGAIN)
            return IO_RESET;
        long left = (long)(deadline - clock_ms());
        int w = left > 0 ? wait_fd(c->fd, POLLOUT, left) : 0;
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
        if (cancelled)
            return IO_CANCELLED;
        CURLcode rc = curl_easy_recv(c->curl, buf, cap, &n);
        if (rc == CURLE_OK) {
            *got = n;
            return n > 0 ? IO_OK : IO_EOF;
        }
        if (rc != CURLE_AGAIN)
            return IO_RESET;
        long left = (long)(deadline - clock_ms());
        if (left <= 0)
            return IO_TIMEOUT;
        int w = wait_fd(c->fd, POLLIN, left);
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
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c);
}
