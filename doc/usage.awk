# usage.awk - doc/smtpspec.usage to the --help text (mode=help: a C header
# defining USAGE_TEXT) or to the man page (mode=man).  Variables: mode,
# version, date, suites_dir, rules_dir.  See doc/smtpspec.usage for the format.
function flush_entry() {
    if (entry == "") return
    if (mode == "help") help_entry(entry, desc, ndesc)
    else man_entry(entry, desc, ndesc, kind)
    entry = ""; ndesc = 0
}
# --help: two columns; the first 21 wide, longer names get their own gap.
function help_entry(name, d, n,    i, line) {
    line = sprintf("  %-21s %s", name, d[1])
    if (length(name) > 21) line = sprintf("  %s  %s", name, d[1])
    out(line)
    for (i = 2; i <= n; i++) out(sprintf("%24s%s", "", d[i]))
}
function out(s) {
    if (mode == "help") {
        gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s)
        gsub(/@SUITES_DIR@/, "\" SUITES_DIR \"", s); gsub(/@RULES_DIR@/, "\" RULES_DIR \"", s)
        printf "\"%s\\n\"\n", s
    } else print s
}
# roff text: backslash, minus, the section sign; \& before a leading dot.
function roff(s) {
    gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s); gsub(/§/, "\\(sc", s)
    gsub(/@SUITES_DIR@/, suites_dir, s); gsub(/@RULES_DIR@/, rules_dir, s)
    if (s ~ /^[.']/) s = "\\&" s
    return s
}
function man_entry(name, d, n, k,    i, text, names, arg, w, nw, words) {
    nw = split(name, words, " "); names = ""; arg = ""
    for (i = 1; i <= nw; i++) {
        if (words[i] ~ /^-/ && arg == "") names = names (names == "" ? "" : " ") words[i]
        else arg = arg (arg == "" ? "" : " ") words[i]
    }
    print ".TP"
    if (k == "item") print "\\fB" roff(name) "\\fR"
    else if (names == "") print "\\fI" roff(arg) "\\fR"
    else print "\\fB" roff(names) "\\fR" (arg == "" ? "" : " \\fI" roff(arg) "\\fR")
    for (i = 1; i <= n; i++) print roff(d[i])
}
BEGIN {
    state = ""; nsyn = 0
    if (mode == "help") {
        print "/* Generated from doc/smtpspec.usage by doc/usage.awk: edit those. */"
        print "static const char usage_text[] ="
    } else {
        print ".\\\" Generated from doc/smtpspec.usage by doc/usage.awk: edit those."
        print ".TH SMTPSPEC 1 " date " \"smtpspec " version "\" \"User Commands\""
        print ".nh"
    }
}
/^#/ { next }
/^\.synopsis / { syn[++nsyn] = substr($0, 11); next }
/^\.man / {
    flush_entry(); state = "man"
    if (mode == "man") {
        if (!synopsis_done && substr($0, 6) != "NAME") man_synopsis()
        print ".SH " substr($0, 6)
    }
    next
}
/^\.text$/ {
    flush_entry(); state = "text"
    if (mode == "help") help_head()
    next
}
/^\.section / {
    flush_entry(); state = "section"
    title = substr($0, 10)
    if (mode == "help") { out(""); out(title ":") }
    else {
        if (title ~ /^Exit status/) print ".SH EXIT STATUS"
        else { if (!options_done) { print ".SH OPTIONS"; options_done = 1 }
               print ".SS " roff(title) }
    }
    next
}
/^\.(option|item) / {
    flush_entry()
    kind = ($1 == ".item") ? "item" : "option"
    entry = substr($0, index($0, " ") + 1); state = "entry"
    next
}
{
    if (state == "entry") { desc[++ndesc] = $0; next }
    if (state == "text") {
        if (mode == "help") out($0)
        else print roff($0)
        next
    }
    if (state == "man" && mode == "man") {
        if ($0 !~ /^\./) { print roff($0); next }
        line = $0       # a request: placeholders only
        gsub(/@SUITES_DIR@/, suites_dir, line); gsub(/@RULES_DIR@/, rules_dir, line)
        print line
    }
}
function help_head(    i) {
    if (head_done) return
    head_done = 1
    out("usage: " syn[1])
    for (i = 2; i <= nsyn; i++) out("       " syn[i])
    out("")
}
function man_synopsis(    i, rest) {
    synopsis_done = 1
    print ".SH SYNOPSIS"
    for (i = 1; i <= nsyn; i++) {
        rest = syn[i]; sub(/^smtpspec ?/, "", rest)
        if (i > 1) print ".br"
        print "\\fBsmtpspec\\fR " roff(rest)
    }
}
END {
    flush_entry()
    if (mode == "help") print ";"
}
