"""suites/security.suite against the fake server: each probe passes
against the fixed form and catches the vulnerable one; the findings carry
their advisory and come first; and no probe ends message data without
--rcpt.

    /usr/bin/python3 -m unittest tests/suites/test_security.py
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suitetest import (BINARY, FakeServer, assert_conforming,  # noqa: E402
                       assert_deviations_caught, make_certs, remove_certs, run_case,
                       run_cases, suite_file)

SUITE = "security"
RCPT = ("--rcpt", "smtpspec@fake.test")
CERTS = None

# (case, the sequence a vulnerable server takes for the end of the data,
#  the rule that catches it)
SMUGGLING = [
    ("smuggling-lf-dot-lf", "\n.\n", "5321-4.1.1.4-lf-dot-lf"),
    ("smuggling-cr-dot-cr", "\r.\r", "5321-2.3.8-crlf-only"),
    ("smuggling-cr-dot-lf", "\r.\n", "5321-2.3.8-crlf-only"),
    ("smuggling-lf-dot-cr", "\n.\r", "5321-2.3.8-crlf-only"),
    ("smuggling-lf-dot-crlf", "\n.\r\n", "5321-2.3.8-crlf-only"),
    ("smuggling-crlf-dot-lf", "\r\n.\n", "5321-2.3.8-crlf-only"),
    ("smuggling-cr-dot-crlf", "\r.\r\n", "5321-2.3.8-crlf-only"),
    ("smuggling-crlf-dot-cr", "\r\n.\r", "5321-2.3.8-crlf-only"),
    ("smuggling-crlf-dot-cr-crlf", "\r\n.\r\r\n", "5321-2.3.8-crlf-only"),
    ("smuggling-crcrlf-dot-crcrlf", "\r\r\n.\r\r\n", "5321-2.3.8-crlf-only"),
]
NUL_SMUGGLING = ["smuggling-crlf-nul-dot-crlf", "smuggling-crlf-dot-nul-crlf"]
RELAY = [
    ("open-relay", "plain"),
    ("open-relay-percent", "percent-hack"),
    ("open-relay-quoted", "quoted"),
    ("open-relay-source-route", "source-route"),
    ("open-relay-bang-path", "bang-path"),
    ("open-relay-literal", "address-literal"),
    ("open-relay-postmaster-literal", "postmaster-literal"),
]
RELAY_RULE = "5321-3.6.2-relay-accept-or-reject"


def setUpModule():
    global CERTS
    CERTS = make_certs()


def tearDownModule():
    remove_certs(CERTS)


def tls(**flags):
    return dict(cert=os.path.join(CERTS, "valid.pem"), key=os.path.join(CERTS, "valid.key"),
                **flags)


def cacert():
    return ("--cacert", os.path.join(CERTS, "ca.pem"))


def fixed(**over):
    """The fixed server: STARTTLS, AUTH only over TLS, no relay, bare CR
    and LF in data refused at the end, VRFY 252, EXPN 502."""
    scenario = {"tls": tls(), "auth": {"user": "u", "pass": "p", "tls_only": True},
                "relay": {}, "bare_in_data": "reject"}
    scenario.update(over)
    return scenario


class FixedServer(unittest.TestCase):
    def test_every_probe_passes(self):
        rc, cases = run_cases(SUITE, fixed(), extra_args=cacert() + RCPT)
        # TLS is offered, not enforced (a public MX must not enforce it):
        # the one info, tested below with require_tls.
        del cases["mail-before-starttls"]
        assert_conforming(self, 0, cases)

    def test_refused_at_once_and_closed_also_passes(self):
        """Postfix's smtpd_forbid_bare_newline: 521 and a close, at once."""
        rc, cases = run_cases(SUITE, fixed(bare_in_data="refuse"),
                              cases=[c for c, _, _ in SMUGGLING], extra_args=RCPT)
        assert_conforming(self, rc, cases)
        for cid, case in cases.items():
            # a sequence ending in CR is refused once the real end shows
            # the CR bare; the others at once ("rejected" early)
            self.assertIn("521 5.5.2", json.dumps(case["exchanges"]), cid)
        self.assertIn("rejected", json.dumps(cases["smuggling-lf-dot-lf"]["exchanges"]))


