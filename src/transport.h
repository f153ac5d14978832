/* transport.h - one raw connection to the target: libcurl does name
 * resolution and connect; bytes go through curl_easy_send/curl_easy_recv,
 * or through OpenSSL once TLS is on (smtps, or STARTTLS), with poll() and
 * deadlines. */
#ifndef SMTPSPEC_TRANSPORT_H
#define SMTPSPEC_TRANSPORT_H

#include <stddef.h>

#include "tls.h"

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
    const char *cafile;     /* --cacert: more trusted CAs, or NULL */
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

/* Starts TLS on the connection (after a 220 to STARTTLS): the handshake
 * with o's host (SNI, verification), within timeout_ms.  A certificate
 * that fails verification does not fail it: see conn_tls_facts.  Returns
 * 0, or -1 with OpenSSL's reason in err (the connection is then unusable). */
int conn_start_tls(struct conn *c, const struct conn_opts *o, long timeout_ms,
                   char *err, size_t errlen);

/* What the handshake showed, or NULL while the connection is plain. */
const struct tls_facts *conn_tls_facts(const struct conn *c);

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
