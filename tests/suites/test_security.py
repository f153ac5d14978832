"""suites/security.suite against the fake server: each probe passes
against the fixed form and catches the vulnerable one.

    /usr/bin/python3 -m unittest tests/suites/test_security.py
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suitetest import (assert_conforming, assert_deviations_caught,  # noqa: E402
                       make_certs, remove_certs, run_case, run_cases)

SUITE = "security"
CERTS = None


def setUpModule():
    global CERTS
    CERTS = make_certs()


def tearDownModule():
    remove_certs(CERTS)


def tls(**flags):
    return {"tls": dict(cert=os.path.join(CERTS, "valid.pem"),
                        key=os.path.join(CERTS, "valid.key"), **flags)}


def cacert():
    return ("--cacert", os.path.join(CERTS, "ca.pem"))


class StarttlsInjection(unittest.TestCase):
    def test_fixed_server_passes(self):
        rc, cases = run_cases(SUITE, tls(), extra_args=cacert())
        assert_conforming(self, rc, cases)

    def test_injected_command_answered_over_tls_fails(self):
        assert_deviations_caught(self, SUITE, {"starttls-command-injection": [
            (tls(process_pipelined=True), "fail", "3207-4.2-server-discards-knowledge")]},
            extra_args=cacert())

    def test_the_injection_is_named_in_the_finding(self):
        rc, case = run_case(SUITE, "starttls-command-injection", tls(process_pipelined=True),
                            extra_args=cacert())
        sent = [e["sent"] for e in case["exchanges"]]
        self.assertIn("STARTTLS\\r\\nNOOP\\r\\n", sent)
        self.assertIn("further reply", case["reason"])

    def test_skipped_without_starttls(self):
        rc, case = run_case(SUITE, "starttls-command-injection", {})
        self.assertEqual(case["verdict"], "skip")
        self.assertIn("STARTTLS", case["reason"])

    def test_skipped_under_starttls(self):
        rc, case = run_case(SUITE, "starttls-command-injection", tls(),
                            extra_args=cacert() + ("--starttls",))
        self.assertEqual(case["verdict"], "skip")


if __name__ == "__main__":
    unittest.main()
