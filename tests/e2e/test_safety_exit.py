"""Delivery safety, exit statuses (a suite citing an unknown rule or a
client rule is refused before any connection) and the rfc821 profile."""
import glob
import os
import shutil
import tempfile
import unittest

from harness import ROOT, E2ETestCase, E2E_SUITES, case, exchange

CLIENT_RULE = """
rule test-5321-4.5.3.2-client-timeouts
title The client has a timeout mechanism
source RFC 5321 §4.5.3.2
binds client
keyword MUST
quote An SMTP client MUST provide a timeout mechanism.
"""


class DeliverySafety(E2ETestCase):

    def test_354_without_needs_rcpt_sends_nothing_more(self):
        run = self.run_smtpspec(None, "data", "--case", "data.no-rcpt-data",
                                "--case", "data.no-rcpt-data-last")
        self.assertEqual(run.server.connections, 3)
        for conn in (1, 2):
            received = bytes(run.server.received[conn])
            self.assertTrue(received.endswith(b"DATA\r\n"), received)
            self.assertEqual(received.count(b"DATA\r\n"), 1)
        self.assertEqual(run.server.deliveries, [])
        self.assertEqual(run.server.messages, [])
        c = self.assertCase(run, "data.no-rcpt-data", "error",
                            ["354", "sent nothing more", "--rcpt"])
        self.assertIsNone(c["rule"])
        self.assertEqual(exchange(c, "DATA")["reply"]["code"], 354)
        self.assertEqual(exchange(c, "DATA")["verdict"], "pass")
        self.assertNotIn("NOOP", [e["table_command"] for e in c["exchanges"]])
        last = case(run.report, "data.no-rcpt-data-last")
        self.assertEqual(exchange(last, "DATA")["reply"]["code"], 354)
        self.assertNotEqual(last["verdict"], "fail", last["reason"])

    def test_rcpt_delivers_exactly_one_message(self):
        run = self.run_smtpspec(None, "data", "--rcpt", "user@example.com")
        self.assertEqual(len(run.server.deliveries), 1, run.server.deliveries)
        delivery = run.server.deliveries[0]
        self.assertEqual(delivery.recipients, ["user@example.com"])
        self.assertIn(b"Subject: smtpspec e2e", delivery.data)
        c = self.assertCase(run, "data.deliver", "pass")
        self.assertEqual(exchange(c, "END-OF-DATA")["reply"]["code"], 250)
        self.assertIn("Subject: smtpspec e2e", exchange(c, "END-OF-DATA")["sent"])
        self.assertNotIn(b"must never be sent", b"".join(bytes(r) for r in run.server.received))


