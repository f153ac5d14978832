/* main.c - smtpspec: load suites, probe the target, write the reports.
 * Exit status: 0 no failure, 1 failure (or warn with --strict), 2 bad
 * usage or suite file (before any connection), 3 some case incomplete or
 * --max-time ended the run, 128 + the signal when SIGINT or SIGTERM did. */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "baseline.h"
#include "clock.h"
#include "compare.h"
#include "datadir.h"
#include "options.h"
#include "output.h"
#include "progress.h"
#include "report.h"
#include "findings.h"
#include "judge.h"
#include "rules.h"
#include "runner.h"
#include "suite.h"
#include "target.h"
#include "tls.h"
#include "transport.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_INCOMPLETE = 3 };

struct suites {
    struct suite **v;
    size_t n;
};

static void suites_free(struct suites *s)
{
    for (size_t i = 0; i < s->n; i++)
        suite_free(s->v[i]);
    free(s->v);
}

static int suites_add(struct suites *s, const char *path, char *err, size_t errlen)
{
    struct suite *su;
    if (suite_load(path, &su, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->v[i]->id, su->id) == 0) {
            snprintf(err, errlen, "%s:1: suite id \"%s\" is already used by %s", path,
                     su->id, s->v[i]->path);
            suite_free(su);
            return -1;
        }
    }
    struct suite **v = realloc(s->v, (s->n + 1) * sizeof *v);
    if (!v) {
        suite_free(su);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->v = v;
    s->v[s->n++] = su;
    return 0;
}

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.suite file of dir, in name order. */
static int load_dir(struct suites *s, const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: cannot open the suites directory: %s (see --suites-dir)",
                 dir, strerror(errno));
        return -1;
    }
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 256)
        if (e->d_name[0] != '.' && has_suffix(e->d_name, ".suite"))
            names[n++] = xasprintf("%s/%s", dir, e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_str);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && names[i])
            rc = suites_add(s, names[i], err, errlen);
        free(names[i]);
    }
    if (rc == 0 && s->n == 0) {
        snprintf(err, errlen, "%s: no *.suite files (see --suites-dir)", dir);
        rc = -1;
    }
    return rc;
}

/* datadir_find, with "smtpspec: " before its message. */
static int find_dir(const struct datadir_search *search, char *dir, size_t len, char *err,
                    size_t errlen)
{
    char msg[900];
    if (datadir_find(search, dir, len, msg, sizeof msg) == 0)
        return 0;
    snprintf(err, errlen, "smtpspec: %s", msg);
    return -1;
}

/* The suites directory (datadir.h), into dir. */
static int suites_dir(const struct options *o, char *dir, size_t len, char *err, size_t errlen)
{
    const struct datadir_search search = { "suites", o->suites_dir, "--suites-dir",
                                           "SMTPSPEC_SUITES_DIR", SUITES_DIR };
    return find_dir(&search, dir, len, err, errlen);
}

