/* datadir.h - where smtpspec finds its data (the suites, the rule
 * catalog), so that a binary works installed, relocated, or straight from
 * its build tree. */
#ifndef SMTPSPEC_DATADIR_H
#define SMTPSPEC_DATADIR_H

#include <stddef.h>

struct datadir_search {
    const char *what;       /* "suites" or "rules": the folder's name */
    const char *option;     /* the option's value, or NULL */
    const char *option_name;/* "--suites-dir" */
    const char *env;        /* "SMTPSPEC_SUITES_DIR" */
    const char *installed;  /* $(pkgdatadir)/what, set at build time */
};

/* Finds the directory, in this order: the option; the environment
 * variable; WHAT next to the binary; the source tree's WHAT when the
 * binary is still in its build tree; ../share/smtpspec/WHAT beside the
 * binary (an install moved, or staged with DESTDIR); the installed one.
 * An option or variable that is set must name a directory: it is not
 * passed over.  Returns 0 with the path in out, or -1 with a message in
 * err that names every place looked at. */
int datadir_find(const struct datadir_search *s, char *out, size_t len, char *err,
                 size_t errlen);

#endif
