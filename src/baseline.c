/* baseline.c - reading, matching and writing baseline files (baseline.h). */
#include "baseline.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "report.h"

#define LINE_MAX_LEN 4096

static int perr(char *err, size_t len, const char *path, int line, const char *msg)
{
    snprintf(err, len, "%s:%d: %s", path, line, msg);
    return -1;
}

static char *trimmed(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* One line: "RULE COMMAND CODE [# comment]" into e; 1 for a blank or
 * comment line, 0 for an entry, -1 for an error (message in why). */
static int parse_line(char *text, struct baseline_entry *e, const char **why)
{
    char *hash = strchr(text, '#'), rule[256], command[64], code[16], extra;
    if (hash)
        *hash = '\0';
    text = trimmed(text);
    if (!*text)
        return 1;
    int got = sscanf(text, "%255s %63s %15s %c", rule, command, code, &extra);
    if (got != 3) {
        *why = "expected \"RULE COMMAND CODE\" (CODE a reply code or -), then an optional "
               "# comment";
        return -1;
    }
    char *end = NULL;
    long c = strcmp(code, "-") == 0 ? -1 : strtol(code, &end, 10);
    if (c != -1 && (*end || c < 100 || c > 999)) {
        *why = "the reply code is three digits, or - for a finding without a reply";
        return -1;
    }
    e->rule = strdup(rule);
    e->command = strdup(command);
    e->code = (int)c;
    e->comment = hash ? strdup(trimmed(hash + 1)) : NULL;
    return 0;
}

int baseline_load(const char *path, struct baseline **out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    *out = NULL;
    if (!f) {
        snprintf(err, errlen, "--baseline: cannot read %s", path);
        return -1;
    }
    struct baseline *b = calloc(1, sizeof *b);
    char text[LINE_MAX_LEN];
    int line = 0, rc = b ? 0 : perr(err, errlen, path, 0, "out of memory");
    while (rc == 0 && fgets(text, sizeof text, f)) {
        const char *why = NULL;
        struct baseline_entry e = { .line = ++line };
        if (!strchr(text, '\n') && !feof(f)) {
            rc = perr(err, errlen, path, line, "line too long");
            break;
        }
        int kind = parse_line(text, &e, &why);
        if (kind < 0)
            rc = perr(err, errlen, path, line, why);
        if (kind != 0)
            continue;
        struct baseline_entry *v = realloc(b->v, (b->n + 1) * sizeof *v);
        if (!v || !e.rule || !e.command) {
            free(e.rule), free(e.command), free(e.comment);
            rc = perr(err, errlen, path, line, "out of memory");
            break;
        }
        b->v = v;
        b->v[b->n++] = e;
    }
    fclose(f);
    if (rc != 0) {
        baseline_free(b);
        return -1;
    }
    *out = b;
    return 0;
}

void baseline_free(struct baseline *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        free(b->v[i].rule);
        free(b->v[i].command);
        free(b->v[i].comment);
    }
    free(b->v);
    free(b);
}

struct baseline_entry *baseline_find(const struct baseline *b, const char *rule,
                                     const char *command, int code)
{
    for (size_t i = 0; b && i < b->n; i++)
        if (b->v[i].code == code && strcmp(b->v[i].rule, rule) == 0 &&
            strcmp(b->v[i].command, command) == 0)
            return &b->v[i];
    return NULL;
}

size_t baseline_mark(struct baseline *b, const struct behaviours *bs, int v)
{
    size_t fresh = 0;
    for (size_t i = 0; i < bs->n; i++) {
        const struct behaviour *h = &bs->v[i];
        struct baseline_entry *e = baseline_find(b, h->rule->id, h->command, h->code);
        if (e)
            e->seen = 1;
        else if ((int)h->verdict == v)
            fresh++;
    }
    return fresh;
}

int baseline_write(const char *path, const struct behaviours *bs, char *err, size_t errlen)
{
    struct buf out = BUF_INIT;
    buf_printf(&out, "# smtpspec baseline: accepted findings, one a line: RULE COMMAND CODE\n"
               "# (CODE - when there was no reply), then an optional # comment.\n");
    for (size_t i = 0; i < bs->n; i++) {
        const struct behaviour *h = &bs->v[i];
        char code[16] = "-";
        if (h->code >= 0)
            snprintf(code, sizeof code, "%d", h->code);
        buf_printf(&out, "%s %s %s  # %s, seen in %zu case%s (%s)\n", h->rule->id, h->command,
                   code, verdict_name(h->verdict), h->ncases, h->ncases == 1 ? "" : "s",
                   h->example_case->def->id);
    }
    int rc = out.data ? write_file_atomic(path, out.data, out.len, err, errlen) : -1;
    if (!out.data)
        snprintf(err, errlen, "out of memory");
    buf_free(&out);
    return rc;
}
