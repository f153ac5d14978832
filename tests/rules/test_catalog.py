#!/usr/bin/python3
"""Tests of the rule catalog (rules/*.rules), stdlib only:

- the real catalog: every quote is verbatim in its section of the RFC text
  (or in its seed file), the keyword occurs in the quote, ids are unique
  (tests/rules/rulecheck.py does the checking);
- the checker can fail: mutated copies of the catalog in a temp dir (a
  paraphrased quote, a quote moved to the wrong section, a wrong keyword,
  MUST on a sentence that only says SHOULD, ...) are caught;
- `smtpspec --list-rules` lists exactly the rules rulecheck parses, with the
  same verdict, and refuses the files rulecheck refuses;
- every rule is used by a suite step or a built-in check, and every rule a
  suite or the C source cites exists; a rule that binds clients judges
  nothing.

    SMTPSPEC=./smtpspec SRCDIR=. /usr/bin/python3 -m unittest tests/rules/test_catalog.py
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rulecheck  # noqa: E402

ROOT = rulecheck.ROOT
RULES = os.path.join(ROOT, "rules")
SMTPSPEC = os.environ.get("SMTPSPEC") or os.path.join(ROOT, "smtpspec")
# The steps that judge by a rule: the rule id is their last word.
JUDGING = ("expect", "expect-close", "expect-keyword", "expect-within", "expect-no-more",
           "starttls", "expect-silence", "expect-same-code")
# The C files whose string literals name the rules of the built-in checks.
BUILTIN_SOURCES = ("reply.c", "codes.c", "ehlo.c", "judge.c", "status.c", "runner.c")
ID_LITERAL = re.compile(r'"((?:\d{3,4}|seed-\d{3})-[a-z0-9][a-z0-9.-]*)"')


def basename_problems(problems):
    """Problems keyed by "file.rules:line: message" (the directory dropped),
    so that problems in a copy compare with those of the original."""
    return {re.sub(r"[^\s:]*/([^/\s:]+\.rules)", r"\1", p) for p in problems}


def suite_steps():
    """[(suite file, line, directive, rule id)] of every judging step."""
    steps = []
    for path in sorted(glob.glob(os.path.join(ROOT, "suites", "*.suite"))):
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                words = line.split()
                if (len(words) >= 2 and words[0] in JUDGING) or \
                        (len(words) == 3 and words[0] == "read"):
                    steps.append((os.path.relpath(path, ROOT), n, words[0], words[-1]))
    return steps


def builtin_ids():
    """{rule id: [file]} of the rule ids the C source's built-in checks cite."""
    ids = {}
    for name in BUILTIN_SOURCES:
        path = os.path.join(ROOT, "src", name)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            for m in ID_LITERAL.finditer(f.read()):
                ids.setdefault(m.group(1), []).append(name)
    return ids


def real_catalog():
    return rulecheck.check_dir(RULES)


class RealCatalog(unittest.TestCase):
    """The catalog in rules/, checked against rfc/."""

    @classmethod
    def setUpClass(cls):
        cls.rules, cls.problems = real_catalog()

    def test_has_rules(self):
        self.assertGreater(len(self.rules), 0, "rules/*.rules holds no rule")

    def test_no_problems(self):
        """rulecheck finds nothing: fields, quotes verbatim in their
        sections, keywords in their quotes, ids unique, no quote twice."""
        self.assertEqual(self.problems, [], "\n" + "\n".join(self.problems))

    def test_quotes_verbatim_in_section(self):
        bad = []
        for r in self.rules:
            path = rulecheck.source_file(r.get("source", ""))
            if not path or not os.path.exists(path) or not r["quote"]:
                bad.append("%s:%d: %s: no source text or no quote" % (r["file"], r["line"], r["id"]))
                continue
            section = rulecheck.source_section(r["source"])
            if rulecheck.normalise(r["quote"]) not in rulecheck.source_text(path, section):
                bad.append("%s:%d: %s: not verbatim in %s" % (r["file"], r["line"], r["id"],
                                                              r["source"]))
        self.assertEqual(bad, [], "\n" + "\n".join(bad))

    def test_keyword_in_quote(self):
        bad = []
        for r in self.rules:
            kw, q = r.get("keyword", ""), r["quote"]
            problem = (rulecheck.keyword_problem(kw, q, r.get("source", ""))
                       if kw in rulecheck.KEYWORDS else "unknown keyword %s" % kw)
            if problem:
                bad.append("%s:%d: %s: %s" % (r["file"], r["line"], r["id"], problem))
        self.assertEqual(bad, [], "\n" + "\n".join(bad))

    def test_ids_unique(self):
        seen, dups = {}, []
        for r in self.rules:
            if r["id"] in seen:
                dups.append("%s:%d: %s (first at %s)" % (r["file"], r["line"], r["id"],
                                                        seen[r["id"]]))
            seen.setdefault(r["id"], "%s:%d" % (r["file"], r["line"]))
        self.assertEqual(dups, [], "\n" + "\n".join(dups))

    def test_seed_quotes_in_seed_files(self):
        bad = []
        for r in self.rules:
            m = re.match(r"^seed (\d{3})", r.get("source", ""))
            if not m:
                continue
            files = glob.glob(os.path.join(ROOT, "rfc", "seeds", m.group(1) + "_*.txt"))
            if not files or rulecheck.normalise(r["quote"]) not in rulecheck.source_text(files[0]):
                bad.append("%s:%d: %s" % (r["file"], r["line"], r["id"]))
        self.assertEqual(bad, [], "\n" + "\n".join(bad))


