/* html.c - see html.h. */
#include "html.h"

#include <string.h>

const char *const html_verdicts_worst_first[6] = { "fail", "error", "warn", "skip", "info",
                                                   "pass" };

void html_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            /* our own text has no control bytes; a hostile report's may */
            if ((unsigned char)*s < 0x20 || *s == 0x7f)
                fprintf(f, "\\x%02X", (unsigned char)*s);
            else
                putc(*s, f);
        }
    }
}

/* A wire string holds only printable ASCII, UTF-8 and backslash escapes
 * (buf.h: wire_escape), so a backslash always starts an escape; control
 * bytes, which a hostile report may hold all the same, go to html_text. */
void html_wire(FILE *f, const char *s)
{
    static const char special[] = "\\&<>\"'\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b"
        "\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e"
        "\x1f\x7f";
    while (s && *s) {
        if (s[0] != '\\') {
            size_t n = strcspn(s, special);
            fwrite(s, 1, n, f);
            s += n;
            if (*s && *s != '\\') {
                char one[2] = { *s++, 0 };
                html_text(f, one);
            }
            continue;
        }
        if (strncmp(s, "\\r\\n", 4) == 0) {
            putc('\n', f);
            s += 4;
            continue;
        }
        size_t n = s[1] == 'x' && s[2] && s[3] ? 4 : s[1] ? 2 : 1;
        char esc[5] = "";
        memcpy(esc, s, n);      /* escaped too: a hostile "\\x<s" stays text */
        fputs("<span class=\"esc\">", f);
        html_text(f, esc);
        fputs("</span>", f);
        if (s[1] == 'n')
            putc('\n', f);  /* a bare LF still breaks the line, visibly */
        s += n;
    }
}

const char *html_verdict(const char *v)
{
    for (int i = 0; i < 6; i++)
        if (v && !strcmp(v, html_verdicts_worst_first[i]))
            return html_verdicts_worst_first[i];
    return "none";
}

void html_badge(FILE *f, const char *verdict)
{
    fputs("<span class=\"badge v-", f);
    html_text(f, verdict);
    fputs("\">", f);
    html_text(f, verdict);
    fputs("</span>", f);
}

static const char style[] =
    ":root{--fail:#b3261e;--error:#8a4b00;--warn:#9a6700;--skip:#5f6368;--info:#1a5fb4;"
    "--pass:#1e7e34;--line:#d0d7de;--soft:#f6f8fa}\n"
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;"
    "max-width:1100px;padding:1.5em;color:#1f2328}\n"
    "h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.2em;border-bottom:1px solid var(--line);"
    "padding-bottom:.2em;margin-top:1.6em}h3{font-size:1em;margin:.2em 0}\n"
    "code,pre,.mono{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:13px}\n"
    "pre{background:var(--soft);border:1px solid var(--line);border-radius:4px;padding:.5em;"
    "margin:.3em 0;white-space:pre-wrap;overflow-wrap:anywhere}\n"
    ".esc{color:#fff;background:#6e7781;border-radius:2px;padding:0 1px}\n"
    "table{border-collapse:collapse;margin:.4em 0}th,td{border:1px solid var(--line);"
    "padding:.2em .5em;text-align:left;vertical-align:top}th{background:var(--soft)}\n"
    "dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin:.5em 0}"
    "dl.facts dt{font-weight:600}dl.facts dd{margin:0}\n"
    ".badge{display:inline-block;min-width:3.2em;text-align:center;border-radius:3px;"
    "color:#fff;font-size:12px;font-weight:600;padding:0 .3em;text-transform:uppercase;"
    "print-color-adjust:exact;-webkit-print-color-adjust:exact}\n"
    ".badge.v-fail{background:var(--fail)}.badge.v-error{background:var(--error)}"
    ".badge.v-warn{background:var(--warn)}.badge.v-skip{background:var(--skip)}"
    ".badge.v-info{background:var(--info)}.badge.v-pass{background:var(--pass)}"
    ".badge.v-none{background:none;color:#8c959f}\n"
    ".mark{font-size:12px;font-weight:600;border:1px solid currentColor;border-radius:3px;"
    "padding:0 .3em}.mark.new{color:var(--fail)}.mark.known{color:var(--skip)}"
    ".sec{font-size:12px;font-weight:600;color:#fff;background:var(--fail);border-radius:3px;"
    "padding:0 .3em}.advisory{border-left:3px solid var(--fail);padding-left:.6em}\n"
    "article.finding{border:1px solid var(--line);border-left:5px solid var(--skip);"
    "border-radius:4px;padding:.5em .8em;margin:.7em 0;break-inside:avoid}\n"
    "article.finding.v-fail{border-left-color:var(--fail)}"
    "article.finding.v-warn{border-left-color:var(--warn)}"
    "article.finding.v-info{border-left-color:var(--info)}\n"
    "blockquote{margin:.3em 0;padding:.1em .8em;border-left:3px solid var(--line);color:#424a53}\n"
    ".src{color:#57606a;font-weight:normal}.muted{color:#57606a}\n"
    "ul.keywords{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:.3em}"
    "ul.keywords li{background:var(--soft);border:1px solid var(--line);border-radius:3px;"
    "padding:0 .4em}\n"
    "#cases>label{margin:0 .9em 0 .2em}#cases>input{margin:.5em 0}\n"
    "details.case{border-bottom:1px solid var(--line)}details.case>summary{cursor:pointer;"
    "padding:.25em 0}details.case>summary .t{color:#424a53}details.case[open]{padding-bottom:.6em}\n"
    "table.transcript{width:100%;table-layout:fixed}table.transcript td.v{width:4.2em}"
    "table.transcript td pre{margin:0;border:0;padding:0;background:none}\n"
    ".c{color:#0550ae}.s{color:#1f2328}\n"
    "table.totals td.count{text-align:center;font-size:1.3em;font-weight:600}"
    "table.totals th{text-align:center}\n"
    "table.matrix td{text-align:center}table.matrix td.id{text-align:left}\n"
    "@media print{body{max-width:none;padding:0;font-size:11pt}"
    ".noprint,#cases>input,#cases>label{display:none}"
    "details.case>summary{padding:0}a{color:inherit;text-decoration:none}"
    "h2{break-after:avoid}}\n";

void html_page_start(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'\">\n<title>", f);
    html_text(f, title);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", style);
}

void html_page_end(FILE *f)
{
    fputs("</body>\n</html>\n", f);
}

const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

long long jint(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

const json_t *jarr(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_array(v) ? v : NULL;
}

const json_t *jobj(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_object(v) ? v : NULL;
}
