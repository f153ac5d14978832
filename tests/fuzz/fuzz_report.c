/* fuzz_report.c - libFuzzer target: any JSON as a report, through the
 * HTML report and the comparison matrix (both by rule and by case, the
 * report against itself), which must neither crash nor leak on it. */
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "../../src/compare.h"
#include "../../src/report_html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t e;
    json_t *r = json_loadb((const char *)data, size, 0, &e);
    FILE *null = fopen("/dev/null", "w");
    if (r && null) {
        json_t *two[2] = { r, r };
        const char *names[2] = { "a.json", "b.json" };
        report_html_stream(r, null);
        compare_render(two, names, 2, 0, 0, null, null);
        compare_render(two, names, 2, 1, 1, null, null);
    }
    if (null)
        fclose(null);
    json_decref(r);
    return 0;
}