class Smuggling(unittest.TestCase):
    def test_each_sequence_accepted_early_fails(self):
        assert_deviations_caught(self, SUITE, {
            cid: [({"data_ends": [seq]}, "fail", rule), (fixed(), "pass", None)]
            for cid, seq, rule in SMUGGLING}, extra_args=RCPT)

    def test_nul_dropped_is_info(self):
        assert_deviations_caught(self, SUITE, {
            cid: [({"nul_in_data": "strip"}, "info", "5321-4.5.2-single-period"),
                  ({}, "pass", None)]
            for cid in NUL_SMUGGLING}, extra_args=RCPT)

    def test_bare_cr_lf_kept_in_the_message_is_info(self):
        assert_deviations_caught(self, SUITE, {
            cid: [({"bare_in_data": "keep"}, "info", "5321-2.3.8-bare-cr-lf")]
            for cid, _, _ in SMUGGLING}, extra_args=RCPT)

    def test_accepted_early_sends_nothing_after_the_sequence(self):
        with FakeServer({"data_ends": ["\n.\n"]}) as srv:
            run(srv, "smuggling-lf-dot-lf", RCPT)
            srv.wait_idle()
            data = [d for d in srv.received if b"smuggling probe" in d][0]
            messages = srv.messages
        self.assertTrue(data.endswith(b"smtpspec probe\n.\n"), data[-40:])
        # the control message, and the first part of the probe
        self.assertEqual(len(messages), 2)
        self.assertIn(b"smtpspec control", messages[0])

    def test_refusal_of_the_control_is_inconclusive(self):
        """Greylisting refuses the clean message too: the probe's refusal
        proves nothing, and the case does not pass."""
        greylist = {"bare_in_data": "reject", "data_end_reply": "451 4.7.1 greylisted\r\n"}
        rc, case = run_case(SUITE, "smuggling-lf-dot-lf", greylist, extra_args=RCPT)
        self.assertEqual(case["verdict"], "skip")
        self.assertIn("inconclusive", case["reason"])

    def test_skipped_without_rcpt_and_says_why(self):
        rc, case = run_case(SUITE, "smuggling-lf-dot-lf", {})
        self.assertEqual(case["verdict"], "skip")
        self.assertIn("--rcpt", case["reason"])

    def test_pipelining_desync_caught(self):
        # a server that never answers a command of the group after the data
        dropping = {"rules": [{"match": "^RSET", "action": "silence"}]}
        assert_deviations_caught(self, SUITE, {"pipelining-after-data": [
            (fixed(), "pass", None),
            (dropping, "fail", "2920-3.2-send-pending")]}, extra_args=RCPT)


class Safety(unittest.TestCase):
    def test_no_end_of_data_after_354_without_rcpt(self):
        """Against a server that accepts every recipient, every security
        probe (and every other suite's) runs without --rcpt: none may send
        <CRLF>.<CRLF> after a 354."""
        vulnerable = {"data_ends": ["\n.\n"], "tls": tls(process_pipelined=True),
                      "auth": {"user": "u", "pass": "p"}}
        with FakeServer(vulnerable) as srv:
            with tempfile.TemporaryDirectory() as tmp:
                subprocess.run([BINARY, "--timeout", "2", "-j", "8", "--json",
                                os.path.join(tmp, "r.json"), "--cacert",
                                os.path.join(CERTS, "ca.pem"),
                                "smtp://127.0.0.1:%d" % srv.port],
                               capture_output=True, timeout=300)
            srv.wait_idle()
            self.assertEqual(srv.messages, [])
            received = srv.received
            for i, data in enumerate(received):
                after = data[data.find(b"DATA\r\n"):] if b"DATA\r\n" in data else b""
                with self.subTest(connection=i):
                    self.assertNotIn(b"\r\n.\r\n", after, data[-200:])
            self.assertGreater(len(received), 100)
            # the smuggling probes did not even start: they need --rcpt
            self.assertFalse(any(b"smuggling probe" in d for d in received))

    def test_relay_probes_never_send_data(self):
        with FakeServer({}) as srv:
            run(srv, "open-relay*", ())
            srv.wait_idle()
            commands = [c.split(" ")[0].upper() for conn in srv.commands for c in conn]
        self.assertNotIn("DATA", commands)
        self.assertEqual(commands.count("RSET"), len(RELAY))