class Mutations(unittest.TestCase):
    """Mutated copies of the catalog must fail the check (the checker can
    fail).  Each mutation changes one rule of rules/reply.rules; the test
    asserts a new problem on that rule, beyond those the original has."""

    FILE = "reply.rules"

    @classmethod
    def setUpClass(cls):
        _, problems = real_catalog()
        cls.baseline = basename_problems(problems)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="smtpspec-rules-")
        self.addCleanup(shutil.rmtree, self.tmp)
        for path in glob.glob(os.path.join(RULES, "*.rules")):
            shutil.copy(path, self.tmp)
        with open(os.path.join(self.tmp, self.FILE), encoding="utf-8") as f:
            self.text = f.read()

    def block(self, rule_id):
        """(start, end) of rule_id's lines in self.text."""
        m = re.search(r"^rule %s\n" % re.escape(rule_id), self.text, re.M)
        if not m:
            self.skipTest("%s is not in rules/%s" % (rule_id, self.FILE))
        nxt = re.compile(r"^rule ", re.M).search(self.text, m.end())
        return m.start(), nxt.start() if nxt else len(self.text)

    def mutate(self, rule_id, edit):
        """Applies edit (a function of the rule's text) to rule_id and
        writes the copy."""
        start, end = self.block(rule_id)
        old = self.text[start:end]
        new = edit(old)
        self.assertNotEqual(old, new, "the mutation changed nothing")
        with open(os.path.join(self.tmp, self.FILE), "w", encoding="utf-8") as f:
            f.write(self.text[:start] + new + self.text[end:])
        return self.text[:start].count("\n") + 1   # the rule's line

    def set_fields(self, rule_id, **fields):
        """Sets fields of rule_id (quote replaces all its quote lines)."""
        def edit(block):
            lines = block.split("\n")
            for field, value in fields.items():
                at = [i for i, l in enumerate(lines) if l.split(" ", 1)[0] == field]
                self.assertTrue(at, "%s has no %s line" % (rule_id, field))
                lines = [l for i, l in enumerate(lines) if i not in at[1:]]
                lines[at[0]] = "%s %s" % (field, value)
            return "\n".join(lines)
        return self.mutate(rule_id, edit)

    def set_field(self, rule_id, field, value):
        return self.set_fields(rule_id, **{field: value})

    def new_problems(self):
        _, problems = rulecheck.check_dir(self.tmp)
        return sorted(basename_problems(problems) - self.baseline)

    def assertCaught(self, line, what):
        new = self.new_problems()
        where = "%s:%d:" % (self.FILE, line)
        self.assertTrue(any(p.startswith(where) for p in new),
                        "%s was not caught (new problems: %s)" % (what, new or "none"))
        return new

    def test_unmutated_copy_passes(self):
        """The control: a copy of the catalog has no new problem."""
        self.assertEqual(self.new_problems(), [])

    def test_paraphrase(self):
        line = self.set_field("5321-4.2.1-multiline-same-code", "quote",
                              "In a multiline reply, the reply code on every line MUST be "
                              "the same.")
        self.assertIn("not verbatim", "\n".join(self.assertCaught(line, "a paraphrase")))

    def test_one_word_changed(self):
        def edit(block):
            return block.replace("MUST be the", "MUST be exactly the", 1)
        line = self.mutate("5321-4.2.1-multiline-same-code", edit)
        self.assertCaught(line, "one added word")

    def test_must_added_to_a_sentence_without_it(self):
        """The issue's example: §4.1.1.4 says the receiver "sends" a 250."""
        line = self.set_fields("5321-4.2.1-multiline-same-code",
                               source="RFC 5321 §4.1.1.4",
                               quote="the receiver MUST send a 250 OK reply when the end of "
                                     "data is received")
        self.assertCaught(line, "a MUST added to §4.1.1.4")

    def test_ellipsis(self):
        line = self.set_field("5321-4.2-one-reply", "quote",
                              "Every command ... generate exactly one reply.")
        self.assertCaught(line, "an ellipsis")

    def test_wrong_section_parent(self):
        """A sentence of §4.2.1 is not in §4.2 (sections end at the next
        heading of any level)."""
        line = self.set_field("5321-4.2.1-multiline-same-code", "source", "RFC 5321 §4.2")
        self.assertIn("not in section 4.2",
                      "\n".join(self.assertCaught(line, "a quote moved to its parent section")))

    def test_wrong_section_elsewhere(self):
        line = self.set_field("5321-4.2-one-reply", "source", "RFC 5321 §3.3")
        self.assertCaught(line, "a quote moved to another section")

    def test_wrong_rfc(self):
        line = self.set_field("5321-4.2-one-reply", "source", "RFC 1870 §3")
        self.assertCaught(line, "a quote moved to another RFC")

    def test_missing_rfc(self):
        line = self.set_field("5321-4.2-one-reply", "source", "RFC 1123 §5.3")
        self.assertCaught(line, "a source whose text is not in rfc/")

    def test_wrong_keyword_weaker(self):
        line = self.set_field("5321-4.2.1-multiline-same-code", "keyword", "SHOULD")
        self.assertCaught(line, "SHOULD on a MUST sentence")

    def test_wrong_keyword_may(self):
        line = self.set_field("5321-4.2-one-reply", "keyword", "MAY")
        self.assertCaught(line, "MAY on a MUST sentence")

    def test_must_on_should_sentence(self):
        line = self.set_field("5321-4.2.4-unrecognized-500", "keyword", "MUST")
        self.assertIn("keyword MUST does not occur",
                      "\n".join(self.assertCaught(line, "MUST on a SHOULD sentence")))

    def test_must_on_should_sentence_4_3_1(self):
        line = self.set_field("5321-4.3.1-command-codes", "keyword", "MUST")
        self.assertCaught(line, "MUST on §4.3.1's SHOULD")

    def test_none_on_a_keyword_sentence(self):
        line = self.set_field("5321-4.2.1-sp-after-code", "keyword", "NONE")
        self.assertCaught(line, "NONE on a sentence with SHOULD")

    def test_violation_without_the_words(self):
        line = self.set_field("5321-4.2-one-reply", "keyword", "VIOLATION")
        self.assertCaught(line, "VIOLATION on a sentence that does not say it")

    def test_abnf_on_prose(self):
        line = self.set_field("5321-4.2-one-reply", "keyword", "ABNF")
        self.assertCaught(line, "ABNF on prose")

    def test_lower_case_must_outside_rfc821(self):
        line = self.set_field("5321-4.2-one-reply", "keyword", "must")
        self.assertCaught(line, "lower-case must on RFC 5321")

    def test_unknown_keyword(self):
        line = self.set_field("5321-4.2-one-reply", "keyword", "MANDATORY")
        self.assertCaught(line, "an unknown keyword")

    def test_bad_binds(self):
        line = self.set_field("5321-4.2-one-reply", "binds", "everyone")
        self.assertCaught(line, "binds everyone")

    def test_missing_field(self):
        for field in ("title", "source", "binds", "keyword"):
            with self.subTest(field=field):
                line = self.mutate("5321-4.2-one-reply",
                                   lambda b: re.sub(r"(?m)^%s .*\n" % field, "", b, count=1))
                self.assertCaught(line, "a rule without %s" % field)

    def test_duplicate_id(self):
        start, end = self.block("5321-4.2-one-reply")
        copy = self.text[start:end].replace("quote Every command MUST generate exactly one reply.",
                                            "quote In a multiline reply, the reply code on each "
                                            "of the lines MUST be the same.")
        with open(os.path.join(self.tmp, "zz-copy.rules"), "w", encoding="utf-8") as f:
            f.write(copy)
        new = self.new_problems()
        self.assertTrue(any(p.startswith("zz-copy.rules:1:") and "already defined" in p
                            for p in new), "a duplicate id was not caught: %s" % new)

    def test_same_sentence_twice(self):
        start, end = self.block("5321-4.2-one-reply")
        copy = self.text[start:end].replace("rule 5321-4.2-one-reply", "rule 5321-4.2-one-reply-2")
        with open(os.path.join(self.tmp, "zz-copy.rules"), "w", encoding="utf-8") as f:
            f.write(copy)
        new = self.new_problems()
        self.assertTrue(any(p.startswith("zz-copy.rules:1:") and "same sentence" in p
                            for p in new), "a sentence quoted twice was not caught: %s" % new)


