/* target.c - parsing the TARGET argument. */
#include "target.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parse_port(const char *s, int *port)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return -1;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || v < 1 || v > 65535)
        return -1;
    *port = (int)v;
    return 0;
}

/* Host names and IPv4 literals: letters, digits, '-', '.', '_'. */
static int valid_host(const char *h)
{
    if (!*h)
        return 0;
    for (; *h; h++)
        if (!isalnum((unsigned char)*h) && *h != '-' && *h != '.' && *h != '_')
            return 0;
    return 1;
}

static int valid_v6(const char *h)
{
    if (!*h)
        return 0;
    for (; *h; h++)
        if (!isxdigit((unsigned char)*h) && *h != ':' && *h != '.')
            return 0;
    return 1;
}

int target_parse(const char *s, struct target *t, char *err, size_t errlen)
{
    char rest[300];
    memset(t, 0, sizeof *t);
    t->port = 25;
    if (strncasecmp(s, "smtps://", 8) == 0) {
        t->tls = 1;
        t->port = 465;
        s += 8;
    } else if (strncasecmp(s, "smtp://", 7) == 0) {
        s += 7;
    } else if (strstr(s, "://")) {
        snprintf(err, errlen, "target \"%s\": only smtp:// and smtps:// are supported", s);
        return -1;
    }
    if (strlen(s) >= sizeof rest) {
        snprintf(err, errlen, "target too long");
        return -1;
    }
    strcpy(rest, s);
    size_t n = strlen(rest);
    if (n > 0 && rest[n - 1] == '/')
        rest[--n] = '\0';
    char *slash = strchr(rest, '/');
    if (slash) {
        snprintf(err, errlen, "target \"%s\": a path (\"%s\") is not allowed; give "
                 "smtp://host[:port]", s, slash);
        return -1;
    }
    char *port = NULL;
    if (rest[0] == '[') {
        char *close = strchr(rest, ']');
        if (!close || (close[1] != '\0' && close[1] != ':')) {
            snprintf(err, errlen, "target \"%s\": bad IPv6 literal", s);
            return -1;
        }
        *close = '\0';
        port = close[1] == ':' ? close + 2 : NULL;
        if (!valid_v6(rest + 1) || strlen(rest + 1) >= sizeof t->host) {
            snprintf(err, errlen, "target \"%s\": bad IPv6 literal", s);
            return -1;
        }
        memcpy(t->host, rest + 1, strlen(rest + 1) + 1);
    } else {
        char *colon = strchr(rest, ':');
        if (colon) {
            *colon = '\0';
            port = colon + 1;
        }
        if (!valid_host(rest) || strlen(rest) >= sizeof t->host) {
            snprintf(err, errlen, "target \"%s\": bad host name (IPv6 literals go in brackets)", s);
            return -1;
        }
        memcpy(t->host, rest, strlen(rest) + 1);
    }
    if (port && parse_port(port, &t->port) != 0) {
        snprintf(err, errlen, "target \"%s\": port must be 1..65535", s);
        return -1;
    }
    int v6 = strchr(t->host, ':') != NULL;
    int v4 = strspn(t->host, "0123456789.") == strlen(t->host);
    snprintf(t->domain, sizeof t->domain, "%s%s%s", v6 ? "[IPv6:" : v4 ? "[" : "",
             t->host, v6 || v4 ? "]" : "");
    snprintf(t->url, sizeof t->url, "%s://%s%s%s:%d", t->tls ? "smtps" : "smtp",
             v6 ? "[" : "", t->host, v6 ? "]" : "", t->port);
    return 0;
}
