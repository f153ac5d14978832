/* atomic_file.c - write a whole file or nothing: a temporary file beside
 * the target, fsync, rename. */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

/* A target that exists must be a regular file: renaming over a directory
 * fails, and renaming over a device (as root) would replace it. */
static int target_ok(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (*path == '\0') {
        snprintf(err, errlen, "the path is empty");
        return -1;
    }
    if (stat(path, &st) != 0 || S_ISREG(st.st_mode))
        return 0;
    snprintf(err, errlen, "%s: %s", path, S_ISDIR(st.st_mode) ? "is a directory"
             : "exists and is not a regular file");
    return -1;
}

int check_writable(const char *path, char *err, size_t errlen)
{
    if (target_ok(path, err, errlen) != 0)
        return -1;
    char *copy = strdup(path), *tmp = xasprintf("%s.tmp.XXXXXX", path);
    const char *dir = copy ? dirname(copy) : ".";
    struct stat st;
    int rc = -1, fd = -1;
    if (!copy || !tmp)
        snprintf(err, errlen, "%s: out of memory", path);
    else if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        snprintf(err, errlen, "%s: the directory %s does not exist", path, dir);
    else if ((fd = mkstemp(tmp)) < 0)
        snprintf(err, errlen, "%s: cannot create a file in %s: %s", path, dir, strerror(errno));
    else
        rc = 0;
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    free(copy);
    free(tmp);
    return rc;
}

/* Temporary files being written, for atomic_unlink_all() in a signal
 * handler: fixed storage, no allocation. */
#define OPEN_MAX_FILES 4
static char open_tmp[OPEN_MAX_FILES][4096];
static volatile sig_atomic_t open_used[OPEN_MAX_FILES];

struct atomic_file {
    char *path;
    char *tmp;
    FILE *f;
    int slot;
};

int atomic_open(const char *path, struct atomic_file **out, char *err, size_t errlen)
{
    *out = NULL;
    if (target_ok(path, err, errlen) != 0)
        return -1;
    struct atomic_file *a = calloc(1, sizeof *a);
    int fd = -1;
    if (!a || !(a->path = strdup(path)) || !(a->tmp = xasprintf("%s.tmp.XXXXXX", path))) {
        snprintf(err, errlen, "%s: out of memory", path);
    } else if ((fd = mkstemp(a->tmp)) < 0) {
        snprintf(err, errlen, "%s: cannot create a temporary file: %s", path, strerror(errno));
    } else if (!(a->f = fdopen(fd, "w"))) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        unlink(a->tmp);
    } else {
        mode_t mask = umask(0);   /* mkstemp makes 0600; reports are shareable */
        umask(mask);
        fchmod(fd, 0666 & ~mask);
        a->slot = -1;
        for (int i = 0; i < OPEN_MAX_FILES && a->slot < 0; i++) {
            if (!open_used[i] && strlen(a->tmp) < sizeof open_tmp[i]) {
                strcpy(open_tmp[i], a->tmp);
                open_used[i] = 1;
                a->slot = i;
            }
        }
        *out = a;
        return 0;
    }
    if (a) {
        free(a->path);
        free(a->tmp);
        free(a);
    }
    return -1;
}

FILE *atomic_stream(struct atomic_file *a)
{
    return a->f;
}

static void atomic_release(struct atomic_file *a)
{
    if (a->slot >= 0)
        open_used[a->slot] = 0;
    free(a->path);
    free(a->tmp);
    free(a);
}

int atomic_commit(struct atomic_file *a, char *err, size_t errlen)
{
    int ok = !ferror(a->f) && fflush(a->f) == 0 && fsync(fileno(a->f)) == 0;
    int saved = errno;
    if (fclose(a->f) != 0 && ok) {
        saved = errno;
        ok = 0;
    }
    if (ok && rename(a->tmp, a->path) != 0) {
        saved = errno;
        ok = 0;
    }
    if (!ok) {
        snprintf(err, errlen, "%s: cannot write: %s", a->path, strerror(saved));
        unlink(a->tmp);
    }
    atomic_release(a);
    return ok ? 0 : -1;
}

void atomic_abort(struct atomic_file *a)
{
    if (!a)
        return;
    fclose(a->f);
    unlink(a->tmp);
    atomic_release(a);
}

void atomic_unlink_all(void)
{
    for (int i = 0; i < OPEN_MAX_FILES; i++)
        if (open_used[i])
            unlink(open_tmp[i]);
}

int write_file_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    struct atomic_file *a;
    if (atomic_open(path, &a, err, errlen) != 0)
        return -1;
    fwrite(data, 1, len, a->f);
    return atomic_commit(a, err, errlen);
}
