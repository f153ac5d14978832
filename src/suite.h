/* suite.h - suite files: the line-oriented script language (see README,
 * "Suite language") parsed into suites, cases and steps. */
#ifndef SMTPSPEC_SUITE_H
#define SMTPSPEC_SUITE_H

#include <stddef.h>

#include "buf.h"
#include "rules.h"

/* Variables a script may use as ${name}. */
enum var_id {
    VAR_HELO = 0,
    VAR_MAIL_FROM,
    VAR_RCPT,
    VAR_RCPT2,
    VAR_DOMAIN,     /* the target as a domain or address literal */
    /* From the server's EHLO reply (SIZE limit L): unset when it gives none. */
    VAR_SIZE_OVER,  /* L + 1, when L > 0 */
    VAR_SIZE_HUGE,  /* 4294967296, when L is 0 ("no fixed maximum") */
    /* From --auth-user/--auth-pass, Base64 (only in "needs auth" cases). */
    VAR_AUTH_PLAIN, /* the PLAIN response: NUL user NUL pass (RFC 4616) */
    VAR_AUTH_USER,  /* the user name, for LOGIN */
    VAR_AUTH_PASS,  /* the password, for LOGIN */
    VAR_AUTH_WRONG, /* a PLAIN response with a wrong password */
    /* The open-relay probes: --relay-from, --relay-to and its two halves. */
    VAR_RELAY_FROM,
    VAR_RELAY_TO,
    VAR_RELAY_USER, /* the local part of --relay-to */
    VAR_RELAY_DOMAIN,/* the domain of --relay-to */
    VAR_RANDOM,     /* a local part no server has: "smtpspec-nx-" and 12 hex digits */
    VAR_COUNT
};

struct vars {
    const char *value[VAR_COUNT]; /* NULL when not set */
};

const char *var_name(enum var_id v);

/* A byte expression: quoted strings ("..."*N repeats one), with escapes
 * and variables resolved at run time. */
struct tpart {
    int var;        /* enum var_id, or -1 for literal bytes */
    char *lit;
    size_t len;
};

struct atom {
    struct tpart *parts;
    size_t nparts;
    unsigned long repeat;
};

struct bytes_expr {
    struct atom *atoms;
    size_t natoms;
    int crlf;       /* append CRLF after the atoms */
};

/* Set of reply codes 0..999. */
struct codeset {
    unsigned char bits[125];
};

static inline int codeset_has(const struct codeset *s, int code)
{
    return code >= 0 && code < 1000 && ((s->bits[code / 8] >> (code % 8)) & 1);
}

enum step_kind {
    STEP_SEND,          /* send bytes, read one reply */
    STEP_WRITE,         /* send bytes, read nothing */
    STEP_READ,          /* read one reply */
    STEP_EXPECT,        /* judge the last reply's code */
    STEP_EXPECT_CLOSE,  /* the server must close the connection */
    STEP_REQUIRE,       /* skip the rest of the case unless the code fits */
    STEP_CONTROL,       /* a control: unless accepted, the case is inconclusive */
    STEP_CHECK,         /* a content check of the last reply (ehlo.h) */
    STEP_EXPECT_KEYWORD,/* the server advertised a keyword in EHLO */
    STEP_EXPECT_WITHIN, /* the last reply came within a time */
    STEP_EXPECT_NO_MORE,/* nothing more comes after the last reply */
    STEP_STARTTLS,      /* the TLS handshake, after a 220 to STARTTLS */
    STEP_CERTIFICATE,   /* judge the TLS session's certificate */
    STEP_PAUSE,         /* wait, sending nothing */
    STEP_EXPECT_SILENCE,/* no reply may come yet: message data was written */
    STEP_EXPECT_SAME_CODE,/* the last reply has the code of the one before */
    STEP_END_UNLESS     /* end the case, as it stands, unless the code fits */
};

struct step {
    enum step_kind kind;
    int line;
    struct bytes_expr expr; /* SEND, WRITE */
    char *cmd;              /* SEND, READ: table command; NULL = the verb */
    struct codeset codes;   /* EXPECT, REQUIRE, CONTROL, END_UNLESS */
    char *codes_text;       /* the code list as written */
    char *rule_id;          /* EXPECT*, STARTTLS: the rule it judges by */
    const struct rule *rule;/* rule_id in the catalog (suite_resolve_rules) */
    char *why;              /* REQUIRE, CONTROL: shown when the case skips */
    int check;              /* CHECK: enum content_check */
    char *keyword;          /* EXPECT_KEYWORD, upper case */
    long within_ms;         /* EXPECT_WITHIN, EXPECT_SILENCE; PAUSE: how long */
};

enum greeting_mode {
    GREETING_ACCEPT = 0,    /* run only when the server greets with 220 */
    GREETING_REFUSE,        /* run only when it greets with 554/521 */
    GREETING_ANY,
    GREETING_EARLY          /* not read on connect: the steps write first, then "read GREETING" */
};

struct suite;

struct casedef {
    char *id;               /* "suite.case" */
    char *title;
    char **refs;
    size_t nrefs;
    const struct suite *suite;
    int line;
    int needs_rcpt;         /* 1: --rcpt; 2: two different --rcpt */
    char **needs_ext;
    size_t nneeds_ext;
    char **needs_no_ext;    /* keywords the server must not advertise */
    size_t nneeds_no_ext;
    int profile;            /* enum profile, or -1 for every profile */
    int plaintext;          /* about the plaintext session: skips under --starttls */
    int needs_tls;          /* runs only over TLS: smtps:// or --starttls */
    int needs_auth;         /* runs only with --auth-user/--auth-pass, over TLS */
    enum greeting_mode greeting;
    char *close_permitted;  /* closes before QUIT not judged: why, or NULL */
    char *codes_not_judged; /* codes outside the table are notes: why, or NULL */
    char *advisory;         /* a security probe: the advisory (CVE, flaw), or NULL */
    char *fix;              /* with advisory: how common MTAs fix it */
    struct step *steps;
    size_t nsteps;
};

struct suite {
    char *id;
    char *title;
    char *path;
    char **refs;
    size_t nrefs;
    struct casedef *cases;
    size_t ncases;
};

/* Parses the suite file at path.  On success *out is a suite the caller
 * frees with suite_free(); on failure returns -1 and err holds
 * "file:line: message". */
int suite_load(const char *path, struct suite **out, char *err, size_t errlen);
/* The same for text in memory; name is used in messages. */
int suite_parse(const char *name, const char *text, size_t len,
                struct suite **out, char *err, size_t errlen);
void suite_free(struct suite *s);

/* Points every judging step at its rule in cat.  Returns 0, or -1 with
 * "file:line: message" in err when a rule is unknown or binds clients. */
int suite_resolve_rules(struct suite *s, const struct catalog *cat, char *err, size_t errlen);

/* Does a step of case c use variable v? */
int case_uses_var(const struct casedef *c, enum var_id v);

/* Appends the expression's bytes to out.  Returns 0, or -1 when a
 * variable is unset or memory runs out. */
int expr_expand(const struct bytes_expr *e, const struct vars *vars,
                struct buf *out);

#endif
