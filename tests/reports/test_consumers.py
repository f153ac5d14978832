"""The HTML and JUnit reports read by real consumers, and the comparison
matrix: smtpspec against the fake server, then headless Chromium and two
JUnit parsers (consumers.py).  Each check is also shown to catch a broken
report."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import harness  # noqa: E402
import consumers  # noqa: E402

BASIC = os.path.join(harness.BUNDLED_SUITES, "basic.suite")
NOOP_502 = {"rules": [{"match": "^NOOP", "reply": "502 not here\r\n"}]}
NOOP_RSET_502 = {"rules": [{"match": "^NOOP", "reply": "502 not here\r\n"},
                           {"match": "^RSET", "reply": "502 not here either\r\n"}]}
# Bytes that are not UTF-8 (and a NUL) in a reply's text.
BAD_BYTES = {"rules": [{"match": "^NOOP", "reply": "250 ok \u00ff\u00fe\u0000 x\r\n"}]}


class Reports(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="smtpspec-reports-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def run_html(self, scenario, suite, name, *args):
        html = os.path.join(self.dir, name + ".html")
        run = harness.run_smtpspec(scenario, suite, "--html", html, *args, cleanup=self)
        self.assertIn(run.rc, (0, 1), run.stderr)
        json_path = os.path.join(run.workdir, "report.json")
        keep = consumers.artifact(name + ".json")
        shutil.copy(json_path, keep)
        shutil.copy(html, consumers.artifact(name + ".html"))
        return run, keep, html

    def assertHtmlOk(self, json_path, html, name):
        problems = consumers.check_html(json_path, html, consumers.artifact(name + ".png"))
        self.assertEqual(problems, [])

    def assertJunitOk(self, run):
        problems, seen = consumers.check_junit(os.path.join(run.workdir, "report.xml"))
        self.assertEqual(problems, [])
        return seen

    def test_every_suite_conforming_server(self):
        run, js, html = self.run_html(None, None, "fake-all", "-j", "4")
        self.assertHtmlOk(js, html, "fake-all")
        seen = self.assertJunitOk(run)
        s = run.report["summary"]
        self.assertEqual(seen, {"tests": s["total"], "failure": s["fail"],
                                "error": s["error"], "skipped": s["skip"]})
        root = run.junit
        props = {p.get("name"): p.get("value") for p in root.find("testsuite/properties")}
        self.assertEqual(props["target"], run.report["target"]["url"])
        self.assertEqual(props["smtpspec.version"], run.report["tool"]["version"])

    def test_bytes_that_are_not_utf8_are_escapes(self):
        run, js, html = self.run_html(BAD_BYTES, BASIC, "fake-bytes")
        with open(html, encoding="utf-8") as f:     # the page is valid UTF-8
            page = f.read()
        self.assertIn('<span class="esc">\\xFF</span><span class="esc">\\xFE</span>'
                      '<span class="esc">\\x00</span>', page)
        self.assertHtmlOk(js, html, "fake-bytes")

    def test_baseline_marks_new_and_known(self):
        base = os.path.join(self.dir, "accepted.txt")
        first = harness.run_smtpspec(NOOP_502, BASIC, "--write-baseline", base, cleanup=self)
        self.assertEqual(first.rc, 1)
        run, js, html = self.run_html(NOOP_RSET_502, BASIC, "fake-baseline",
                                      "--baseline", base)
        self.assertEqual(run.rc, 1)     # the RSET finding is new
        marks = {f["command"]: f["baseline"] for f in run.report["findings"]}
        self.assertEqual(marks["NOOP"], "known")
        self.assertEqual(marks["RSET"], "new")
        self.assertHtmlOk(js, html, "fake-baseline")
        self.assertJunitOk(run)
        cases = {c.get("name"): c for c in run.junit.iter("testcase")}
        noop = [c for n, c in cases.items() if "noop" in n and c.find("skipped") is not None]
        self.assertTrue(noop, "a case failing only on a known finding is <skipped type=known>")
        self.assertEqual(noop[0].find("skipped").get("type"), "known")
        self.assertTrue(noop[0].find("skipped").get("message").startswith("known (in the baseline): "))
        rset = [c.find("failure") for n, c in cases.items() if c.find("failure") is not None]
        self.assertTrue(rset and all(f.get("message").startswith("new: ") for f in rset))

    def test_the_browser_check_catches_a_broken_report(self):
        run, js, html = self.run_html(NOOP_502, BASIC, "fake-broken")
        with open(html, encoding="utf-8") as f:
            page = f.read()
        no_filter = re.sub(r"<style>\n#show-.*?</style>\n", "", page, count=1, flags=re.S)
        self.assertNotEqual(no_filter, page)
        no_finding = re.sub(r"<article class=\"finding.*?</article>\n", "", page, count=1,
                            flags=re.S)
        self.assertNotEqual(no_finding, page)
        fetches = page.replace("</head>", '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
                               "</head>", 1)
        for label, text in (("no filter CSS", no_filter), ("a finding missing", no_finding),
                            ("an external style sheet", fetches)):
            bad = os.path.join(self.dir, "bad.html")
            with open(bad, "w", encoding="utf-8") as f:
                f.write(text)
            self.assertNotEqual(consumers.check_html(js, bad, os.path.join(self.dir, "x.png")),
                                [], label)

    def test_the_junit_check_catches_a_broken_report(self):
        run = harness.run_smtpspec(NOOP_502, BASIC, cleanup=self)
        xml = os.path.join(run.workdir, "report.xml")
        with open(xml, encoding="utf-8") as f:
            text = f.read()
        for label, broken in (("a testcase without name", text.replace('" name="', '" nam="', 1)),
                              ("no hostname", re.sub(r' hostname="[^"]*"', "", text)),
                              ("wrong failure count", re.sub(r'(<testsuites[^>]* failures=")\d+',
                                                             r"\g<1>7", text))):
            with open(xml, "w", encoding="utf-8") as f:
                f.write(broken)
            self.assertNotEqual(consumers.check_junit(xml)[0], [], label)

    def test_html_alone_leaves_no_temporary_file(self):
        tmp = os.path.join(self.dir, "tmp")
        os.mkdir(tmp)
        html = os.path.join(self.dir, "only.html")
        env = dict(os.environ, TMPDIR=tmp)
        with harness.FakeServer(None, max_seconds=30) as srv:
            proc = subprocess.run([harness.BINARY, "--suite", BASIC, "--suites-dir",
                                   harness.BUNDLED_SUITES, "--html", html, "--timeout", "2",
                                   "127.0.0.1:%d" % srv.port], env=env, capture_output=True,
                                  text=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(os.path.getsize(html) > 1000)
        self.assertEqual(os.listdir(tmp), [])

    def test_html_to_an_unwritable_place_is_refused_before_connecting(self):
        run = harness.run_smtpspec(None, BASIC, "--html", "/nonexistent/dir/r.html",
                                   cleanup=self, reports=False)
        self.assertEqual(run.rc, 2)
        self.assertIn("--html: ", run.stderr)
        self.assertEqual(run.server.connections, 0)


class Compare(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="smtpspec-compare-")
        good = harness.run_smtpspec(None, BASIC)
        bad = harness.run_smtpspec(NOOP_502, BASIC)
        cls.a = os.path.join(cls.dir, "good.json")
        cls.b = os.path.join(cls.dir, "bad.json")
        shutil.copy(os.path.join(good.workdir, "report.json"), cls.a)
        shutil.copy(os.path.join(bad.workdir, "report.json"), cls.b)
        cls.bad_rule = bad.report["findings"][0]["rule"]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, True)

    def compare(self, *args):
        return subprocess.run([harness.BINARY, "compare"] + list(args), capture_output=True,
                              text=True, timeout=60)

    def test_rule_rows(self):
        p = self.compare(self.a, self.b)
        self.assertEqual(p.returncode, 0, p.stderr)
        row = [l.split() for l in p.stdout.splitlines() if l.startswith(self.bad_rule + " ")]
        self.assertEqual(row, [[self.bad_rule, "-", "fail"]])
        self.assertIn("A  smtp://127.0.0.1:", p.stdout)
        self.assertIn("(%s): 0 fail" % self.a, p.stdout)

    def test_case_rows_and_differ(self):
        every = self.compare("--cases", self.a, self.b).stdout
        rows = [l.split() for l in every.splitlines() if l.startswith("basic.")]
        self.assertEqual(len(rows), 14)
        self.assertIn(["basic.noop", "pass", "fail"], rows)
        differ = self.compare("--cases", "--differ", self.a, self.b).stdout
        drows = [l.split() for l in differ.splitlines() if l.startswith("basic.")]
        self.assertTrue(drows and all(r[1] != r[2] for r in drows), drows)
        self.assertLess(len(drows), len(rows))
        same = self.compare("--differ", self.a, self.a).stdout
        self.assertIn("(no row differs)", same)

    def test_html_matrix(self):
        html = os.path.join(self.dir, "m.html")
        p = self.compare("--html", html, self.a, self.b)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(html, encoding="utf-8") as f:
            page = f.read()
        self.assertIn("default-src 'none'", page)
        rule_row = re.search(r"<tr><td class=\"id\"><code>%s</code>.*?</tr>" % re.escape(
            self.bad_rule), page)
        self.assertTrue(rule_row)
        self.assertEqual(re.findall(r'class="badge v-(\w+)"', rule_row.group(0)), ["none", "fail"])
        self.assertEqual(page.count("<tr><td class=\"id\"><code>basic."), 14)

    def test_hostile_report(self):
        # a JSON document of the right kind whose members have the wrong
        # types, a terminal escape in a case id, markup in a verdict
        odd = os.path.join(harness.ROOT, "tests", "fuzz", "corpus", "report", "odd.json")
        html = os.path.join(self.dir, "odd.html")
        p = self.compare("--cases", "--html", html, odd, self.a)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("\x1b", p.stdout)
        self.assertIn("a?[31m", p.stdout)
        with open(html, encoding="utf-8") as f:
            page = f.read()
        self.assertNotIn("<script", page)
        self.assertNotIn("\x1b", page)
        # markup hidden in what looks like a wire escape stays text
        sneaky = os.path.join(self.dir, "sneaky.json")
        with open(sneaky, "w") as f:
            json.dump({"tool": {"name": "smtpspec"}, "target": {"url": "x"},
                       "server": {"greeting": {"lines": ["\\x<img src=x>"]}},
                       "cases": [{"id": "c", "verdict": "fail", "title": "<b>t</b>"}]}, f)
        p = self.compare("--cases", "--html", html, sneaky)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(html, encoding="utf-8") as f:
            page = f.read()
        self.assertNotIn("<img", page)
        self.assertNotIn("<b>", page)
        self.assertIn("mg src=x&gt;", page)

    def test_bad_files(self):
        broken = os.path.join(self.dir, "broken.json")
        with open(broken, "w") as f:
            f.write('{"cases": [\n  1,\n')
        p = self.compare(self.a, broken)
        self.assertEqual(p.returncode, 2)
        self.assertRegex(p.stderr, re.escape(broken) + r":\d+: ")
        other = os.path.join(self.dir, "other.json")
        with open(other, "w") as f:
            json.dump({"cases": [], "target": {}}, f)
        p = self.compare(other)
        self.assertEqual(p.returncode, 2)
        self.assertIn("not a smtpspec JSON report", p.stderr)
        self.assertEqual(self.compare().returncode, 2)
        self.assertEqual(self.compare("--bogus", self.a).returncode, 2)


if __name__ == "__main__":
    unittest.main()
