"""Reports and output: JSON + JUnit, atomic writes, --list, -v, -j."""
import json
import os
import re
import shutil
import tempfile
import unittest

from harness import E2ETestCase, validate_report, verdicts

# One deviation per verdict among the ten cases of suites/ten.suite.
TEN_SCENARIO = {"rules": [
    {"match": "^NOOP", "reply": "200 ok\r\n"},                  # warn
    {"match": "^HELP", "reply": "250ok\r\n"},                   # fail
    {"match": "^EXPN", "action": "reset"},                      # error
    {"match": "^VRFY", "reply": "150 maybe\r\n"},               # fail
]}
TEN_EXPECTED = {
    "ten.noop": "warn", "ten.help": "fail", "ten.vrfy": "fail", "ten.expn": "error",
    "ten.rset": "pass", "ten.ehlo": "pass", "ten.helo": "pass", "ten.mail": "pass",
    "ten.rcpt": "pass", "ten.quit": "pass",
}


class JUnit(E2ETestCase):

    def junit_cases(self, run):
        return {tc.get("classname").split(".", 1)[1] + "." + tc.get("name"): tc
                for tc in run.junit.iter("testcase")}

    def test_junit_mirrors_verdicts(self):
        scenario = {"rules": [{"match": "^NOOP", "reply": "200 ok\r\n"},
                              {"match": "^HELP", "reply": "250ok\r\n"}]}
        run = self.run_smtpspec(scenario, "skips", "--case", "skips.plain",
                                "--case", "skips.needs-rcpt")
        run2 = self.run_smtpspec(scenario, "replies", "--case", "replies.help",
                                 "--case", "replies.ehlo")
        run3 = self.run_smtpspec({"rules": [{"match": "^NOOP", "action": "close"}]},
                                 "replies", "--case", "replies.noop")
        for r in (run, run2, run3):
            self.assertIsNotNone(r.junit)
            tcs = self.junit_cases(r)
            self.assertEqual(len(tcs), len(r.report["cases"]))
            self.assertEqual(int(r.junit.get("tests")), len(r.report["cases"]))
            self.assertEqual(set(tcs), {c["id"] for c in r.report["cases"]})
        warn = self.junit_cases(run)["skips.plain"]
        self.assertIsNone(warn.find("failure"))
        self.assertIn("WARN:", warn.find("system-out").text)
        self.assertIn("RFC 876", warn.find("system-out").text)
        self.assertIsNotNone(self.junit_cases(run)["skips.needs-rcpt"].find("skipped"))
        fail = self.junit_cases(run2)["replies.help"]
        self.assertIsNotNone(fail.find("failure"))
        self.assertIn("RFC 5321 §4.2", fail.find("failure").get("message"))
        passed = self.junit_cases(run2)["replies.ehlo"]
        self.assertEqual([child.tag for child in passed], ["system-out"])
        err = self.junit_cases(run3)["replies.noop"]
        self.assertIsNotNone(err.find("error"))
        self.assertIsNone(err.find("failure"))
        self.assertEqual(run2.junit.get("failures"), "1")
        self.assertEqual(run3.junit.get("errors"), "1")

    def test_strict_makes_warn_a_failure(self):
        scenario = {"rules": [{"match": "^NOOP", "reply": "200 ok\r\n"}]}
        run = self.run_smtpspec(scenario, "replies", "--case", "replies.noop", "--strict")
        tc = self.junit_cases(run)["replies.noop"]
        self.assertIsNotNone(tc.find("failure"))
        self.assertEqual(tc.find("failure").get("type"), "warn")
        self.assertEqual(run.junit.get("failures"), "1")
        self.assertEqual(run.rc, 1)

    def test_junit_with_hostile_bytes_is_well_formed(self):
        scenario = {"rules": [{"match": "^NOOP", "reply": "250 <&\"'>\u0000\u00ff\u001b\r\n"}]}
        run = self.run_smtpspec(scenario, "replies", "--case", "replies.noop")
        self.assertIsNotNone(run.junit)      # parsed by ElementTree
        out = self.junit_cases(run)["replies.noop"].find("system-out").text
        self.assertIn("250 <&\"'>\\x00\\xFF\\x1B", out)


