/* rules.c - the rule catalog parser.
 *
 * A rules file is a sequence of "field value" lines; "rule ID" starts a
 * rule, "quote" lines accumulate (joined by one space), "#" starts a
 * comment.  A rule is complete when it has title, source, binds, keyword
 * and a quote; the verdict follows from the keyword alone. */
#include "rules.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define RULES_FILE_MAX (1u << 20)

static const struct {
    const char *keyword;
    enum verdict verdict;
} keywords[] = {
    { "MUST", V_FAIL }, { "MUST NOT", V_FAIL }, { "REQUIRED", V_FAIL },
    { "SHALL", V_FAIL }, { "SHALL NOT", V_FAIL },
    { "VIOLATION", V_FAIL },    /* "... is in violation of this specification" */
    { "ABNF", V_FAIL },         /* a grammar production the server must follow */
    { "must", V_FAIL },         /* RFC 821, before RFC 2119 */
    { "SHOULD", V_WARN }, { "SHOULD NOT", V_WARN }, { "RECOMMENDED", V_WARN },
    { "NOT RECOMMENDED", V_WARN },
    { "MAY", V_INFO }, { "OPTIONAL", V_INFO }, { "NONE", V_INFO },
};

enum verdict keyword_verdict(const char *keyword)
{
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (strcmp(keywords[i].keyword, keyword) == 0)
            return keywords[i].verdict;
    return V_PASS;
}

static int perr(char *err, size_t len, const char *name, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int perr(char *err, size_t len, const char *name, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(err, len, "%s:%d: %s", name, line, msg);
    return -1;
}

static void rule_free(struct rule *r)
{
    free(r->id);
    free(r->title);
    free(r->source);
    free(r->keyword);
    free(r->quote);
    free(r->note);
    free(r->file);
}

static int valid_id(const char *s)
{
    if (!*s)
        return 0;
    for (const char *p = s; *p; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '.' && *p != '-')
            return 0;
    return 1;
}

/* The rule just finished must be whole. */
static int finish(const struct catalog *cat, const char *name, char *err, size_t len)
{
    if (cat->n == 0)
        return 0;
    const struct rule *r = &cat->rules[cat->n - 1];
    const char *missing = !r->title ? "title" : !r->source ? "source" : !r->binds
                          ? "binds" : !r->keyword ? "keyword" : !r->quote ? "quote" : NULL;
    if (missing)
        return perr(err, len, name, r->line, "rule %s has no %s", r->id, missing);
    return 0;
}

static int set_field(char **field, const char *value, const char *what,
                     const char *name, int line, char *err, size_t len)
{
    if (*field)
        return perr(err, len, name, line, "%s given twice", what);
    *field = strdup(value);
    return *field ? 0 : perr(err, len, name, line, "out of memory");
}

static int start_rule(struct catalog *cat, const char *id, const char *name, int line,
                      char *err, size_t len)
{
    if (!valid_id(id))
        return perr(err, len, name, line, "bad rule id \"%s\": use a-z, 0-9, '.' and '-'", id);
    if (catalog_find(cat, id))
        return perr(err, len, name, line, "rule %s is defined twice", id);
    struct rule *rs = realloc(cat->rules, (cat->n + 1) * sizeof *rs);
    if (!rs)
        return perr(err, len, name, line, "out of memory");
    cat->rules = rs;
    struct rule *r = &rs[cat->n++];
    memset(r, 0, sizeof *r);
    r->id = strdup(id);
    r->file = strdup(name);
    r->line = line;
    return r->id && r->file ? 0 : perr(err, len, name, line, "out of memory");
}

/* Appends a quote line; runs of blanks fold to one space, as in the
 * normalised RFC text the quote is checked against. */
static int add_quote(struct rule *r, const char *text)
{
    char *q = r->quote ? xasprintf("%s %s", r->quote, text) : strdup(text);
    if (!q)
        return -1;
    char *w = q;
    for (const char *p = q; *p; p++)
        if (!((*p == ' ' || *p == '\t') && w > q && w[-1] == ' '))
            *w++ = *p == '\t' ? ' ' : *p;
    *w = '\0';
    free(r->quote);
    r->quote = q;
    return 0;
}

static int field(struct catalog *cat, const char *word, const char *arg,
                 const char *name, int line, char *err, size_t len)
{
    if (strcmp(word, "rule") == 0)
        return finish(cat, name, err, len) ? -1 : start_rule(cat, arg, name, line, err, len);
    static const char *const known[] = { "title", "source", "note", "quote", "binds",
                                         "keyword" };
    size_t k = 0;
    while (k < sizeof known / sizeof known[0] && strcmp(word, known[k]) != 0)
        k++;
    if (k == sizeof known / sizeof known[0])
        return perr(err, len, name, line, "unknown field \"%s\"", word);
    if (cat->n == 0)
        return perr(err, len, name, line, "\"%s\" before the first rule", word);
    struct rule *r = &cat->rules[cat->n - 1];
    if (!*arg)
        return perr(err, len, name, line, "%s needs a value", word);
    if (strcmp(word, "title") == 0)
        return set_field(&r->title, arg, word, name, line, err, len);
    if (strcmp(word, "source") == 0)
        return set_field(&r->source, arg, word, name, line, err, len);
    if (strcmp(word, "note") == 0)
        return set_field(&r->note, arg, word, name, line, err, len);
    if (strcmp(word, "quote") == 0)
        return add_quote(r, arg) ? perr(err, len, name, line, "out of memory") : 0;
    if (strcmp(word, "binds") == 0) {
        if (strcmp(arg, "server") && strcmp(arg, "client"))
            return perr(err, len, name, line, "binds takes server or client");
        if (r->binds)
            return perr(err, len, name, line, "binds given twice");
        r->binds = 1;
        r->binds_client = strcmp(arg, "client") == 0;
        return 0;
    }
    if (strcmp(word, "keyword") == 0) {
        if (keyword_verdict(arg) == V_PASS)
            return perr(err, len, name, line, "unknown keyword \"%s\" (MUST, MUST NOT, "
                        "SHOULD, SHOULD NOT, MAY, NONE, VIOLATION, ABNF, ...)", arg);
        r->verdict = keyword_verdict(arg);
        return set_field(&r->keyword, arg, word, name, line, err, len);
    }
    return perr(err, len, name, line, "unknown field \"%s\"", word);
}

int catalog_parse(struct catalog *cat, const char *name, const char *text, size_t len,
                  char *err, size_t errlen)
{
    int lineno = 0;
    if (memchr(text, '\0', len))
        return perr(err, errlen, name, 1, "the file holds a NUL byte");
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *line = xstrndup(p, n);
        p += n + (nl != NULL);
        lineno++;
        if (!line)
            return perr(err, errlen, name, lineno, "out of memory");
        char *s = line, *e = line + strlen(line);
        while (*s == ' ' || *s == '\t')
            s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            *--e = '\0';
        int rc = 0;
        if (*s && *s != '#') {
            char *arg = s + strcspn(s, " \t");
            if (*arg)
                *arg++ = '\0';
            while (*arg == ' ' || *arg == '\t')
                arg++;
            rc = field(cat, s, arg, name, lineno, err, errlen);
        }
        free(line);
        if (rc)
            return -1;
    }
    return finish(cat, name, err, errlen);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.rules names in dir, sorted; the caller frees each and the array. */
static char **list_rules(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    struct dirent *de;
    *n = 0;
    if (!d)
        return NULL;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len <= 6 || strcmp(de->d_name + len - 6, ".rules") != 0 || de->d_name[0] == '.')
            continue;
        char **grown = realloc(names, (*n + 1) * sizeof *grown);
        if (!grown)
            break;
        names = grown;
        if ((names[*n] = strdup(de->d_name)) != NULL)
            (*n)++;
    }
    closedir(d);
    if (names)
        qsort(names, *n, sizeof *names, by_name);
    return names;
}

