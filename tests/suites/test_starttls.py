"""suites/starttls.suite and suites/tls.suite against the fake server's
STARTTLS and implicit TLS, with certificates made by tests/certs/mkcerts.sh.

Each case passes against the conforming fake server (STARTTLS with a
certificate from the test CA, --cacert given) and earns its rule's verdict
against a server that breaks it.  The certificate kinds (expired,
self-signed, wrong name, weak key) are findings that name OpenSSL's reason:
fails over smtps:// (RFC 8314 §4.4), notes after STARTTLS (RFC 3207 §4.1).
A server that answers 220 to STARTTLS and then fails the handshake gets the
finding with OpenSSL's text.

    /usr/bin/python3 -m unittest tests/suites/test_starttls.py
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suitetest import (assert_conforming, assert_deviations_caught,  # noqa: E402
                       make_certs, remove_certs, run_case, run_cases)

SUITE = "starttls"
CERTS = None


def setUpModule():
    global CERTS
    CERTS = make_certs()


def tearDownModule():
    remove_certs(CERTS)


def tls(kind="valid", **flags):
    """A scenario with STARTTLS and the kind's certificate."""
    return {"tls": dict(cert=os.path.join(CERTS, kind + ".pem"),
                        key=os.path.join(CERTS, kind + ".key"), **flags)}


def cacert():
    return ("--cacert", os.path.join(CERTS, "ca.pem"))


class Conforming(unittest.TestCase):
    def test_conforming_server_passes(self):
        rc, cases = run_cases(SUITE, tls(), extra_args=cacert())
        assert_conforming(self, rc, cases, skipped=("unadvertised",))
        self.assertIsNone(cases["certificate"]["rule"])
        self.assertTrue(cases["handshake"]["tls"]["verification"]["ok"])
        self.assertEqual(cases["handshake"]["tls"]["certificate"]["subject"], "CN=fake.test")

    def test_without_starttls_only_unadvertised_runs(self):
        rc, cases = run_cases(SUITE, {}, extra_args=cacert())
        for cid, case in cases.items():
            with self.subTest(case=cid):
                self.assertEqual(case["verdict"], "pass" if cid == "unadvertised" else "skip",
                                 case["reason"])
        self.assertIn("does not advertise STARTTLS", cases["handshake"]["reason"])

    def test_unadvertised_starttls_answered_220_is_judged_by_the_table_only(self):
        rc, case = run_case(SUITE, "unadvertised", {"rules": [
            {"match": "^STARTTLS", "reply": "220 go ahead\r\n"}]})
        self.assertEqual(case["verdict"], "pass", case["reason"])


class Deviations(unittest.TestCase):
    def test_each_deviation_is_caught(self):
        dev = {
            "handshake": [(tls(fail_handshake=True), "info", "3207-3-starttls-keyword")],
            "argument": [(tls(accept_argument=True), "info", "3207-4-starttls-no-parameters")],
            "no-response-injection": [(tls(inject_response=True), "fail",
                                       "5321-4.2-one-reply")],
            "never-starts-tls": [(tls(inject_response=True), "fail", "5321-4.2-one-reply")],
            "not-readvertised": [(tls(advertise_after_tls=True), "fail",
                                  "3207-4.2-no-starttls-after-tls")],
            "second-starttls": [(tls(accept_second=True), "fail", "3207-4.2-know-tls-active")],
            "ehlo-forgotten": [
                (tls(keep_state=True), "fail", "3207-4.2-server-discards-knowledge"),
                # MAIL before EHLO accepted in plaintext too: the control fails
                (dict(tls(), rules=[{"match": "^MAIL", "state": "init", "times": 1,
                                     "reply": "250 ok\r\n"}]), "skip", "inconclusive"),
                # 530 (TLS required first) is not a refusal for want of EHLO
                (dict(tls(keep_state=True), rules=[
                    {"match": "^MAIL", "state": "init", "times": 1,
                     "reply": "530 5.7.0 Must issue a STARTTLS command first\r\n"}]),
                 "skip", "inconclusive")],
            "in-transaction": [
                (tls(keep_state=True), "fail", "3207-4.2-server-discards-knowledge"),
                (dict(tls(), rules=[{"match": "^RCPT", "state": "ready", "times": 1,
                                     "reply": "250 ok\r\n"}]), "skip", "inconclusive")],
        }
        assert_deviations_caught(self, SUITE, dev, extra_args=cacert())

    def test_failed_handshake_names_openssl_reason(self):
        rc, case = run_case(SUITE, "handshake", tls(fail_handshake=True), extra_args=cacert())
        self.assertEqual(case["verdict"], "info")
        self.assertIn("answered 220 to it, then: TLS handshake failed", case["reason"])
        self.assertIn("alert handshake failure", case["reason"])
        self.assertIsNone(case["tls"])


