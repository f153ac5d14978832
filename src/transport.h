/* transport.h - one raw connection to the target: libcurl does name
 * resolution, connect and (for smtps) the TLS handshake; then bytes go
 * through curl_easy_send/curl_easy_recv with poll() and deadlines. */
#ifndef SMTPSPEC_TRANSPORT_H
#define SMTPSPEC_TRANSPORT_H

#include <stddef.h>

enum io_status {
    IO_OK = 0,
    IO_TIMEOUT,     /* nothing (more) within the time allowed */
    IO_EOF,         /* the peer closed the connection cleanly */
    IO_RESET,       /* the connection was reset (or another receive error) */
    IO_ERROR,       /* local failure (send error, out of memory) */
    IO_CANCELLED    /* transport_cancel was called: the run is stopping */
};

const char *io_status_name(enum io_status s);

struct conn_opts {
    const char *host;       /* name or IP literal, without brackets */
    int port;
    int tls;                /* implicit TLS (smtps) */
    int insecure;           /* do not verify the certificate */
    long connect_timeout_ms;
};

struct conn;

/* Makes every wait in progress and every later one end at once with
 * IO_CANCELLED (and a connect in progress fail).  Safe to call from a
 * signal handler; there is no way back. */
void transport_cancel(void);
int transport_cancelled(void);
/* Sleeps ms, less when transport_cancel is called; -1 then. */
int transport_sleep(long ms);

/* Opens a connection.  Returns 0 and sets *out (closed with conn_close),
 * or -1 with a message in err. */
int conn_open(const struct conn_opts *o, struct conn **out, char *err, size_t errlen);

/* Sends all n bytes within timeout_ms. */
enum io_status conn_send(struct conn *c, const void *p, size_t n, long timeout_ms);

/* Waits up to timeout_ms for bytes; IO_OK means *got > 0. */
enum io_status conn_recv(struct conn *c, void *buf, size_t cap, size_t *got,
                         long timeout_ms);

/* "127.0.0.1:2525" of the connected peer (static storage in c). */
const char *conn_peer(const struct conn *c);

/* Closes the socket; sends nothing.  NULL is fine. */
void conn_close(struct conn *c);

#endif
