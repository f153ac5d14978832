/* datadir.c - the search of datadir.h.  The binary's own directory comes
 * from /proc/self/exe; the build and source trees are compiled in
 * (BUILD_TOP_DIR, SOURCE_TOP_DIR), and only used while the binary still
 * sits in that build tree, so that an installed binary never reads a
 * source tree that happens to be on the machine. */
#include "datadir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && access(path, R_OK | X_OK) == 0;
}

/* The directory of the running binary into dir, or "" when unknown. */
static void exe_dir(char *dir, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", dir, len - 1);
    dir[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        dir[0] = '\0';
}

/* Same directory, once both are resolved (symbolic links, "..")? */
static int same_dir(const char *a, const char *b)
{
    char ra[4096], rb[4096];
    return realpath(a, ra) && realpath(b, rb) && strcmp(ra, rb) == 0;
}

/* Adds candidate to the list of places looked at; 1 when it is the one. */
static int try(const char *candidate, struct buf *looked, char *out, size_t len)
{
    buf_printf(looked, "%s%s", looked->len ? ", " : "", candidate);
    if (!is_dir(candidate))
        return 0;
    snprintf(out, len, "%s", candidate);
    return 1;
}

/* A directory the user named: it is used, or it is an error. */
static int named(const char *value, const char *by, char *out, size_t len, char *err,
                 size_t errlen)
{
    if (!is_dir(value)) {
        snprintf(err, errlen, "%s: \"%s\" is not a readable directory", by, value);
        return -1;
    }
    snprintf(out, len, "%s", value);
    return 0;
}

int datadir_find(const struct datadir_search *s, char *out, size_t len, char *err,
                 size_t errlen)
{
    if (s->option)
        return named(s->option, s->option_name, out, len, err, errlen);
    const char *env = getenv(s->env);
    if (env && *env)
        return named(env, s->env, out, len, err, errlen);
    char dir[4096], path[4200];
    struct buf looked = BUF_INIT;
    int found = 0;
    exe_dir(dir, sizeof dir);
    if (dir[0]) {
        snprintf(path, sizeof path, "%s/%s", dir, s->what);
        found = try(path, &looked, out, len);
        if (!found && same_dir(dir, BUILD_TOP_DIR)) {
            snprintf(path, sizeof path, "%s/%s", SOURCE_TOP_DIR, s->what);
            found = try(path, &looked, out, len);
        }
        if (!found) {
            snprintf(path, sizeof path, "%s/../share/%s/%s", dir, PACKAGE, s->what);
            found = try(path, &looked, out, len);
        }
    }
    if (!found)
        found = try(s->installed, &looked, out, len);
    if (!found)
        snprintf(err, errlen, "cannot find the %s directory: looked in %s (give %s DIR or set "
                 "%s)", s->what, looked.data ? looked.data : "nothing", s->option_name, s->env);
    buf_free(&looked);
    return found ? 0 : -1;
}
