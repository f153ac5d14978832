/* tls.c - OpenSSL client sessions on a connected socket.
 *
 * Facts this relies on (../shared/reference/transport-notes.md, §3):
 * - SSL_set_fd on libcurl's socket works; SSL_free leaves the fd open.
 * - The socket is non-blocking: the handshake, reads and writes return
 *   WANT_READ / WANT_WRITE, and the caller polls.
 * - Without SSL_OP_IGNORE_UNEXPECTED_EOF, a close without close_notify is
 *   an error; with it, a clean EOF.
 *
 * Verification runs with SSL_VERIFY_NONE, so that a bad certificate is a
 * fact to report and not a failed handshake: OpenSSL still verifies the
 * chain (and, with SSL_set1_host, the name) and keeps the result for
 * SSL_get_verify_result. */
#include "tls.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct tls {
    SSL_CTX *ctx;
    SSL *ssl;
    int insecure;
    char sni[256];
    char error[256];
};

/* Copies n bytes of src into dst as printable ASCII (\xHH otherwise). */
static void printable(char *dst, size_t cap, const unsigned char *src, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        if (src[i] >= 0x20 && src[i] < 0x7f)
            dst[o++] = (char)src[i];
        else
            o += (size_t)snprintf(dst + o, cap - o, "\\x%02X", src[i]);
    }
    dst[o] = '\0';
}

/* OpenSSL's queued errors, the last first, into t->error. */
static void take_error(struct tls *t, const char *what)
{
    unsigned long e = ERR_get_error(), last = e;
    while (e) {
        last = e;
        e = ERR_get_error();
    }
    if (last) {
        char buf[200];
        ERR_error_string_n(last, buf, sizeof buf);
        snprintf(t->error, sizeof t->error, "%s: %s", what, buf);
    } else {
        snprintf(t->error, sizeof t->error, "%s: %s", what,
                 errno ? strerror(errno) : "the server closed the connection");
    }
}

static int is_ip_literal(const char *host)
{
    unsigned char addr[16];
    return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

static int load_cafile(SSL_CTX *ctx, const char *path, char *err, size_t errlen)
{
    if (SSL_CTX_load_verify_locations(ctx, path, NULL) == 1)
        return 0;
    unsigned long e = ERR_get_error();
    char buf[200] = "no certificates in it";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    snprintf(err, errlen, "--cacert %s: cannot load it (%s)", path, buf);
    return -1;
}

int tls_check_cafile(const char *path, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = load_cafile(ctx, path, err, errlen);
    SSL_CTX_free(ctx);
    return rc;
}

struct tls *tls_new(int fd, const struct tls_opts *o, char *err, size_t errlen)
{
    struct tls *t = calloc(1, sizeof *t);
    if (!t || !(t->ctx = SSL_CTX_new(TLS_client_method()))) {
        free(t);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->insecure = o->insecure;
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(t->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (!o->insecure) {
        SSL_CTX_set_default_verify_paths(t->ctx);
        if (o->cafile && load_cafile(t->ctx, o->cafile, err, errlen) != 0) {
            tls_free(t);
            return NULL;
        }
    }
    if (!(t->ssl = SSL_new(t->ctx)) || SSL_set_fd(t->ssl, fd) != 1) {
        snprintf(err, errlen, "cannot set up TLS on the socket");
        tls_free(t);
        return NULL;
    }
    /* RFC 6066 §3: no IP literal in SNI. */
    if (!is_ip_literal(o->host)) {
        snprintf(t->sni, sizeof t->sni, "%s", o->host);
        SSL_set_tlsext_host_name(t->ssl, t->sni);
        if (!o->insecure)
            SSL_set1_host(t->ssl, o->host);
    } else if (!o->insecure) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), o->host);
    }
    SSL_set_connect_state(t->ssl);
    return t;
}

/* Maps an SSL_* return value to tls_io, recording errors. */
static enum tls_io outcome(struct tls *t, int rc, const char *what)
{
    switch (SSL_get_error(t->ssl, rc)) {
    case SSL_ERROR_NONE:
        return TLS_IO_OK;
    case SSL_ERROR_WANT_READ:
        return TLS_IO_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return TLS_IO_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        return TLS_IO_EOF;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0 && errno == 0) {
            snprintf(t->error, sizeof t->error, "%s: the server closed the connection", what);
            return TLS_IO_EOF;
        }
        /* fall through */
    default:
        take_error(t, what);
        return TLS_IO_ERROR;
    }
}

enum tls_io tls_handshake(struct tls *t)
{
    ERR_clear_error();
    errno = 0;
    int rc = SSL_connect(t->ssl);
    if (rc == 1)
        return TLS_IO_OK;
    enum tls_io io = outcome(t, rc, "TLS handshake failed");
    /* A close in the middle of a handshake is a failure, not an EOF. */
    if (io == TLS_IO_EOF) {
        snprintf(t->error, sizeof t->error,
                 "TLS handshake failed: the server closed the connection");
        return TLS_IO_ERROR;
    }
    return io;
}

