"""suites/auth.suite against the fake server's AUTH (PLAIN, LOGIN), over
STARTTLS (--starttls, certificates from tests/certs/mkcerts.sh).

Every case passes against the conforming fake server and earns its rule's
verdict against one that breaks it.  Credentials go only over verified
TLS, and never appear in the live transcript (-v), the summary, the JSON
or the JUnit report: neither raw nor in Base64.

    /usr/bin/python3 -m unittest tests/suites/test_auth.py
"""
import base64
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suitetest import (BINARY, FakeServer, assert_conforming,  # noqa: E402
                       assert_deviations_caught, make_certs, remove_certs, run_case,
                       run_cases, suite_file)

USER, PASS = "smtpspec-user", "s3cret-Pa55word"
CERTS = None


def setUpModule():
    global CERTS
    CERTS = make_certs()


def tearDownModule():
    remove_certs(CERTS)


def server(**flags):
    return {"tls": {"cert": os.path.join(CERTS, "valid.pem"),
                    "key": os.path.join(CERTS, "valid.key")},
            "auth": dict(user=USER, **{"pass": PASS}, **flags)}


def args(*more):
    return ("--starttls", "--cacert", os.path.join(CERTS, "ca.pem"),
            "--auth-user", USER, "--auth-pass", PASS) + more


class Auth(unittest.TestCase):
    def test_conforming(self):
        rc, cases = run_cases("auth", server(), extra_args=args())
        assert_conforming(self, rc, cases)

    def test_deviations(self):
        dev = {
            "unknown-mechanism": [(dict(server(), rules=[
                {"match": "^AUTH X-", "reply": "535 no\r\n"}]), "info",
                "4954-4-unsupported-mechanism-504")],
            "cancel": [(server(cancel_accepted=True), "fail", "4954-4-cancel-501")],
            "bad-base64": [(server(lenient_base64=True), "fail", "4954-4-bad-base64-501")],
            "in-transaction": [(server(in_transaction=True), "fail",
                                "4954-4-auth-in-transaction-503"),
                               # AUTH PLAIN refused anywhere (say, TLS wanted): the
                               # control fails, nothing is blamed on the transaction
                               (dict(server(), auth=None,
                                     ehlo_keywords=["PIPELINING", "AUTH PLAIN"],
                                     rules=[{"match": "^AUTH",
                                             "reply": "538 5.7.11 Encryption required\r\n"}]),
                                "skip", "inconclusive")],
            "second-auth": [(server(accept_second=True), "fail", "4954-4-second-auth-503")],
            "wrong-password": [(server(wrong_code=True), "info",
                                "4954-6-invalid-credentials-535")],
        }
        assert_deviations_caught(self, "auth", dev, extra_args=args())

    def test_wrong_credentials_skip_not_fail(self):
        rc, case = run_case("auth", "plain", dict(server(), auth={"user": USER,
                                                                   "pass": "other"}),
                            extra_args=args())
        self.assertEqual(case["verdict"], "skip")
        self.assertIn("check --auth-user", case["reason"])

    def test_credentials_only_over_verified_tls(self):
        rc, cases = run_cases("auth", server(), cases=["plain"],
                              extra_args=("--auth-user", USER, "--auth-pass", PASS))
        self.assertEqual(cases["plain"]["verdict"], "skip")
        self.assertIn("only over TLS", cases["plain"]["reason"])
        rc, cases = run_cases("auth", server(), cases=["plain"],
                              extra_args=("--starttls", "--auth-user", USER, "--auth-pass", PASS))
        self.assertEqual(cases["plain"]["verdict"], "skip")
        self.assertIn("did not verify", cases["plain"]["reason"])

    def test_credential_cases_need_the_options(self):
        rc, cases = run_cases("auth", server(), extra_args=args()[:3])
        self.assertEqual(cases["plain"]["verdict"], "skip")
        self.assertEqual(cases["cancel"]["verdict"], "pass")

    def test_credentials_never_appear_in_any_output(self):
        secrets = [USER, PASS, base64.b64encode(USER.encode()).decode(),
                   base64.b64encode(PASS.encode()).decode(),
                   base64.b64encode(("\0%s\0%s" % (USER, PASS)).encode()).decode(),
                   base64.b64encode(("\0%s\0%s-smtpspec-wrong" % (USER, PASS)).encode()).decode()]
        with tempfile.TemporaryDirectory() as tmp, \
                FakeServer(server(), max_seconds=60) as srv:
            report, junit = os.path.join(tmp, "r.json"), os.path.join(tmp, "r.xml")
            cmd = [BINARY, "--suite", suite_file("auth"), "-v", "--timeout", "2", "--json",
                   report, "--junit", junit] + list(args()) + [
                "smtp://127.0.0.1:%d" % srv.port]
            proc = subprocess.run(cmd, capture_output=True, timeout=60)
            srv.wait_idle()
            outputs = {"stdout": proc.stdout, "stderr": proc.stderr,
                       "json": open(report, "rb").read(), "junit": open(junit, "rb").read()}
            # the server did receive them: the masking is not an accident
            sent = b"".join(srv.received)
        self.assertIn(b"[auth.plain] C: AUTH PLAIN ****", proc.stderr)
        for secret in secrets:
            for name, data in outputs.items():
                with self.subTest(secret=secret, output=name):
                    self.assertNotIn(secret.encode(), data)
        self.assertTrue(proc.returncode in (0, 1), proc.stderr[-2000:])
        self.assertTrue(sent)   # over TLS: the fake records the decrypted bytes
        self.assertIn(base64.b64encode(("\0%s\0%s" % (USER, PASS)).encode()), sent)


if __name__ == "__main__":
    unittest.main()
