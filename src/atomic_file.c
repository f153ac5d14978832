/* atomic_file.c - write a whole file or nothing: a temporary file beside
 * the target, fsync, rename. */
#include <errno.h>
#include <libgen.h>
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

int write_file_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    if (target_ok(path, err, errlen) != 0)
        return -1;
    char *tmp = xasprintf("%s.tmp.XXXXXX", path);
    if (!tmp) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create a temporary file: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    mode_t mask = umask(0);   /* mkstemp makes 0600; reports are shareable */
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    int ok = off == len && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0)
        ok = 0;
    if (ok && rename(tmp, path) != 0) {
        saved = errno;
        ok = 0;
    }
    if (!ok) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(saved));
        unlink(tmp);
    }
    free(tmp);
    return ok ? 0 : -1;
}