class Seeds(unittest.TestCase):
    """A `seed NNN` source: the quote must be in rfc/seeds/NNN_*.txt."""

    RULE = ("rule seed-004-rcpt-codes\ntitle T\nsource seed 004\nbinds server\n"
            "keyword NONE\nquote %s\n")

    def check(self, quote, source="seed 004"):
        tmp = tempfile.mkdtemp(prefix="smtpspec-seed-")
        self.addCleanup(shutil.rmtree, tmp)
        with open(os.path.join(tmp, "seed.rules"), "w", encoding="utf-8") as f:
            f.write((self.RULE % quote).replace("source seed 004", "source " + source))
        return rulecheck.check_dir(tmp)[1]

    def test_verbatim_row_passes(self):
        if not glob.glob(os.path.join(ROOT, "rfc", "seeds", "004_*.txt")):
            self.skipTest("rfc/seeds/004_*.txt is missing")
        self.assertEqual(self.check("S: 250, 251 (but see section 3.4 for discussion of 251 "
                                    "and 551)"), [])

    def test_altered_row_fails(self):
        problems = self.check("S: 250, 251, 252 (but see section 3.4 for discussion of 251 "
                              "and 551)")
        self.assertTrue(any("not verbatim" in p for p in problems), problems)

    def test_missing_seed_fails(self):
        problems = self.check("S: 250", source="seed 999")
        self.assertTrue(any("names no text" in p for p in problems), problems)


