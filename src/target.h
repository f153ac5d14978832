/* target.h - the TARGET argument: smtp://host[:port], smtps://host[:port]
 * or host[:port]; IPv6 literals in brackets. */
#ifndef SMTPSPEC_TARGET_H
#define SMTPSPEC_TARGET_H

#include <stddef.h>

struct target {
    char host[256];     /* (url has room for scheme, brackets, port) */     /* without brackets */
    int port;
    int tls;            /* smtps:// (implicit TLS, RFC 8314) */
    char domain[256 + 8]; /* host, or "[1.2.3.4]" / "[IPv6:...]" (RFC 5321 §4.1.3) */
    char url[300 + 32];      /* normalised: scheme://host:port */
};

/* Returns 0, or -1 with a message in err. */
int target_parse(const char *s, struct target *t, char *err, size_t errlen);

#endif