static int load_suites(const struct options *o, struct suites *s, char *err, size_t errlen)
{
    char dir[4096] = "";
    int need_dir = o->nsuites == 0;
    for (size_t i = 0; i < o->nsuites; i++)
        need_dir |= !strchr(o->suites[i], '/') && !has_suffix(o->suites[i], ".suite");
    if (need_dir && suites_dir(o, dir, sizeof dir, err, errlen) != 0)
        return -1;
    if (o->nsuites == 0)
        return load_dir(s, dir, err, errlen);
    for (size_t i = 0; i < o->nsuites; i++) {
        const char *name = o->suites[i];
        if (*name == '\0') {
            snprintf(err, errlen, "smtpspec: --suite: the name is empty (give a suite "
                     "name such as basic, or a path)");
            return -1;
        }
        int is_path = strchr(name, '/') || has_suffix(name, ".suite");
        char *path = is_path ? strdup(name) : xasprintf("%s/%s.suite", dir, name);
        int rc = path ? suites_add(s, path, err, errlen) : -1;
        free(path);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* The rule catalog's directory (datadir.h), into dir. */
static int rules_dir(const struct options *o, char *dir, size_t len, char *err, size_t errlen)
{
    const struct datadir_search search = { "rules", o->rules_dir, "--rules-dir",
                                           "SMTPSPEC_RULES_DIR", RULES_DIR };
    return find_dir(&search, dir, len, err, errlen);
}

/* Loads the catalog, checks that the built-in checks' rules are in it and
 * points every suite step at its rule. */
static int load_rules(const struct options *o, const struct suites *s,
                      struct catalog **cat, char *err, size_t errlen)
{
    char dir[4096];
    if (rules_dir(o, dir, sizeof dir, err, errlen) != 0 ||
        catalog_load(dir, cat, err, errlen) != 0 ||
        judge_check_catalog(*cat, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < s->n; i++)
        if (suite_resolve_rules(s->v[i], *cat, err, errlen) != 0)
            return -1;
    return 0;
}

/* Does a glob of list[0..n) match id? */
static int any_match(const char *const *list, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (fnmatch(list[i], id, 0) == 0)
            return 1;
    return 0;
}

/* In the run: matched by a --case (or none given) and by no --exclude. */
static int selected(const struct options *o, const char *id)
{
    return (o->ncases == 0 || any_match(o->cases, o->ncases, id)) &&
           !any_match(o->excludes, o->nexcludes, id);
}

/* The cases to run, in suite order.  Caller frees the array. */
static const struct casedef **select_cases(const struct options *o, const struct suites *s,
                                           size_t *n)
{
    size_t total = 0;
    for (size_t i = 0; i < s->n; i++)
        total += s->v[i]->ncases;
    const struct casedef **v = calloc(total ? total : 1, sizeof *v);
    *n = 0;
    for (size_t i = 0; v && i < s->n; i++)
        for (size_t j = 0; j < s->v[i]->ncases; j++)
            if (selected(o, s->v[i]->cases[j].id))
                v[(*n)++] = &s->v[i]->cases[j];
    return v;
}

static void list_cases(const struct suites *s, const struct casedef **cases, size_t n)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct suite *su = s->v[i];
        int header = 0;
        for (size_t j = 0; j < n; j++) {
            const struct casedef *c = cases[j];
            if (c->suite != su)
                continue;
            if (!header) {
                printf("%s: %s (%s)\n", su->id, su->title, su->path);
                header = 1;
            }
            printf("  %-36s %s\n", c->id, c->title);
            printf("  %-36s", "");
            for (size_t k = 0; k < c->nrefs; k++)
                printf("%s%s", k ? "; " : " refs: ", c->refs[k]);
            if (c->needs_rcpt)
                printf(" [needs --rcpt]");
            for (size_t k = 0; k < c->nneeds_ext; k++)
                printf(" [needs %s]", c->needs_ext[k]);
            for (size_t k = 0; k < c->nneeds_no_ext; k++)
                printf(" [needs no %s]", c->needs_no_ext[k]);
            if (c->plaintext)
                printf(" [plaintext: not under --starttls or smtps]");
            if (c->profile >= 0)
                printf(" [profile %s]", profile_name((enum profile)c->profile));
            printf("\n");
        }
    }
    printf("%zu cases\n", n);
}

/* A report must be writable before we connect: a file is created beside
 * it and removed (report.h: check_writable). */
static int check_output(const char *option, const char *path, char *err, size_t errlen)
{
    char why[768];
    if (!path || check_writable(path, why, sizeof why) == 0)
        return 0;
    snprintf(err, errlen, "%s: %s", option, why);
    return -1;
}

static void iso_now(char *out, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* SIGINT or SIGTERM: the first stops the run (cases in flight end, the
 * reports are written); a second one exits at once, removing the
 * half-written reports. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    if (stop_signal) {
        atomic_unlink_all();
        _exit(128 + sig);
    }
    stop_signal = sig;
    transport_cancel();
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static int exit_status(const struct run_report *r)
{
    if (stop_signal)
        return 128 + stop_signal;
    /* With a baseline, only findings that are not in it fail the run. */
    const size_t *fails = r->baseline ? r->new_count : r->count;
    if (fails[V_FAIL] || (r->strict && fails[V_WARN]))
        return EXIT_FAIL;
    return r->count[V_ERROR] || r->stopped_by ? EXIT_INCOMPLETE : EXIT_OK;
}

/* Base64 of p[0..n) into out (at least 4 * (n + 2) / 3 + 1 bytes). */
static void base64(const char *p, size_t n, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)p, (int)n);
}

