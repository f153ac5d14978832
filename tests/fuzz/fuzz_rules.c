/* fuzz_rules.c - libFuzzer target: a rules file through the catalog
 * parser, then lookups and the --list-rules dump. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../src/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct catalog *cat = calloc(1, sizeof *cat);
    char err[1024];
    if (!cat)
        return 0;
    if (catalog_parse(cat, "fuzz.rules", (const char *)data, size, err, sizeof err) == 0) {
        for (size_t i = 0; i < cat->n; i++)
            if (catalog_find(cat, cat->rules[i].id) == NULL)
                abort();
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            catalog_dump(cat, null);
            fclose(null);
        }
    }
    catalog_free(cat);
    return 0;
}
