/* progress.c - see progress.h. */
#include "progress.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define REDRAW_MS 250

struct progress {
    FILE *out;
    const struct casedef *const *cases;
    size_t n, done;
    size_t verdicts[V_COUNT];   /* the finished cases, by verdict */
    long long *started;         /* clock_ms() when case i started; 0: not running */
    int stop;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
};

int progress_wanted(int fd, int quiet, int verbose)
{
    const char *term = getenv("TERM"), *ci = getenv("CI");
    return isatty(fd) && !quiet && !verbose && !(ci && *ci) && !(term && !strcmp(term, "dumb"));
}

static int columns(FILE *out)
{
    struct winsize ws;
    if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 80;
}

/* The status line, cut to the terminal's width; called with the lock held. */
static void draw(struct progress *p)
{
    char line[512];
    long long now = clock_ms(), oldest = 0;
    size_t slow = p->n;
    for (size_t i = 0; i < p->n; i++)
        if (p->started[i] && (!oldest || p->started[i] < oldest)) {
            oldest = p->started[i];
            slow = i;
        }
    int len = snprintf(line, sizeof line, "[%zu/%zu] so far %zu fail, %zu warn, %zu info",
                       p->done, p->n, p->verdicts[V_FAIL], p->verdicts[V_WARN],
                       p->verdicts[V_INFO]);
    if (slow < p->n && len > 0 && (size_t)len < sizeof line)
        snprintf(line + len, sizeof line - (size_t)len, "; slowest now: %s (%.1f s)",
                 p->cases[slow]->id, (now - oldest) / 1000.0);
    int width = columns(p->out) - 1;
    fprintf(p->out, "\r\033[K%.*s", width < (int)sizeof line ? width : (int)sizeof line, line);
    fflush(p->out);
}

static void *redraw(void *arg)
{
    struct progress *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        draw(p);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += REDRAW_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&p->wake, &p->lock, &until);
    }
    fputs("\r\033[K", p->out);      /* the summary starts on a clean line */
    fflush(p->out);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

struct progress *progress_start(FILE *out, const struct casedef *const *cases, size_t n)
{
    struct progress *p = calloc(1, sizeof *p);
    if (!p || !(p->started = calloc(n ? n : 1, sizeof *p->started))) {
        free(p);
        return NULL;
    }
    p->out = out;
    p->cases = cases;
    p->n = n;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    if (pthread_create(&p->thread, NULL, redraw, p) != 0) {
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->lock);
        free(p->started);
        free(p);
        return NULL;
    }
    return p;
}

void progress_case_start(struct progress *p, size_t i)
{
    if (!p || i >= p->n)
        return;
    pthread_mutex_lock(&p->lock);
    p->started[i] = clock_ms();
    pthread_mutex_unlock(&p->lock);
}

void progress_case_done(struct progress *p, size_t i, const struct case_result *r)
{
    if (!p || i >= p->n)
        return;
    pthread_mutex_lock(&p->lock);
    p->started[i] = 0;
    p->done++;
    p->verdicts[r->verdict]++;
    pthread_mutex_unlock(&p->lock);
}

void progress_stop(struct progress *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p->started);
    free(p);
}
