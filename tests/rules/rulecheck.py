#!/usr/bin/env python3
"""rulecheck - checks the rule catalog (rules/*.rules) against the texts it
quotes (rfc/*.txt, rfc/seeds/*.txt).  Stdlib only.

    python3 tests/rules/rulecheck.py [RULES_DIR]
    python3 tests/rules/rulecheck.py --readme    (the README's rule table)

For every rule it checks that:
  - the fields are there and well formed (rule, title, source, binds,
    keyword, one or more quote lines) and the id is unique;
  - the quote occurs verbatim in the source's text, with whitespace, page
    headers, page footers and form feeds normalised;
  - the keyword occurs in the quote (MUST, SHOULD NOT, ...; VIOLATION needs
    "in violation of this specification"; ABNF needs a production "x = y";
    NONE needs the quote to hold no RFC 2119 keyword at all);
  - no two rules quote the same sentence.
Prints one "file:line: message" per problem and exits 1 if there is any.
Imported by the tests (load_catalog, check_catalog).
"""
import glob
import os
import re
import sys

ROOT = os.path.abspath(os.environ.get("SRCDIR") or
                       os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

KEYWORDS = {
    # keyword: verdict when the rule is broken
    "MUST": "fail", "MUST NOT": "fail", "REQUIRED": "fail", "SHALL": "fail",
    "SHALL NOT": "fail", "VIOLATION": "fail", "ABNF": "fail",
    "SHOULD": "warn", "SHOULD NOT": "warn", "RECOMMENDED": "warn",
    "NOT RECOMMENDED": "warn",
    "MAY": "info", "OPTIONAL": "info", "NONE": "info",
    # RFC 821 predates RFC 2119: its requirements are a lower-case "must".
    "must": "fail",
}
# RFCs older than RFC 2119 whose lower-case "must" is their keyword.
PRE_2119 = ("RFC 821 ", "RFC 2034 ")
RFC2119 = re.compile(r"\b(MUST|SHALL|SHOULD|REQUIRED|RECOMMENDED|MAY|OPTIONAL)\b")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
SOURCE_RE = re.compile(r"^(RFC (\d+) (§[0-9A-Z][0-9.]*|App\. [A-Z][0-9.]*)|seed (\d{3}))( .*)?$")
FIELDS = ("rule", "title", "source", "binds", "keyword", "quote", "note")

_texts = {}


def normalise(text):
    """Whitespace folded, form feeds, page footers and headers dropped."""
    keep, skip_title = [], False
    for line in text.replace("\f", "\n").split("\n"):
        s = line.strip()
        if skip_title and s:
            skip_title = False
            continue        # RFC 821's running title, under its page header
        if re.search(r"\[Page \d+\]$", s):
            continue
        if re.match(r"^[A-Z][a-z]+ \d{4} +RFC \d+$", s):
            skip_title = True
            continue
        if re.match(r"^RFC \d+ .* (January|February|March|April|May|June|July|"
                    r"August|September|October|November|December) \d{4}$", s):
            continue
        keep.append(s)
    # A compound split at its hyphen ("EHLO-" / "style") is one word.
    text = re.sub(r"(?<=[A-Za-z])-\n(?=[A-Za-z])", "-", "\n".join(keep))
    return re.sub(r"\s+", " ", text).strip()


def source_file(source):
    m = SOURCE_RE.match(source)
    if not m:
        return None
    if m.group(2):
        return os.path.join(ROOT, "rfc", "rfc%s.txt" % m.group(2))
    found = glob.glob(os.path.join(ROOT, "rfc", "seeds", m.group(4) + "_*.txt"))
    return found[0] if found else None


def source_text(path, section=None):
    """The normalised text of path, or of one section of it: from the
    section's heading to the next heading of any level (so a sentence of
    §4.1.1.1 is not in §4.1.1)."""
    key = (path, section)
    if key not in _texts:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().replace("\f", "\n").split("\n")
        indent = " {0,3}" if path.endswith("rfc821.txt") else ""
        heading = re.compile(r"^%s(\d+(\.\d+)*\.?|[A-Z]\.\d+(\.\d+)*\.?|Appendix [A-Z]\.?)"
                             r" +[A-Z]" % indent)
        if section is None:
            body = lines
        else:
            body, inside = [], False
            for line in lines:
                m = heading.match(line)
                if m and "..." not in line and ". . ." not in line:
                    number = m.group(1).rstrip(".")
                    inside = number == section
                if inside:
                    body.append(line)
        _texts[key] = normalise("\n".join(body))
    return _texts[key]


def source_section(source):
    """"4.3.2" for "RFC 5321 §4.3.2", "F.1" for "App. F.1", "Appendix F"
    for "App. F"; None for a seed."""
    m = SOURCE_RE.match(source)
    if not m or not m.group(3):
        return None
    sec = m.group(3)
    if sec.startswith("§"):
        return sec[1:].rstrip(".")
    sec = sec[len("App. "):].rstrip(".")
    return sec if "." in sec else "Appendix " + sec


def load_catalog(rules_dir=None):
    """Parses every rules/*.rules.  Returns (rules, problems): rules is a
    list of dicts (id, title, source, binds, keyword, quote, note, verdict,
    file, line); problems a list of "file:line: message"."""
    rules_dir = rules_dir or os.path.join(ROOT, "rules")
    rules, problems = [], []
    for path in sorted(glob.glob(os.path.join(rules_dir, "*.rules"))):
        name = os.path.relpath(path, ROOT)
        cur = None
        with open(path, encoding="utf-8") as f:
            for n, raw in enumerate(f, 1):
                line = raw.strip()
                if not line or line.startswith("#"):
                    continue
                # the field and its value are separated by blanks (as in
                # smtpspec's parser: spaces or tabs)
                word, _, arg = line.replace("\t", " ").partition(" ")
                arg = arg.strip()
                if word not in FIELDS:
                    problems.append("%s:%d: unknown field \"%s\"" % (name, n, word))
                    continue
                if word == "rule":
                    cur = {"id": arg, "file": name, "line": n, "quote": ""}
                    rules.append(cur)
                    continue
                if cur is None:
                    problems.append("%s:%d: \"%s\" before the first rule" % (name, n, word))
                    continue
                if word == "quote":
                    cur["quote"] = (cur["quote"] + " " + arg).strip()
                elif word in cur:
                    problems.append("%s:%d: %s given twice" % (name, n, word))
                else:
                    cur[word] = arg
    return rules, problems


def keyword_problem(kw, q, source=""):
    """Why keyword kw does not fit quote q (from source), or None."""
    if kw == "VIOLATION":
        if "in violation of this specification" not in q:
            return ("keyword VIOLATION but the quote does not say "
                    "\"in violation of this specification\"")
    elif kw == "ABNF":
        if not re.search(r"\S\s+(=|::=)\s+\S", q):
            return "keyword ABNF but the quote holds no production"
    elif kw == "NONE":
        found = RFC2119.search(q)
        if found:
            return "keyword NONE but the quote says %s" % found.group(1)
    elif kw == "must" and not source.startswith(PRE_2119):
        return "keyword \"must\" (lower case) is only for RFC 821 and RFC 2034"
    elif kw == "must" and not re.search(r"\bmust\b", q):
        return "keyword must does not occur in the quote"
    elif kw in KEYWORDS and not re.search(r"\b%s\b" % re.escape(kw), q):
        return "keyword %s does not occur in the quote" % kw
    return None


def check_rule(r):
    where = "%s:%d" % (r["file"], r["line"])
    out = []
    for field in ("title", "source", "binds", "keyword"):
        if not r.get(field):
            out.append("%s: rule %s has no %s" % (where, r["id"], field))
    if not r["quote"]:
        out.append("%s: rule %s has no quote" % (where, r["id"]))
    if not ID_RE.match(r["id"]):
        out.append("%s: bad rule id \"%s\"" % (where, r["id"]))
    if r.get("binds") not in (None, "server", "client"):
        out.append("%s: binds must be server or client" % where)
    kw = r.get("keyword")
    if kw and kw not in KEYWORDS:
        out.append("%s: unknown keyword \"%s\"" % (where, kw))
    q = r["quote"]
    problem = keyword_problem(kw, q, r.get("source", ""))
    if problem:
        out.append("%s: %s" % (where, problem))
    if r.get("source"):
        path = source_file(r["source"])
        if not path or not os.path.exists(path):
            out.append("%s: source \"%s\" names no text in rfc/" % (where, r["source"]))
        elif q and normalise(q) not in source_text(path):
            out.append("%s: rule %s: the quote is not verbatim in %s"
                       % (where, r["id"], os.path.relpath(path, ROOT)))
        elif q and normalise(q) not in source_text(path, source_section(r["source"])):
            out.append("%s: rule %s: the quote is in %s, but not in section %s"
                       % (where, r["id"], os.path.relpath(path, ROOT),
                          source_section(r["source"])))
    return out


def check_catalog(rules):
    problems, seen, quotes = [], {}, {}
    for r in rules:
        problems += check_rule(r)
        if r["id"] in seen:
            problems.append("%s:%d: rule %s already defined at %s"
                            % (r["file"], r["line"], r["id"], seen[r["id"]]))
        seen[r["id"]] = "%s:%d" % (r["file"], r["line"])
        key = (r.get("source", "").split(" ")[:2].__str__(), normalise(r["quote"]))
        if r["quote"] and key in quotes:
            problems.append("%s:%d: rule %s quotes the same sentence as %s"
                            % (r["file"], r["line"], r["id"], quotes[key]))
        quotes.setdefault(key, r["id"])
        r["verdict"] = KEYWORDS.get(r.get("keyword"), "?")
    return problems


def check_dir(rules_dir=None):
    """load_catalog and check_catalog in one: (rules, problems)."""
    rules, problems = load_catalog(rules_dir)
    problems += check_catalog(rules)
    return rules, problems


def readme_table(rules):
    """The README's rule table (markdown), one row per rule in catalog
    order.  `rulecheck.py --readme` prints it; a test keeps the README's
    copy equal to it."""
    rows = ["| rule | verdict | source | what a server must do |",
            "| --- | --- | --- | --- |"]
    for r in rules:
        rows.append("| `%s` | %s | %s | %s |" % (r["id"], KEYWORDS.get(r.get("keyword"), "?"),
                                               r.get("source", ""), r.get("title", "")))
    return "\n".join(rows) + "\n"


def main():
    if sys.argv[1:2] == ["--readme"]:
        rules, _ = load_catalog(None)
        sys.stdout.write(readme_table(rules))
        return 0
    rules, problems = check_dir(sys.argv[1] if len(sys.argv) > 1 else None)
    for p in problems:
        print(p)
    print("%d rules, %d problems" % (len(rules), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