static int load_file(struct catalog *cat, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    struct buf text = BUF_INIT;
    char chunk[8192];
    size_t got;
    if (!f)
        return perr(err, errlen, path, 0, "cannot open the rules file");
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0 && text.len <= RULES_FILE_MAX)
        buf_append(&text, chunk, got);
    fclose(f);
    int rc = text.len > RULES_FILE_MAX
             ? perr(err, errlen, path, 0, "the rules file is larger than 1 MiB")
             : catalog_parse(cat, path, text.data ? text.data : "", text.len, err, errlen);
    buf_free(&text);
    return rc;
}

int catalog_load(const char *dir, struct catalog **out, char *err, size_t errlen)
{
    size_t n;
    char **names = list_rules(dir, &n);
    struct catalog *cat = calloc(1, sizeof *cat);
    int rc = 0;
    *out = NULL;
    if (!cat || n == 0)
        rc = perr(err, errlen, dir, 0, cat ? "no *.rules files (see --rules-dir)"
                                           : "out of memory");
    for (size_t i = 0; i < n; i++) {
        char *path = xasprintf("%s/%s", dir, names[i]);
        if (rc == 0 && (!path || load_file(cat, path, err, errlen) != 0))
            rc = -1;
        free(path);
        free(names[i]);
    }
    free(names);
    if (rc != 0) {
        catalog_free(cat);
        return -1;
    }
    *out = cat;
    return 0;
}

const struct rule *catalog_find(const struct catalog *cat, const char *id)
{
    for (size_t i = 0; cat && id && i < cat->n; i++)
        if (strcmp(cat->rules[i].id, id) == 0)
            return &cat->rules[i];
    return NULL;
}

void catalog_free(struct catalog *cat)
{
    if (!cat)
        return;
    for (size_t i = 0; i < cat->n; i++)
        rule_free(&cat->rules[i]);
    free(cat->rules);
    free(cat);
}

void catalog_dump(const struct catalog *cat, FILE *out)
{
    for (size_t i = 0; i < cat->n; i++) {
        const struct rule *r = &cat->rules[i];
        fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s\n", r->id, verdict_name(r->verdict),
                r->keyword, r->binds_client ? "client" : "server", r->source, r->quote);
    }
}