enum tls_io tls_read(struct tls *t, void *buf, size_t cap, size_t *done)
{
    *done = 0;
    ERR_clear_error();
    errno = 0;
    int rc = SSL_read_ex(t->ssl, buf, cap, done);
    return rc == 1 ? TLS_IO_OK : outcome(t, 0, "TLS read failed");
}

enum tls_io tls_write(struct tls *t, const void *p, size_t n, size_t *done)
{
    *done = 0;
    ERR_clear_error();
    errno = 0;
    int rc = SSL_write_ex(t->ssl, p, n, done);
    return rc == 1 ? TLS_IO_OK : outcome(t, 0, "TLS write failed");
}

int tls_pending(const struct tls *t)
{
    return SSL_pending(t->ssl) > 0;
}

const char *tls_error(const struct tls *t)
{
    return t->error[0] ? t->error : "TLS failed";
}

static void name_text(const X509_NAME *name, char *dst, size_t cap)
{
    BIO *b = BIO_new(BIO_s_mem());
    dst[0] = '\0';
    if (!b)
        return;
    X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253);
    char *p;
    long n = BIO_get_mem_data(b, &p);
    printable(dst, cap, (const unsigned char *)p, n > 0 ? (size_t)n : 0);
    BIO_free(b);
}

static void time_text(const ASN1_TIME *at, char *dst, size_t cap)
{
    struct tm tm;
    if (!at || ASN1_TIME_to_tm(at, &tm) != 1) {
        snprintf(dst, cap, "?");
        return;
    }
    strftime(dst, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void sans_of(X509 *cert, struct tls_facts *f)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    int n = names ? sk_GENERAL_NAME_num(names) : 0;
    for (int i = 0; i < n && f->nsans < TLS_MAX_SANS; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        char *dst = f->sans[f->nsans];
        size_t cap = sizeof f->sans[0];
        if (g->type == GEN_DNS) {
            strcpy(dst, "DNS:");
            printable(dst + 4, cap - 4, ASN1_STRING_get0_data(g->d.dNSName),
                      (size_t)ASN1_STRING_length(g->d.dNSName));
        } else if (g->type == GEN_IPADD) {
            int len = ASN1_STRING_length(g->d.iPAddress);
            char ip[INET6_ADDRSTRLEN] = "?";
            if (len == 4 || len == 16)
                inet_ntop(len == 4 ? AF_INET : AF_INET6,
                          ASN1_STRING_get0_data(g->d.iPAddress), ip, sizeof ip);
            snprintf(dst, cap, "IP:%s", ip);
        } else {
            continue;
        }
        f->nsans++;
    }
    GENERAL_NAMES_free(names);
}

static void cert_facts(X509 *cert, struct tls_facts *f)
{
    f->has_cert = 1;
    name_text(X509_get_subject_name(cert), f->subject, sizeof f->subject);
    name_text(X509_get_issuer_name(cert), f->issuer, sizeof f->issuer);
    time_text(X509_get0_notBefore(cert), f->not_before, sizeof f->not_before);
    time_text(X509_get0_notAfter(cert), f->not_after, sizeof f->not_after);
    sans_of(cert, f);
    EVP_PKEY *key = X509_get0_pubkey(cert);
    if (key) {
        const char *type = EVP_PKEY_get0_type_name(key);
        snprintf(f->key_type, sizeof f->key_type, "%s", type ? type : "?");
        f->key_bits = EVP_PKEY_get_bits(key);
    }
}

void tls_get_facts(const struct tls *t, struct tls_facts *f)
{
    memset(f, 0, sizeof *f);
    f->done = 1;
    snprintf(f->version, sizeof f->version, "%s", SSL_get_version(t->ssl));
    const SSL_CIPHER *c = SSL_get_current_cipher(t->ssl);
    snprintf(f->cipher, sizeof f->cipher, "%s", c ? SSL_CIPHER_get_name(c) : "?");
    snprintf(f->sni, sizeof f->sni, "%s", t->sni);
    X509 *cert = SSL_get0_peer_certificate(t->ssl);
    if (cert)
        cert_facts(cert, f);
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(t->ssl);
    f->chain_length = chain ? sk_X509_num(chain) : 0;
    f->verify_done = !t->insecure;
    if (f->verify_done) {
        f->verify_code = cert ? SSL_get_verify_result(t->ssl) : X509_V_ERR_UNSPECIFIED;
        f->verified = cert && f->verify_code == X509_V_OK;
        snprintf(f->verify_reason, sizeof f->verify_reason, "%s",
                 cert ? X509_verify_cert_error_string(f->verify_code)
                      : "the server sent no certificate");
    }
}

void tls_free(struct tls *t)
{
    if (!t)
        return;
    SSL_free(t->ssl);
    SSL_CTX_free(t->ctx);
    free(t);
}