class Certificates(unittest.TestCase):
    REASONS = {"expired": "certificate has expired", "selfsigned": "self-signed certificate",
               "wrongname": "IP address mismatch", "weak": "EE certificate key too weak"}

    def test_starttls_certificate_kinds_are_notes_with_the_reason(self):
        for kind, reason in self.REASONS.items():
            with self.subTest(kind=kind):
                rc, case = run_case(SUITE, "certificate", tls(kind), extra_args=cacert())
                self.assertEqual(case["verdict"], "pass", case["reason"])
                notes = [f["message"] for e in case["exchanges"] for f in e["findings"]]
                self.assertTrue(any(reason in n and n.startswith("note:") for n in notes),
                                notes)
                self.assertEqual(case["tls"]["verification"]["reason"], reason)

    def test_implicit_tls_certificate_kinds_fail_with_the_reason(self):
        for kind, reason in list(self.REASONS.items()) + [("valid", None)]:
            with self.subTest(kind=kind):
                conf = tls(kind)["tls"]
                scenario = {"implicit_tls": {"cert": conf["cert"], "key": conf["key"]}}
                rc, case = run_case("tls", "certificate", scenario, extra_args=cacert(),
                                    scheme="smtps")
                if reason is None:
                    self.assertEqual(case["verdict"], "pass", case["reason"])
                    continue
                self.assertEqual(case["verdict"], "fail", case["reason"])
                self.assertEqual(case["rule"], "8314-4.4-valid-certificates")
                self.assertIn(reason, case["reason"])

    def test_insecure_records_no_verification(self):
        rc, case = run_case(SUITE, "certificate", tls("selfsigned"), extra_args=("--insecure",))
        self.assertEqual(case["verdict"], "pass", case["reason"])
        self.assertIsNone(case["tls"]["verification"])


class StarttlsOption(unittest.TestCase):
    def test_every_case_runs_over_tls_and_plaintext_cases_skip(self):
        rc, cases = run_cases("basic", tls(), extra_args=cacert() + ("--starttls",))
        assert_conforming(self, rc, cases, skipped=("data",))
        for cid, case in cases.items():
            if cid != "data":
                with self.subTest(case=cid):
                    self.assertEqual(case["tls"]["version"][:4], "TLSv", case["tls"])
        rc, cases = run_cases(SUITE, tls(), extra_args=cacert() + ("--starttls",))
        for cid, case in cases.items():
            with self.subTest(case=cid):
                self.assertEqual(case["verdict"], "skip")
                self.assertIn("plaintext", case["reason"])

    def test_starttls_without_the_keyword_skips_every_case(self):
        rc, cases = run_cases("basic", {}, extra_args=("--starttls",))
        for cid, case in cases.items():
            with self.subTest(case=cid):
                self.assertEqual(case["verdict"], "skip")
                self.assertIn("does not advertise STARTTLS", case["reason"])

    def test_handshake_failure_under_starttls(self):
        rc, cases = run_cases("basic", tls(fail_handshake=True), cases=["noop"],
                              extra_args=cacert() + ("--starttls",))
        self.assertEqual(cases["noop"]["verdict"], "skip")
        self.assertIn("could not start TLS", cases["noop"]["reason"])
        self.assertIn("handshake", cases["noop"]["reason"])


if __name__ == "__main__":
    unittest.main()