def run_smtpspec(*args):
    if not os.access(SMTPSPEC, os.X_OK):
        raise unittest.SkipTest("no smtpspec binary at %s (set SMTPSPEC)" % SMTPSPEC)
    return subprocess.run([SMTPSPEC] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=60)


class ListRules(unittest.TestCase):
    """smtpspec's parser and rulecheck's agree."""

    def test_list_rules_matches_rulecheck(self):
        p = run_smtpspec("--rules-dir", RULES, "--list-rules")
        self.assertEqual(p.returncode, 0, p.stderr)
        listed = {}
        for line in p.stdout.splitlines():
            fields = line.split("\t")
            self.assertEqual(len(fields), 6, "not 6 tab-separated fields: %r" % line)
            listed[fields[0]] = fields
        rules, _ = real_catalog()
        self.assertEqual(len(p.stdout.splitlines()), len(rules), "one line per rule")
        self.assertEqual(sorted(listed), sorted(r["id"] for r in rules))
        bad = []
        for r in rules:
            f = listed.get(r["id"])
            if not f:
                continue
            want = [r["id"], r.get("verdict"), r.get("keyword"), r.get("binds"),
                    r.get("source"), " ".join(r["quote"].split())]
            got = f[:5] + [" ".join(f[5].split())]
            if got != want:
                bad.append("%s: smtpspec %s, rulecheck %s" % (r["id"], got[:5], want[:5]))
        self.assertEqual(bad, [], "\n" + "\n".join(bad))

    def test_list_rules_default_dir(self):
        """Without --rules-dir, the source tree's catalog is listed."""
        p = run_smtpspec("--list-rules")
        self.assertEqual(p.returncode, 0, p.stderr)
        rules, _ = real_catalog()
        self.assertEqual(sorted(l.split("\t")[0] for l in p.stdout.splitlines()),
                         sorted(r["id"] for r in rules))

    def test_structural_errors_refused_by_both(self):
        """What rulecheck refuses as malformed, smtpspec refuses too."""
        good = ("rule x-1\ntitle T\nsource RFC 5321 §4.2\nbinds server\nkeyword MUST\n"
                "quote Every command MUST generate exactly one reply.\n")
        cases = {
            "unknown field": good + "level MUST\n",
            "no quote": good.replace("quote Every command MUST generate exactly one reply.\n",
                                     ""),
            "no title": good.replace("title T\n", ""),
            "no keyword": good.replace("keyword MUST\n", ""),
            "no binds": good.replace("binds server\n", ""),
            "bad binds": good.replace("binds server", "binds anyone"),
            "unknown keyword": good.replace("keyword MUST", "keyword MANDATORY"),
            "bad id": good.replace("rule x-1", "rule X_1"),
            "duplicate id": good + "\n" + good.replace("Every command", "every command"),
        }
        for label, text in cases.items():
            with self.subTest(label):
                tmp = tempfile.mkdtemp(prefix="smtpspec-rules-")
                self.addCleanup(shutil.rmtree, tmp)
                with open(os.path.join(tmp, "x.rules"), "w", encoding="utf-8") as f:
                    f.write(text)
                problems = rulecheck.check_dir(tmp)[1]
                self.assertTrue(problems, "rulecheck accepts: %s" % label)
                p = run_smtpspec("--rules-dir", tmp, "--list-rules")
                self.assertNotEqual(p.returncode, 0, "smtpspec accepts a rule with %s" % label)
                self.assertIn("x.rules:", p.stderr, "the error names the file")
        with self.subTest("control: the good rule"):
            tmp = tempfile.mkdtemp(prefix="smtpspec-rules-")
            self.addCleanup(shutil.rmtree, tmp)
            with open(os.path.join(tmp, "x.rules"), "w", encoding="utf-8") as f:
                f.write(good)
            self.assertEqual(rulecheck.check_dir(tmp)[1], [])
            p = run_smtpspec("--rules-dir", tmp, "--list-rules")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout.split("\t")[:2], ["x-1", "fail"])