class ExitStatus(E2ETestCase):

    def test_0_all_pass(self):
        run = self.run_smtpspec(None, "replies")
        self.assertEqual(run.rc, 0)
        self.assertEqual(run.report["summary"]["pass"], run.report["summary"]["total"])

    def test_1_on_fail(self):
        run = self.run_smtpspec({"rules": [{"match": "^NOOP", "reply": "250ok\r\n"}]},
                                "replies", "--case", "replies.noop")
        self.assertEqual(run.report["summary"]["fail"], 1)
        self.assertEqual(run.rc, 1)

    def test_warn_only_is_0_and_1_with_strict(self):
        scenario = {"rules": [{"match": "^NOOP", "reply": "200 ok\r\n"}]}
        plain = self.run_smtpspec(scenario, "replies", "--case", "replies.noop")
        strict = self.run_smtpspec(scenario, "replies", "--case", "replies.noop", "--strict")
        self.assertEqual(plain.report["summary"]["warn"], 1)
        self.assertEqual(strict.report["summary"]["warn"], 1)
        self.assertEqual(plain.rc, 0)
        self.assertEqual(strict.rc, 1)
        self.assertFalse(plain.report["options"]["strict"])
        self.assertTrue(strict.report["options"]["strict"])

    def test_3_error_only(self):
        run = self.run_smtpspec({"rules": [{"match": "^NOOP", "reply": "421 bye\r\n",
                                            "then_close": True}]},
                                "replies", "--case", "replies.noop")
        self.assertEqual(run.report["summary"]["error"], 1)
        self.assertEqual(run.rc, 3)

    def test_2_bad_suite_file_no_connection(self):
        path = os.path.join(E2E_SUITES, "broken", "unknown-directive.suite")
        run = self.run_smtpspec(None, path)
        self.assertEqual(run.rc, 2)
        self.assertEqual(run.server.connections, 0)
        self.assertIsNone(run.report)
        first = run.stderr.strip().splitlines()[0]
        self.assertTrue(first.startswith(path + ":7: "), run.stderr)
        self.assertIn("unknown directive \"sned\"", first)

    def test_2_bad_inline_suite_reports_line(self):
        text = "suite x\ntitle X\n\ncase a\ntitle A\nsend NOOP\nexpect 2yy 5321-4.2-one-reply\n"
        run = self.run_smtpspec(None, text)
        self.assertEqual(run.rc, 2)
        self.assertEqual(run.server.connections, 0)
        self.assertRegex(run.stderr, r"inline\.suite:7: bad code \"2yy\"")

    def refused(self, path, line, message, *args):
        run = self.run_smtpspec(None, path, *args)
        self.assertEqual(run.rc, 2, run.stdout)
        self.assertEqual(run.server.connections, 0, "refused before any connection")
        self.assertIsNone(run.report)
        first = run.stderr.strip().splitlines()[0]
        self.assertTrue(first.startswith("%s:%d: " % (path, line)), run.stderr)
        self.assertIn(message, first)

    def test_2_unknown_rule(self):
        path = os.path.join(E2E_SUITES, "broken", "unknown-rule.suite")
        self.refused(path, 9, "unknown rule \"5321-9.9-no-such-rule\"")

    def test_2_old_expect_with_level_and_reason(self):
        path = os.path.join(E2E_SUITES, "broken", "old-expect.suite")
        self.refused(path, 8, "ends with the id of the rule")

    def test_2_close_before_quit_was_removed(self):
        path = os.path.join(E2E_SUITES, "broken", "close-before-quit.suite")
        self.refused(path, 8, "unknown directive \"close-before-quit\"")

    def test_2_client_rule(self):
        # the catalog, plus one rule that binds clients, which no suite may cite
        rules = tempfile.mkdtemp(prefix="smtpspec-rules-")
        self.addCleanup(shutil.rmtree, rules, True)
        for path in glob.glob(os.path.join(ROOT, "rules", "*.rules")):
            shutil.copy(path, rules)
        with open(os.path.join(rules, "zz-client.rules"), "w", encoding="utf-8") as f:
            f.write(CLIENT_RULE)
        text = ("suite cl\ntitle X\n\ncase a\ntitle A\nsend NOOP\n"
                "expect-within 300 test-5321-4.5.3.2-client-timeouts\n")
        workdir = tempfile.mkdtemp(prefix="smtpspec-e2e-")
        self.addCleanup(shutil.rmtree, workdir, True)
        path = os.path.join(workdir, "client.suite")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        self.refused(path, 7, "binds clients", "--rules-dir", rules)
        # the same catalog runs a suite that cites only server rules
        ok = self.run_smtpspec(None, "expect", "--case", "expect.must", "--rules-dir", rules)
        self.assertEqual(ok.rc, 0, ok.stderr)

    def test_2_bad_option_no_connection(self):
        run = self.run_smtpspec(None, "replies", "--timeout", "abc")
        self.assertEqual(run.rc, 2)
        self.assertEqual(run.server.connections, 0)
        self.assertIn("--timeout", run.stderr)
        self.assertIsNone(run.report)

    def test_2_unknown_option_no_connection(self):
        run = self.run_smtpspec(None, "replies", "--no-such-option")
        self.assertEqual(run.rc, 2)
        self.assertEqual(run.server.connections, 0)

    def assert_refused(self, want, *args, suite="replies"):
        """smtpspec exits 2 with exactly the message want, having made no
        connection and written no report."""
        run = self.run_smtpspec(None, suite, *args, reports=False)
        self.assertEqual(run.rc, 2, run.stderr)
        self.assertEqual(run.server.connections, 0)
        self.assertEqual(run.stderr.strip(), want)
        return run

    def test_2_report_path_is_a_directory(self):
        with tempfile.TemporaryDirectory() as d:
            self.assert_refused("smtpspec: --json: %s: is a directory" % d, "--json", d)

    def test_2_report_path_empty(self):
        self.assert_refused("smtpspec: --junit: the path is empty", "--junit", "")

    def test_2_report_directory_missing(self):
        self.assert_refused("smtpspec: --json: /nonexistent-dir/r.json: the directory "
                            "/nonexistent-dir does not exist", "--json", "/nonexistent-dir/r.json")

    def test_2_report_path_a_special_file(self):
        # as root, renaming a report over /dev/null would replace the device
        self.assert_refused("smtpspec: --json: /dev/null: exists and is not a regular file",
                            "--json", "/dev/null")
        self.assertTrue(os.path.exists("/dev/null") and
                        not os.path.isfile("/dev/null"), "/dev/null is still a device")

    def test_2_report_directory_unwritable(self):
        # /proc takes no new files, even for root
        self.assert_refused("smtpspec: --json: /proc/r.json: cannot create a file in /proc: "
                            "No such file or directory", "--json", "/proc/r.json")

    def test_2_empty_suite_name(self):
        self.assert_refused("smtpspec: --suite: the name is empty (give a suite name such "
                            "as basic, or a path)", "--suite", "", suite=None)

    def test_2_target_with_a_path(self):
        run = self.run_smtpspec(None, "replies", target="smtp://127.0.0.1:25/x", reports=False)
        self.assertEqual(run.rc, 2)
        self.assertEqual(run.stderr.strip(), 'smtpspec: target "127.0.0.1:25/x": a path '
                         '("/x") is not allowed; give smtp://host[:port]')

    def test_2_variable_repeated_past_the_expression_limit(self):
        # a 99-byte line that would expand to 255 MiB: each ${helo} counts
        # as its longest value (255 bytes)
        text = 'suite t\ntitle T\ncase a\ntitle A\nsend "${helo}"*1048576\n'
        run = self.run_smtpspec(None, text, reports=False)
        self.assertEqual(run.rc, 2)
        self.assertEqual(run.server.connections, 0)
        self.assertIn(":5: expression longer than 4194304 bytes", run.stderr)


class Profile(E2ETestCase):

    def test_noop_200_passes_under_rfc821_warns_under_rfc5321(self):
        scenario = {"rules": [{"match": "^NOOP", "reply": "200 ok\r\n"}]}
        old = self.run_smtpspec(scenario, "rfc821", "--case", "rfc821.noop",
                                "--profile", "rfc821")
        new = self.run_smtpspec(scenario, "replies", "--case", "replies.noop")
        c821 = self.assertCase(old, "rfc821.noop", "pass")
        ex821 = exchange(c821, "NOOP")
        self.assertIn(200, ex821["allowed"])
        self.assertEqual(ex821["verdict"], "pass")
        self.assertEqual(old.report["profile"], "rfc821")
        c5321 = self.assertCase(new, "replies.noop", "warn", "RFC 876",
                                rule="5321-4.2-listed-codes")
        self.assertNotIn(200, exchange(c5321, "NOOP")["allowed"])
        self.assertEqual(new.report["profile"], "rfc5321")


if __name__ == "__main__":
    unittest.main()