/* The --auth-user/--auth-pass variables, Base64 (RFC 4954 §4, RFC 4616
 * §2), and the strings every output masks.  Static storage: the run uses
 * them until it ends. */
static void setup_auth(const struct options *o, struct run_config *cfg)
{
    static char plain[1200], user[400], pass[400], wrong[1200], raw[600];
    size_t ul = strlen(o->auth_user), pl = strlen(o->auth_pass);
    int n = snprintf(raw, sizeof raw, "%c%s%c%s", 0, o->auth_user, 0, o->auth_pass);
    base64(raw, (size_t)n, plain);
    n = snprintf(raw, sizeof raw, "%c%s%c%s-smtpspec-wrong", 0, o->auth_user, 0, o->auth_pass);
    base64(raw, (size_t)n, wrong);
    base64(o->auth_user, ul, user);
    base64(o->auth_pass, pl, pass);
    cfg->vars.value[VAR_AUTH_PLAIN] = plain;
    cfg->vars.value[VAR_AUTH_USER] = user;
    cfg->vars.value[VAR_AUTH_PASS] = pass;
    cfg->vars.value[VAR_AUTH_WRONG] = wrong;
    const char *secrets[] = { plain, wrong, user, pass, o->auth_user, o->auth_pass };
    memcpy(cfg->secrets, secrets, sizeof secrets);
}

/* ${relay_user} and ${relay_domain}: --relay-to split at its last '@'
 * (options_parse checked there is one).  Static storage, as above. */
static void setup_relay(const struct options *o, struct run_config *cfg)
{
    static char user[256];
    const char *at = strrchr(o->relay_to, '@');
    snprintf(user, sizeof user, "%.*s", (int)(at - o->relay_to), o->relay_to);
    cfg->vars.value[VAR_RELAY_FROM] = o->relay_from;
    cfg->vars.value[VAR_RELAY_TO] = o->relay_to;
    cfg->vars.value[VAR_RELAY_USER] = user;
    cfg->vars.value[VAR_RELAY_DOMAIN] = at + 1;
}

/* ${random}: a local part no server has, new for every run, so that a
 * "no such user" answer is not one a server remembered. */
static void setup_random(struct run_config *cfg)
{
    static char local[32];
    unsigned char r[6] = { 0 };
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(r, 1, sizeof r, f) != sizeof r) {
        unsigned long long t = (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 20);
        memcpy(r, &t, sizeof r);
    }
    if (f)
        fclose(f);
    snprintf(local, sizeof local, "smtpspec-nx-%02x%02x%02x%02x%02x%02x",
             r[0], r[1], r[2], r[3], r[4], r[5]);
    cfg->vars.value[VAR_RANDOM] = local;
}

static void setup_config(const struct options *o, const struct target *t, struct run_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->conn.host = t->host;
    cfg->conn.port = t->port;
    cfg->conn.tls = t->tls;
    cfg->conn.insecure = o->insecure;
    cfg->conn.cafile = o->cacert;
    cfg->starttls = o->starttls;
    cfg->conn.connect_timeout_ms = o->connect_timeout_ms;
    cfg->profile = o->profile;
    cfg->vars.value[VAR_HELO] = o->helo;
    cfg->vars.value[VAR_MAIL_FROM] = o->mail_from;
    cfg->vars.value[VAR_RCPT] = o->nrcpt ? o->rcpt[0] : NULL;
    cfg->vars.value[VAR_RCPT2] = o->nrcpt ? o->rcpt[o->nrcpt - 1] : NULL;
    cfg->vars.value[VAR_DOMAIN] = o->domain ? o->domain : t->domain;
    if (o->auth_user)
        setup_auth(o, cfg);
    setup_relay(o, cfg);
    setup_random(cfg);
    cfg->timeout_ms = o->timeout_ms;
    cfg->limits.line_max = o->max_line;
    cfg->limits.reply_max = o->max_reply;
    cfg->limits.lines_max = 1000;
    cfg->jobs = o->jobs;
    cfg->max_connect_failures = o->max_connect_failures;
    cfg->retries = o->retries;
    cfg->retry_delay_ms = o->retry_delay_ms;
    /* the longest per-reply timeout: --timeout, or RFC 5321's longest / 10 */
    long longest = o->timeout_ms ? o->timeout_ms
                                 : codes_rfc_timeout(CMD_END_OF_DATA, NULL) * 1000L / 10;
    cfg->case_time_ms = o->case_time_ms ? o->case_time_ms : 4 * longest;
    cfg->transcript = o->verbose ? stderr : NULL;
}