class Usage(unittest.TestCase):
    """Every rule is used; every cited rule exists; client rules judge
    nothing."""

    @classmethod
    def setUpClass(cls):
        cls.rules, _ = real_catalog()
        cls.by_id = {r["id"]: r for r in cls.rules}
        cls.steps = suite_steps()
        cls.builtins = builtin_ids()

    def test_every_rule_is_used(self):
        used = {s[3] for s in self.steps} | set(self.builtins)
        unused = ["%s:%d: %s" % (r["file"], r["line"], r["id"]) for r in self.rules
                  if r["id"] not in used and r.get("binds") != "client"]
        if unused:
            print("\nunused rules (no suite step, no built-in check):\n  " +
                  "\n  ".join(unused), file=sys.stderr)
        self.assertEqual(unused, [], "%d rules are used by no suite step and no built-in "
                         "check:\n%s" % (len(unused), "\n".join(unused)))

    def test_client_rules_judge_nothing(self):
        bad = ["%s:%d: %s %s" % (f, n, d, rid) for f, n, d, rid in self.steps
               if self.by_id.get(rid, {}).get("binds") == "client"]
        bad += ["src/%s: built-in check cites %s" % (",".join(files), rid)
                for rid, files in self.builtins.items()
                if self.by_id.get(rid, {}).get("binds") == "client"]
        self.assertEqual(bad, [], "rules that bind clients cited by a judging step:\n" +
                         "\n".join(bad))

    def test_suite_rules_exist(self):
        bad = ["%s:%d: %s %s" % s for s in self.steps if s[3] not in self.by_id]
        self.assertEqual(bad, [], "suite steps citing rules not in the catalog:\n" +
                         "\n".join(bad))

    def test_builtin_rules_exist(self):
        self.assertTrue(self.builtins, "no rule id found in src/" + ", src/".join(BUILTIN_SOURCES))
        bad = ["src/%s: %s" % (",".join(files), rid) for rid, files in self.builtins.items()
               if rid not in self.by_id]
        self.assertEqual(bad, [], "built-in checks citing rules not in the catalog:\n" +
                         "\n".join(bad))



class ReadmeTable(unittest.TestCase):
    """README.md carries the rule table that rulecheck --readme prints."""

    def test_readme_lists_every_rule(self):
        rules, _ = rulecheck.load_catalog()
        with open(os.path.join(rulecheck.ROOT, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        self.assertTrue(rulecheck.readme_table(rules) in readme,
                        "README.md's rule table is stale: paste "
                        "`python3 tests/rules/rulecheck.py --readme` into it")

if __name__ == "__main__":
    unittest.main()