class AtomicWrites(E2ETestCase):

    def test_no_temporary_files_left(self):
        run = self.run_smtpspec(None, "replies", "--case", "replies.noop")
        self.assertEqual(sorted(os.listdir(run.workdir)), ["report.json", "report.xml"])
        json_path = os.path.join(run.workdir, "report.json")
        with open(json_path, "rb") as f:
            text = f.read()
        self.assertTrue(text.endswith(b"}\n"))
        text.decode("ascii")                  # ASCII JSON (\\u escapes)
        mode = os.stat(json_path).st_mode & 0o777
        self.assertTrue(mode & 0o044, "reports are readable by others (umask 022): %o" % mode)

    def test_existing_report_is_replaced(self):
        workdir = tempfile.mkdtemp(prefix="smtpspec-e2e-")
        self.addCleanup(shutil.rmtree, workdir, True)
        path = os.path.join(workdir, "old.json")
        with open(path, "w") as f:
            f.write("not json at all")
        run = self.run_smtpspec(None, "replies", "--case", "replies.noop", "--json", path,
                                reports=False)
        self.assertEqual(run.rc, 0)
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        validate_report(report)
        self.assertEqual(report["summary"]["pass"], 1)
        self.assertEqual(os.listdir(workdir), ["old.json"])

    def test_unwritable_report_directory_refused_before_connecting(self):
        run = self.run_smtpspec(None, "replies", "--json", "/nonexistent-dir/r.json",
                                reports=False)
        self.assertEqual(run.rc, 2)
        self.assertEqual(run.server.connections, 0)
        self.assertIn("/nonexistent-dir/r.json", run.stderr)


class SuiteText(E2ETestCase):

    def test_non_utf8_suite_title_and_ref(self):
        # BUG: a suite whose title/ref lines are not UTF-8 (e.g. Latin-1
        # "Caf\xff") loads fine, but report_json.c passes those strings to
        # jansson unescaped: json_pack("s") fails in case_json() and the
        # whole case disappears from "cases" (summary.total says 1, cases
        # is []), and strings() silently drops the ref.  Expected: either
        # suite.c rejects the file ("file:line: not UTF-8", exit 2) or the
        # report keeps the case (e.g. wire-escaped title).  The harness's
        # summary/cases consistency check catches it.
        workdir = tempfile.mkdtemp(prefix="smtpspec-e2e-")
        self.addCleanup(shutil.rmtree, workdir, True)
        path = os.path.join(workdir, "latin1.suite")
        with open(path, "wb") as f:
            f.write(b"suite latin1\ntitle Caf\xff\n\ncase a\ntitle Caf\xe9 \xff\n"
                    b"ref RFC 5321 \xa74.1.1.9\nsend NOOP\n")
        run = self.run_smtpspec(None, path)
        if run.rc == 2:
            self.assertRegex(run.stderr, re.escape(path) + r":\d+: ")
            self.assertEqual(run.server.connections, 0)
        else:
            self.assertEqual(len(run.report["cases"]), 1)
            self.assertEqual(len(run.report["cases"][0]["refs"]), 1)


class ListVerboseJobs(E2ETestCase):

    def test_list_prints_cases_and_refs_without_connecting(self):
        run = self.run_smtpspec(None, "skips", "--list", reports=False)
        self.assertEqual(run.rc, 0)
        self.assertEqual(run.server.connections, 0)
        self.assertIn("skips.needs-rcpt", run.stdout)
        self.assertIn("refs: RFC 5321 §4.1.1.4", run.stdout)
        self.assertIn("[needs --rcpt]", run.stdout)
        self.assertIn("[needs FOO]", run.stdout)
        self.assertIn("[profile rfc821]", run.stdout)
        self.assertIn("6 cases", run.stdout)

    def test_verbose_transcript_on_stderr(self):
        run = self.run_smtpspec(None, "replies", "--case", "replies.noop", "-v")
        self.assertEqual(run.rc, 0)
        lines = run.stderr.splitlines()
        self.assertIn("[replies.noop] C: NOOP\\r\\n", lines)
        self.assertTrue(any(l.startswith("[replies.noop] S: 250") for l in lines), lines)
        self.assertTrue(any(l.startswith("[discovery] C: EHLO") for l in lines), lines)
        self.assertNotIn(" C: ", run.stdout)

    def test_jobs_4_same_verdicts_as_jobs_1(self):
        one = self.run_smtpspec(TEN_SCENARIO, "ten", "-j", "1")
        four = self.run_smtpspec(TEN_SCENARIO, "ten", "-j", "4")
        self.assertEqual(verdicts(one.report), TEN_EXPECTED)
        self.assertEqual(verdicts(four.report), TEN_EXPECTED)
        self.assertEqual([c["id"] for c in four.report["cases"]],
                         [c["id"] for c in one.report["cases"]], "suite order kept")
        self.assertEqual([c["reason"] for c in four.report["cases"]],
                         [c["reason"] for c in one.report["cases"]])
        self.assertEqual(four.report["options"]["jobs"], 4)
        self.assertEqual(one.rc, 1)
        self.assertEqual(four.rc, 1)
        self.assertEqual(four.server.connections, 11)


if __name__ == "__main__":
    unittest.main()