/* TLS options that cannot work, before any connection. */
static int check_tls(const struct options *o, const struct target *t, char *err, size_t len)
{
    if (o->starttls && t->tls) {
        snprintf(err, len, "--starttls: %s is implicit TLS already (smtps://)", t->url);
        return -1;
    }
    if (o->cacert && o->insecure) {
        snprintf(err, len, "--cacert and --insecure: verification is either on or off");
        return -1;
    }
    return o->cacert ? tls_check_cafile(o->cacert, err, len) : 0;
}

static const char *stop_name(const struct run_config *cfg)
{
    if (stop_signal)
        return stop_signal == SIGINT ? "SIGINT" : "SIGTERM";
    return runner_out_of_time(cfg) ? "max-time" : NULL;
}

/* --baseline: which findings are new (rep->new_count) and which entries
 * were seen; --write-baseline: this run's findings as a baseline file. */
static int baselines(const struct options *o, struct baseline *base, struct run_report *rep,
                     char *err, size_t errlen)
{
    struct behaviours bs;
    if (!base && !o->write_baseline)
        return 0;
    if (behaviours_collect(rep->cases, rep->ncases, &bs) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (base) {
        for (int v = 0; v < V_COUNT; v++)
            rep->new_count[v] = baseline_mark(base, &bs, v);
        rep->baseline = base;
    }
    int rc = o->write_baseline ? baseline_write(o->write_baseline, &bs, err, errlen) : 0;
    behaviours_free(&bs);
    return rc;
}

/* What a worker thread tells about a case: the progress line, then the
 * reports (which retire the result). */
struct hooks {
    struct output *out;
    struct progress *progress;
    const struct case_result *results;
};

static void on_case_start(void *ctx, size_t i)
{
    struct hooks *h = ctx;
    progress_case_start(h->progress, i);
}

static void on_case_done(void *ctx, size_t i)
{
    struct hooks *h = ctx;
    progress_case_done(h->progress, i, &h->results[i]);
    output_case_done(h->out, i);
}

static int probe(const struct options *o, const struct target *t,
                 const struct catalog *cat, const struct casedef **cases, size_t n,
                 struct baseline *base)
{
    struct run_config cfg;
    struct server_info info;
    struct run_report rep = { .target_url = t->url, .host = t->host, .port = t->port,
                              .tls = t->tls, .profile = o->profile, .strict = o->strict,
                              .ncases = n };
    struct output *out = NULL;
    const struct output_files files = { o->json_path, o->junit_path, o->html_path, o->strict,
                                        base };
    char err[512];
    setup_config(o, t, &cfg);
    cfg.catalog = cat;
    rep.cfg = &cfg;
    iso_now(rep.started, sizeof rep.started);
    long long start = clock_ms();
    struct case_result *results = calloc(n ? n : 1, sizeof *results);
    if (!results || output_open(&files, results, n, &out, err, sizeof err) != 0) {
        fprintf(stderr, "smtpspec: %s\n", results ? err : "out of memory");
        free(results);
        return EXIT_INCOMPLETE;
    }
    struct hooks hooks = { out, NULL, results };
    cfg.case_done = on_case_done;
    cfg.case_start = on_case_start;
    cfg.done_ctx = &hooks;
    if (!o->quiet)
        printf("smtpspec %s: %s, %zu cases, profile %s\n", PACKAGE_VERSION, t->url, n,
               profile_name(o->profile));
    fflush(stdout);
    if (progress_wanted(STDERR_FILENO, o->quiet, o->verbose))
        hooks.progress = progress_start(stderr, cases, n);
    if (o->max_time_ms > 0)
        cfg.deadline_ms = start + o->max_time_ms;
    runner_discover(&cfg, &info, &rep.stats);
    runner_run(&cfg, &info, cases, n, results, &rep.stats);
    progress_stop(hooks.progress);
    rep.stopped_by = stop_name(&cfg);
    rep.duration_ms = (long)(clock_ms() - start);
    rep.server = &info;
    rep.cases = results;
    report_count(&rep);
    if (baselines(o, base, &rep, err, sizeof err) != 0)
        fprintf(stderr, "smtpspec: %s\n", err);
    int rc = exit_status(&rep);
    if (output_finish(out, &rep, err, sizeof err) != 0) {
        fprintf(stderr, "smtpspec: %s\n", err);
        rc = rc ? rc : EXIT_INCOMPLETE;
    }
    int color = o->color != 0 && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
    report_text(&rep, stdout, color, o->quiet);
    for (size_t i = 0; i < n; i++)
        case_result_free(&results[i]);
    free(results);
    server_info_free(&info);
    return rc;
}

int main(int argc, char **argv)
{
    struct options o;
    struct suites s = { 0 };
    struct target t;
    struct catalog *cat = NULL;
    struct baseline *base = NULL;
    char err[1024];
    signal(SIGPIPE, SIG_IGN);
    if (argc > 1 && strcmp(argv[1], "compare") == 0)
        return compare_main(argc - 1, argv + 1);
    catch_signals();
    if (options_parse(argc, argv, &o, err, sizeof err) != 0) {
        fprintf(stderr, "smtpspec: %s\n", err);
        return EXIT_USAGE;
    }
    if (o.help) {
        options_usage(stdout);
        return EXIT_OK;
    }
    if (o.version) {
        printf("smtpspec %s (%s)\n", PACKAGE_VERSION, curl_version());
        return EXIT_OK;
    }
    if (o.list_codes) {
        codes_dump(stdout);
        return EXIT_OK;
    }
    if (o.list_rules) {
        char dir[4096];
        if (rules_dir(&o, dir, sizeof dir, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);     /* already "smtpspec: ..." */
            return EXIT_USAGE;
        }
        if (catalog_load(dir, &cat, err, sizeof err) != 0) {
            fprintf(stderr, "smtpspec: %s\n", err);
            return EXIT_USAGE;
        }
        catalog_dump(cat, stdout);
        catalog_free(cat);
        return EXIT_OK;
    }
    if (load_suites(&o, &s, err, sizeof err) != 0 ||
        load_rules(&o, &s, &cat, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        suites_free(&s);
        catalog_free(cat);
        return EXIT_USAGE;
    }
    size_t n;
    const struct casedef **cases = select_cases(&o, &s, &n);
    int rc = EXIT_USAGE;
    if (!cases) {
        fprintf(stderr, "smtpspec: out of memory\n");
    } else if (n == 0) {
        fprintf(stderr, "smtpspec: no case left to run (see --case and --exclude)\n");
    } else if (o.list) {
        list_cases(&s, cases, n);
        rc = EXIT_OK;
    } else if (target_parse(o.target, &t, err, sizeof err) != 0 ||
               check_output("--json", o.json_path, err, sizeof err) != 0 ||
               check_output("--junit", o.junit_path, err, sizeof err) != 0 ||
               check_output("--html", o.html_path, err, sizeof err) != 0 ||
               check_output("--write-baseline", o.write_baseline, err, sizeof err) != 0 ||
               (o.baseline && baseline_load(o.baseline, &base, err, sizeof err) != 0) ||
               check_tls(&o, &t, err, sizeof err) != 0) {
        fprintf(stderr, "smtpspec: %s\n", err);
    } else if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "smtpspec: libcurl initialisation failed\n");
        rc = EXIT_INCOMPLETE;
    } else {
        rc = probe(&o, &t, cat, cases, n, base);
        curl_global_cleanup();
    }
    free(cases);
    baseline_free(base);
    suites_free(&s);
    catalog_free(cat);
    return rc;
}