class OpenRelay(unittest.TestCase):
    def test_each_form_caught_and_fixed(self):
        assert_deviations_caught(self, SUITE, {
            cid: [({"relay": {"open": [form]}}, "info", RELAY_RULE),
                  ({"relay": {"open": [f for _, f in RELAY if f != form]}}, "pass", None)]
            for cid, form in RELAY})

    def test_relay_options_are_used(self):
        with FakeServer({"relay": {}}) as srv:
            run(srv, "open-relay", ("--relay-from", "a@one.example", "--relay-to",
                                    "b@two.example"))
            srv.wait_idle()
        commands = [c for conn in srv.commands for c in conn]
        self.assertIn("MAIL FROM:<a@one.example>", commands)
        self.assertIn("RCPT TO:<b@two.example>", commands)

    def test_bad_relay_option_exits_2(self):
        proc = subprocess.run([BINARY, "--relay-to", "no-at-sign", "smtp://127.0.0.1:1"],
                              capture_output=True, text=True)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--relay-to", proc.stderr)


class Enumeration(unittest.TestCase):
    def test_vrfy_and_expn(self):
        telling = {"mailboxes": ["alice"]}
        assert_deviations_caught(self, SUITE, {
            "vrfy-enumeration": [(telling, "info", "5321-7.3-vrfy-expn-disable"),
                                 ({}, "pass", None)],
            "expn-enumeration": [(telling, "info", "5321-7.3-vrfy-expn-disable"),
                                 ({}, "pass", None)]})

    def test_rcpt_difference_is_a_note(self):
        rc, case = run_case(SUITE, "rcpt-enumeration", {"mailboxes": ["alice"]},
                            extra_args=("--domain", "fake.test"))
        self.assertEqual(case["verdict"], "pass")
        self.assertIn("told apart", json.dumps(case["exchanges"]))
        rc, case = run_case(SUITE, "rcpt-enumeration", {}, extra_args=("--domain", "fake.test"))
        self.assertNotIn("told apart", json.dumps(case["exchanges"]))


class AuthExposure(unittest.TestCase):
    def test_offered_and_accepted_in_plaintext_warn(self):
        open_auth = {"auth": {"user": "u", "pass": "p"}}
        assert_deviations_caught(self, SUITE, {
            "auth-offered-in-plaintext": [(open_auth, "warn", "4954-4-no-plaintext-passwords"),
                                          (fixed(), "pass", None)],
            "auth-plain-in-plaintext": [(open_auth, "warn", "4954-4-no-plaintext-passwords"),
                                        (fixed(), "pass", None)],
            "auth-login-in-plaintext": [(open_auth, "warn", "4954-4-no-plaintext-passwords"),
                                        (fixed(), "pass", None)]}, extra_args=cacert())

    def test_plaintext_probes_skip_over_smtps(self):
        """Over implicit TLS a password mechanism is protected: no warn."""
        implicit = {"implicit_tls": {"cert": os.path.join(CERTS, "valid.pem"),
                                     "key": os.path.join(CERTS, "valid.key")},
                    "auth": {"user": "u", "pass": "p"}}
        for cid in ("auth-offered-in-plaintext", "auth-plain-in-plaintext",
                    "auth-login-in-plaintext"):
            rc, case = run_case(SUITE, cid, implicit, extra_args=cacert(), scheme="smtps")
            with self.subTest(case=cid):
                self.assertEqual(case["verdict"], "skip")
                self.assertIn("implicit TLS", case["reason"])

    def test_mail_before_starttls_is_info(self):
        assert_deviations_caught(self, SUITE, {"mail-before-starttls": [
            ({"tls": tls()}, "info", "3207-4-may-require-tls"),
            ({"tls": tls(require_tls=True)}, "pass", None)]}, extra_args=cacert())


class Turn(unittest.TestCase):
    def test_turn_granted_warns(self):
        assert_deviations_caught(self, SUITE, {"turn": [
            ({"rules": [{"match": "^TURN", "reply": "250 OK, turning\r\n"}]}, "warn",
             "5321-app-f.1-turn"),
            ({}, "pass", None)]})


