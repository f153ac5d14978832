"""suites/pipelining.suite, size.suite and chunking.suite against the fake
server, and the automatic ENHANCEDSTATUSCODES check.

Each case passes against the conforming fake server (which advertises
PIPELINING, SIZE 10240000 and, here, CHUNKING) and earns its rule's verdict
against a server that breaks it; a control that fails makes the case
inconclusive.  The cases that complete a message need --rcpt; the fake
server discards what it receives.

    /usr/bin/python3 -m unittest tests/suites/test_extensions.py
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suitetest import (assert_conforming, assert_deviations_caught,  # noqa: E402
                       rule, rules, run_case, run_cases)

RCPT = ("--rcpt", "smtpspec@fake.test")
CHUNKING = {"chunking": {}}
SEND_PENDING = "2920-3.2-send-pending"


def chunking(**flags):
    return {"chunking": flags}


class Pipelining(unittest.TestCase):
    def test_conforming(self):
        rc, cases = run_cases("pipelining", extra_args=RCPT)
        assert_conforming(self, rc, cases, skipped=("without-extension",))

    def test_before_greeting(self):
        rc, case = run_case("pipelining", "before-greeting")
        self.assertEqual(case["verdict"], "pass", case["reason"])
        self.assertEqual([e["table_command"] for e in case["exchanges"]],
                         ["GREETING", "EHLO", "NOOP"])
        self.assertTrue(case["exchanges"][0]["sent"].startswith("EHLO "))
        # a server that drops an early talker: not judged
        rc, case = run_case("pipelining", "before-greeting",
                            {"rules": [{"match": "^EHLO", "action": "close"}]})
        self.assertNotEqual(case["verdict"], "fail", case["reason"])
        # the replies' codes are notes (nothing says how a server answers)
        rc, case = run_case("pipelining", "before-greeting",
                            rules(rule("^EHLO", 554), rule("^NOOP", 354)))
        self.assertEqual(case["verdict"], "pass", case["reason"])
        notes = [f["message"] for e in case["exchanges"] for f in e["findings"]]
        self.assertTrue(any("not judged" in n for n in notes), notes)
        # ... but their syntax is judged
        rc, case = run_case("pipelining", "before-greeting",
                            rules({"match": "^NOOP", "reply": "250-a\r\n251 b\r\n"}))
        self.assertEqual((case["verdict"], case["rule"]),
                         ("fail", "5321-4.2.1-multiline-same-code"))

    def test_without_the_extension(self):
        rc, cases = run_cases("pipelining", {"ehlo_keywords": ["8BITMIME"]}, extra_args=RCPT)
        self.assertEqual(cases["without-extension"]["verdict"], "pass")
        self.assertEqual(cases["group"]["verdict"], "skip")
        # a server that refuses unannounced pipelining (554) and closes: not judged
        rc, case = run_case("pipelining", "without-extension", {
            "ehlo_keywords": ["8BITMIME"],
            "rules": [{"match": "^NOOP", "times": 1, "then_close": True,
                       "reply": "554 5.5.0 Error: SMTP protocol synchronization\r\n"}]})
        self.assertNotIn(case["verdict"], ("fail", "warn", "info"), case["reason"])

    def test_deviations(self):
        control = rule("^XSMTPSPEC", 500, times=1)
        dev = {
            "group": [
                # the unknown verb's reply is lost
                (rules(control, {"match": "^XSMTPSPEC", "reply": ""}), "fail",
                 "2920-3.2-reply-order"),
                # the replies to the unknown verb and NOOP come swapped
                (rules(control, rule("^XSMTPSPEC", 250), rule("^NOOP", 500)), "fail",
                 "2920-3.2-reply-order"),
                # the last reply is held back
                (rules(control, {"match": "^NOOP", "action": "silence"}), "fail",
                 SEND_PENDING),
                # an unknown verb accepted: the order cannot be seen (the case
                # is void; the code table's finding on the 250 stays)
                (rules(rule("^XSMTPSPEC", 250)), "warn", "5321-4.2.4-unrecognized-500")],
            "group-ending-in-data": [
                (rules({"match": "^DATA", "action": "silence"}), "fail", SEND_PENDING)],
            "data-without-valid-rcpt": [
                (rules(rule("^DATA", 354, state="mail")), "warn", "2920-3.2-data-iff-rcpt"),
                (rules(rule("^RCPT", 250)), "skip", "inconclusive")],
        }
        assert_deviations_caught(self, "pipelining", dev, extra_args=RCPT)


class Size(unittest.TestCase):
    def test_conforming(self):
        rc, cases = run_cases("size", extra_args=RCPT)
        assert_conforming(self, rc, cases, skipped=("zero-means-no-limit",))
        rc, cases = run_cases("size", {"ehlo_keywords": ["SIZE 0"]}, extra_args=RCPT)
        assert_conforming(self, rc, cases, skipped=("over-limit",))
        self.assertIn("no fixed limit", cases["over-limit"]["reason"])

    def test_deviations(self):
        dev = {
            "under-limit": [(rules(rule(" SIZE=", 555)), "info", "1870-4-accept-extended-mail"),
                            (rules(rule("^MAIL", 550)), "skip", "inconclusive")],
            "over-limit": [(rules(rule(" SIZE=", 250)), "info", "1870-6.1-over-limit-552")],
            "larger-than-declared": [
                (rules(dict(rule("^DATA", 354, text="go"),
                            later="250 ended at the declared size\r\n", later_delay_ms=100)),
                 "fail", "1870-6-size-not-end-of-data")],
        }
        assert_deviations_caught(self, "size", dev, extra_args=RCPT)
        rc, case = run_case("size", "zero-means-no-limit",
                            rules(rule(" SIZE=", 552), ehlo_keywords=["SIZE 0"]))
        self.assertEqual((case["verdict"], case["rule"]), ("info", "1870-3-size-zero-no-limit"))

    def test_over_limit_uses_the_advertised_limit(self):
        rc, case = run_case("size", "over-limit", {"ehlo_keywords": ["SIZE 1000"]})
        self.assertEqual(case["verdict"], "pass", case["reason"])
        sent = [e["command"] for e in case["exchanges"]]
        self.assertIn("MAIL FROM:<smtpspec@smtpspec.invalid> SIZE=1001", sent)


class Chunking(unittest.TestCase):
    def test_conforming(self):
        rc, cases = run_cases("chunking", CHUNKING, extra_args=RCPT)
        assert_conforming(self, rc, cases)

    def test_messages_are_delivered_with_dots_kept(self):
        from suitetest import FakeServer  # noqa: F401  (the harness starts it)
        rc, case = run_case("chunking", "dots-are-data", CHUNKING)
        self.assertEqual(case["verdict"], "pass", case["reason"])

    def test_without_chunking_every_case_skips(self):
        rc, cases = run_cases("chunking", {}, extra_args=RCPT)
        for cid, case in cases.items():
            with self.subTest(case=cid):
                self.assertEqual(case["verdict"], "skip")

    def test_deviations(self):
        dev = {
            "bdat-last": [(chunking(lines_are_commands=True), "info", "3030-2-chunk-octets")],
            "without-transaction": [(chunking(lines_are_commands=True), "fail",
                                     "3030-2-discard-failed-chunk")],
            "chunk-larger-than-sent": [(chunking(early_reply=True), "info",
                                        "3030-2-chunk-octets")],
            "dots-are-data": [(chunking(dot_ends_chunk=True), "info", "3030-2-chunk-octets")],
            "data-after-bdat": [(chunking(data_after_bdat=True), "fail",
                                 "3030-2-data-after-bdat-503")],
            "bdat-after-last": [(chunking(bdat_after_last=True), "fail",
                                 "3030-2-bdat-after-last-503")],
            "data-still-supported": [(dict(CHUNKING, rules=[rule("^DATA", 502)]), "fail",
                                      "3030-2-data-still-supported")],
        }
        assert_deviations_caught(self, "chunking", dev, extra_args=RCPT)


DSN = {"ehlo_keywords": ["PIPELINING", "SIZE 10240000", "8BITMIME", "DSN", "SMTPUTF8"]}


class EightbitAndSmtputf8(unittest.TestCase):
    def test_conforming(self):
        for suite in ("8bitmime", "smtputf8"):
            with self.subTest(suite=suite):
                rc, cases = run_cases(suite, DSN, extra_args=RCPT)
                assert_conforming(self, rc, cases)

    def test_deviations(self):
        assert_deviations_caught(self, "8bitmime", {
            "body-8bitmime": [(dict(DSN, rules=[rule("BODY=8BITMIME", 555)]), "info",
                               "6152-3-extended-mail"),
                              (dict(DSN, rules=[rule("^MAIL", 550)]), "skip", "inconclusive")],
            "body-7bit": [(dict(DSN, rules=[rule("BODY=7BIT", 501)]), "info",
                           "6152-3-extended-mail")],
            "eightbit-message": [(dict(DSN, data_end_reply={"reply": "554 no 8-bit here\r\n"}),
                                  "skip", "inconclusive")],
        }, extra_args=RCPT)
        assert_deviations_caught(self, "smtputf8", {
            "utf8-sender": [(dict(DSN, rules=[rule("^MAIL FROM:<sm\xc3", 553)]), "fail",
                             "6531-3.2-accept-utf8-mailbox"),
                            # a 550 may be policy: not judged
                            (dict(DSN, rules=[rule("^MAIL FROM:<sm\xc3", 550)]), "pass", None),
                            # the sender refused in ASCII too: nothing is blamed on UTF-8
                            (dict(DSN, rules=[rule("^MAIL FROM:<sm", 553)]), "skip",
                             "inconclusive")],
            "utf8-recipient": [(dict(DSN, rules=[rule("^RCPT TO:<p\xc3", 501)]), "fail",
                                "6531-3.2-accept-utf8-mailbox")],
        }, extra_args=RCPT)

    def test_without_the_keywords(self):
        rc, cases = run_cases("smtputf8", {}, extra_args=RCPT)
        self.assertTrue(all(c["verdict"] == "skip" for c in cases.values()))


class Dsn(unittest.TestCase):
    def test_conforming(self):
        rc, cases = run_cases("dsn", DSN)
        assert_conforming(self, rc, cases)

    def test_without_dsn_every_case_skips(self):
        rc, cases = run_cases("dsn", {})
        self.assertTrue(all(c["verdict"] == "skip" for c in cases.values()))

    def test_deviations(self):
        def on(match, code):
            return dict(DSN, rules=[rule(match, code)])
        dev = {
            "mail-ret-envid": [(on("ENVID=", 555), "fail", "3461-5.1-mail-same-reply"),
                               (on("^MAIL", 550), "skip", "inconclusive")],
            "mail-ret-full": [(on("RET=FULL", 550), "fail", "3461-5.1-mail-same-reply")],
            "mail-ret-invalid": [(on("RET=ALL", 250), "fail", "3461-5.1-mail-invalid-501"),
                                 (on("RET=ALL", 555), "fail", "3461-5.1-mail-invalid-501")],
            "mail-envid-bad-xtext": [(on("ENVID=smtpspec\\+ZZ", 250), "fail",
                                      "3461-5.1-mail-invalid-501")],
            "mail-ret-twice": [(on("RET=FULL", 250), "fail", "3461-5.1-mail-invalid-501")],
            "rcpt-notify-orcpt": [(on("NOTIFY=", 555), "fail", "3461-5.1-rcpt-same-reply")],
            "rcpt-notify-never": [(on("NOTIFY=NEVER", 550), "fail", "3461-5.1-rcpt-same-reply")],
            "rcpt-notify-never-combined": [(on("NEVER,", 250), "warn",
                                            "3461-5.1-rcpt-invalid-501")],
            "rcpt-notify-unknown": [(on("ALWAYS", 250), "warn", "3461-5.1-rcpt-invalid-501")],
            "rcpt-orcpt-no-type": [(on("ORCPT=Postmaster", 250), "warn",
                                    "3461-5.1-rcpt-invalid-501")],
        }
        assert_deviations_caught(self, "dsn", dev)


class EnhancedStatusCodes(unittest.TestCase):
    """Every reply is checked when ENHANCEDSTATUSCODES is advertised."""

    def test_conforming_server_with_codes_passes_every_suite(self):
        for suite in ("basic", "sequence", "pipelining", "size"):
            with self.subTest(suite=suite):
                rc, cases = run_cases(suite, {"enhanced_codes": True}, extra_args=RCPT)
                bad = {c: (x["verdict"], x["rule"]) for c, x in cases.items()
                       if x["rule"] and x["rule"].startswith(("2034", "3463"))}
                self.assertEqual(bad, {})

    def test_deviations(self):
        cases = [
            (rule("^NOOP", 250, text="OK"), "fail", "2034-4-status-code-present"),
            (rule("^NOOP", 250, text="5.0.0 OK"), "fail", "2034-4-class-agrees"),
            ({"match": "^NOOP", "reply": "250-2.0.0 a\r\n250 b\r\n"}, "fail",
             "2034-4-same-code-each-line"),
            (rule("^NOOP", 250, text="2.00.0 OK"), "fail", "3463-2-status-code-abnf"),
            (rule("^NOOP", 250, text="2.9.0 OK"), "info", "3463-2-registered-codes"),
        ]
        for r, verdict, rule_id in cases:
            with self.subTest(rule=rule_id):
                rc, case = run_case("basic", "noop", rules(r, enhanced_codes=True))
                self.assertEqual((case["verdict"], case["rule"]), (verdict, rule_id),
                                 case["reason"])

    def test_exempt_replies_are_not_judged(self):
        # greeting, EHLO reply and 354 without codes are fine
        rc, cases = run_cases("basic", {"enhanced_codes": True, "greeting": "220 fake.test\r\n"},
                              extra_args=RCPT)
        assert_conforming(self, rc, cases)

    def test_suite(self):
        rc, cases = run_cases("enhancedstatuscodes", {"enhanced_codes": True})
        assert_conforming(self, rc, cases)
        rc, cases = run_cases("enhancedstatuscodes", {})
        self.assertTrue(all(c["verdict"] == "skip" for c in cases.values()))
        assert_deviations_caught(self, "enhancedstatuscodes", {
            "positive": [(rules(rule("^RSET", 250, text="OK"), enhanced_codes=True), "fail",
                          "2034-4-status-code-present")],
            "refused-command": [(rules(rule("^XSMTPSPEC", 500, text="2.0.0 no"),
                                       enhanced_codes=True), "fail", "2034-4-class-agrees")],
            "without-ehlo": [(rules(rule("^NOOP", 250, text="OK"), enhanced_codes=True),
                              "fail", "2034-4-status-code-present")],
            "quit": [(rules(rule("^QUIT", 221, text="bye"), enhanced_codes=True), "fail",
                      "2034-4-status-code-present")],
        })

    def test_without_the_keyword_nothing_is_checked(self):
        rc, case = run_case("basic", "noop", rules(rule("^NOOP", 250, text="OK")))
        self.assertEqual(case["verdict"], "pass")


if __name__ == "__main__":
    unittest.main()
