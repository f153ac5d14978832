/* tls.h - the client side of a TLS session on a socket that is already
 * connected (and non-blocking): STARTTLS on libcurl's socket, and implicit
 * TLS, both through OpenSSL.  The handshake never fails because of the
 * certificate: verification is done, its result recorded in the facts, and
 * the caller decides what it means (see README, "TLS"). */
#ifndef SMTPSPEC_TLS_H
#define SMTPSPEC_TLS_H

#include <stddef.h>

enum tls_io {
    TLS_IO_OK = 0,
    TLS_IO_WANT_READ,   /* poll for POLLIN, then call again */
    TLS_IO_WANT_WRITE,  /* poll for POLLOUT, then call again */
    TLS_IO_EOF,         /* the peer closed (with or without close_notify) */
    TLS_IO_ERROR        /* see tls_error() */
};

#define TLS_MAX_SANS 16

/* What a handshake showed: every string is printable ASCII (other bytes
 * as \xHH), possibly cut short. */
struct tls_facts {
    int done;                   /* the handshake completed */
    char version[16];           /* "TLSv1.3" */
    char cipher[64];            /* OpenSSL's name, "TLS_AES_256_GCM_SHA384" */
    char sni[256];              /* the server name sent, "" for an IP target */
    int has_cert;
    char subject[512];          /* RFC 2253 */
    char issuer[512];
    char sans[TLS_MAX_SANS][128]; /* "DNS:mx.example.org", "IP:192.0.2.1" */
    int nsans;
    char not_before[32];        /* "2026-01-01T00:00:00Z" */
    char not_after[32];
    char key_type[16];          /* "RSA", "EC", "ED25519", ... */
    int key_bits;
    int chain_length;           /* certificates the server sent */
    int verify_done;            /* 0 under --insecure */
    int verified;               /* chain and name verified */
    long verify_code;           /* X509_V_OK (0) or the X509_V_ERR_* code */
    char verify_reason[160];    /* OpenSSL's text for verify_code */
};

struct tls_opts {
    const char *host;           /* the target: SNI (names only) and the name verified */
    const char *cafile;         /* an extra CA bundle (--cacert), or NULL */
    int insecure;               /* do not verify */
};

struct tls;

/* Sets up a session on fd.  Returns NULL with a message in err.  The
 * session is freed with tls_free, which leaves fd open. */
struct tls *tls_new(int fd, const struct tls_opts *o, char *err, size_t errlen);
/* One step of the handshake. */
enum tls_io tls_handshake(struct tls *t);
/* Read / write at most n bytes; TLS_IO_OK sets *done > 0. */
enum tls_io tls_read(struct tls *t, void *buf, size_t cap, size_t *done);
enum tls_io tls_write(struct tls *t, const void *p, size_t n, size_t *done);
/* Bytes already decrypted, which poll() cannot see. */
int tls_pending(const struct tls *t);
/* Why the last call failed: OpenSSL's error text (static storage in t). */
const char *tls_error(const struct tls *t);
/* Fills *f from the finished handshake. */
void tls_get_facts(const struct tls *t, struct tls_facts *f);
void tls_free(struct tls *t);

/* Loads the CA bundle once, for a clear error before any connection:
 * 0, or -1 with a message. */
int tls_check_cafile(const char *path, char *err, size_t errlen);

#endif
