/* fuzz_suite.c - libFuzzer target: a suite file through the parser, its
 * rules resolved against the real catalog, and every byte expression
 * expanded.  The parser's limits must keep memory and time bounded. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../src/buf.h"
#include "../../src/rules.h"
#include "../../src/suite.h"

static struct catalog *catalog;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[512];
    const char *dir = getenv("FUZZ_RULES_DIR");
    (void)argc, (void)argv;
    if (catalog_load(dir ? dir : FUZZ_RULES_DIR, &catalog, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_suite: %s\n", err);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct vars vars = { { "client.test", "probe@client.test",
                                        "rcpt@server.test", "rcpt2@server.test",
                                        "[127.0.0.1]" } };
    struct suite *s;
    char err[1024];
    if (suite_parse("fuzz.suite", (const char *)data, size, &s, err, sizeof err) != 0)
        return 0;
    suite_resolve_rules(s, catalog, err, sizeof err);
    for (size_t i = 0; i < s->ncases; i++) {
        for (size_t j = 0; j < s->cases[i].nsteps; j++) {
            const struct step *st = &s->cases[i].steps[j];
            struct buf out = BUF_INIT;
            if (st->kind == STEP_SEND || st->kind == STEP_WRITE)
                expr_expand(&st->expr, &vars, &out);
            buf_free(&out);
        }
    }
    suite_free(s);
    return 0;
}