class StarttlsInjection(unittest.TestCase):
    def test_injection_caught(self):
        assert_deviations_caught(self, SUITE, {
            "starttls-command-injection": [
                ({"tls": tls(process_pipelined=True)}, "fail",
                 "3207-4.2-server-discards-knowledge"),
                ({"tls": tls()}, "pass", None)],
            "starttls-response-injection": [
                ({"tls": tls(inject_response=True)}, "fail", "5321-4.2-one-reply"),
                ({"tls": tls()}, "pass", None)]}, extra_args=cacert())

    def test_the_injection_is_named_in_the_finding(self):
        rc, case = run_case(SUITE, "starttls-command-injection",
                            {"tls": tls(process_pipelined=True)}, extra_args=cacert())
        sent = [e["sent"] for e in case["exchanges"]]
        self.assertIn("STARTTLS\\r\\nNOOP\\r\\n", sent)
        self.assertIn("further reply", case["reason"])

    def test_skipped_without_starttls_and_under_starttls(self):
        rc, case = run_case(SUITE, "starttls-command-injection", {})
        self.assertEqual(case["verdict"], "skip")
        rc, case = run_case(SUITE, "starttls-command-injection", {"tls": tls()},
                            extra_args=cacert() + ("--starttls",))
        self.assertEqual(case["verdict"], "skip")


class Reports(unittest.TestCase):
    """Security findings come first, with their advisory and fix, in the
    terminal summary, the JSON report and the JUnit file."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="security-reports-")
        with FakeServer({"data_ends": ["\n.\n"],
                         "rules": [{"match": "^NOOP", "reply": "500 no NOOP here\r\n"}]}) as srv:
            cls.proc = subprocess.run(
                [BINARY, "--suite", suite_file(SUITE), "--suite", suite_file("basic"),
                 "--case", "security.smuggling-lf-dot-lf", "--case", "security.open-relay",
                 "--case", "basic.*", "--timeout", "2", "-j", "4", "--no-color",
                 "--json", os.path.join(cls.tmp, "r.json"),
                 "--junit", os.path.join(cls.tmp, "r.xml")] + list(RCPT) +
                ["smtp://127.0.0.1:%d" % srv.port], capture_output=True, text=True,
                timeout=120)
        with open(os.path.join(cls.tmp, "r.json"), encoding="utf-8") as f:
            cls.report = json.load(f)

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["rm", "-rf", cls.tmp])

    def test_json_findings_security_first_with_advisory(self):
        findings = self.report["findings"]
        flags = [f["security"] for f in findings]
        self.assertIn(True, flags)
        self.assertIn(False, flags, "the basic suite should find something too")
        self.assertEqual(flags, sorted(flags, reverse=True))
        first = findings[0]
        self.assertIn("CVE-2023-51764", first["advisory"])
        self.assertIn("smtpd_forbid_bare_newline", first["fix"])
        self.assertEqual(first["rule"], "5321-4.1.1.4-lf-dot-lf")
        self.assertEqual(first["verdict"], "fail")

    def test_json_cases_carry_the_flag(self):
        cases = {c["id"]: c for c in self.report["cases"]}
        self.assertTrue(cases["security.open-relay"]["security"])
        self.assertIn("Open relay", cases["security.open-relay"]["advisory"])
        self.assertFalse(cases["basic.noop"]["security"])
        self.assertNotIn("advisory", cases["basic.noop"])

    def test_terminal_summary_security_first(self):
        out = self.proc.stdout
        self.assertIn("Security findings:", out)
        self.assertIn("Other findings:", out)
        self.assertLess(out.index("Security findings:"), out.index("Other findings:"))
        self.assertLess(out.index("fix: Postfix: smtpd_forbid_bare_newline"),
                        out.index("Other findings:"))

    def test_junit_security_testsuite_first(self):
        with open(os.path.join(self.tmp, "r.xml"), encoding="utf-8") as f:
            xml = f.read()
        first = xml.index("<testsuite ")
        self.assertEqual(xml.index('name="smtpspec.security"'),
                         xml.index('name="smtpspec.', first))
        self.assertIn("security: SMTP smuggling", xml)


def run(srv, pattern, extra):
    with tempfile.TemporaryDirectory() as tmp:
        return subprocess.run([BINARY, "--suite", suite_file(SUITE), "--case",
                               "security." + pattern, "--timeout", "2", "-j", "4", "--json",
                               os.path.join(tmp, "r.json")] + list(extra) +
                              ["smtp://127.0.0.1:%d" % srv.port], capture_output=True,
                              timeout=120)


if __name__ == "__main__":
    unittest.main()
