"""Every case of suites/legacy.suite against the fake SMTP server.

The fake server does not know SEND, SOML, SAML or TURN: it answers 500,
the usual answer of a modern server.  Three conforming servers are run
through the whole suite, under --profile rfc5321 and --profile rfc821:
- the default one (500 to all four verbs);
- one that answers 502 (recognized, not implemented: RFC 5321 §4.2.4);
- one that implements SEND, SOML and SAML (RFC 5321 App. F.6: servers MAY
  implement them): 250 to the verb, which then opens a transaction (a RCPT
  after it is accepted, while a RCPT before it gets 503), advertises them
  in its EHLO reply, and refuses TURN with 502.
Each case must pass there, or skip where it does not apply.  Then each case
runs against servers that break exactly the rule it checks: the case must
get the verdict of the rule's keyword and cite the rule.  And against
servers that fail a precondition (a RCPT outside a transaction accepted, a
verb answered 250 that opens no transaction): the case must skip, never
conclude.

    /usr/bin/python3 -m unittest tests/suites/test_legacy.py
"""
import concurrent.futures
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suitetest import rule, rules, run_case, run_cases  # noqa: E402

SUITE = "legacy"
VERBS = ("send", "soml", "saml")
RFC821 = ("--profile", "rfc821")

DEFAULT_KEYWORDS = ["PIPELINING", "SIZE 10240000", "8BITMIME", "HELP"]
ADVERTISING = DEFAULT_KEYWORDS + ["SEND", "SOML", "SAML"]
# The first RCPT outside a transaction gets the default 503; later ones
# (after the verb's 250 in the implementing server) are accepted.
RCPT_AFTER_VERB = [{"match": "^RCPT", "state": "ready", "times": 1},
                   rule("^RCPT", 250, state="ready")]
NOT_IMPLEMENTED_502 = rules(*(rule("^%s" % v, 502) for v in ("SEND", "SOML", "SAML", "TURN")))
IMPLEMENTING = rules(*([rule("^%s FROM:" % v.upper(), 250) for v in VERBS]
                       + RCPT_AFTER_VERB + [rule("^TURN", 502)]),
                     ehlo_keywords=ADVERTISING)


def expected(server, profile):
    """The verdict of every case against a conforming server."""
    want = {}
    implemented = server == "implementing"
    for v in VERBS:
        if profile == "rfc821":
            # under rfc821 only the cases of that profile run
            want.update({v + "-rfc5321": "skip", v + "-implemented-is-advertised": "skip",
                         v + "-advertised-is-implemented": "skip",
                         v + "-rfc821": "pass"})
            continue
        want.update({
            # an implemented verb answers 250, so the refusal follow-up skips
            v + "-rfc5321": "skip" if implemented else "pass",
            v + "-implemented-is-advertised": "pass" if implemented else "skip",
            v + "-advertised-is-implemented": "pass" if implemented else "skip",
            v + "-rfc821": "skip"})
    want["turn-rfc5321"] = "skip" if profile == "rfc821" else "pass"
    want["turn-rfc821"] = "pass" if profile == "rfc821" else "skip"
    return want


def advertising(*rs):
    """A server that advertises SEND, SOML and SAML."""
    return rules(*rs, ehlo_keywords=ADVERTISING)


# case -> [(scenario, extra args, verdict, what)]: what is the rule the
# verdict cites (fail/warn/info) or a text of the reason (skip).
DEVIATIONS = {}
for v in VERBS:
    V = v.upper()
    DEVIATIONS[v + "-rfc5321"] = [
        # refused, yet the server behaves as if a transaction were open
        (rules(rule("^" + V, 502), rule("^MAIL", 503, state="ready")), (), "info",
         "5321-4.2.1-5yz-no-action"),
        # RFC 5321 lists no codes for the verb (its rows are seed 000's), so
        # a code it lists elsewhere is not judged under rfc5321 ...
        (rules(rule("^" + V, 503)), (), "pass", None),
        # ... and one it lists nowhere is
        (rules(rule("^" + V, 259)), (), "warn", "5321-4.2-listed-codes")]
    DEVIATIONS[v + "-implemented-is-advertised"] = [
        # implemented (250, then a transaction), not advertised
        (rules(rule("^" + V + " FROM:", 250), *RCPT_AFTER_VERB), (), "fail",
         "5321-app-f.6-published-in-ehlo"),
        # 250, but no transaction follows: not shown to be implemented
        (rules(rule("^" + V, 250)), (), "skip", "not shown to open a mail transaction"),
        # RCPT outside a transaction accepted: the check would prove nothing
        (rules(rule("^" + V, 250), rule("^RCPT", 250)), (), "skip",
         "RCPT outside a transaction was not refused with 503")]
    DEVIATIONS[v + "-advertised-is-implemented"] = [
        (advertising(rule("^" + V, 502)), (), "fail",
         "5321-4.2.4-no-unimplemented-capabilities"),
        (advertising(), (), "fail", "5321-4.2.4-no-unimplemented-capabilities")]
    DEVIATIONS[v + "-rfc821"] = [
        # RFC 821 §4.3: SEND S: 250, F: 552, 451, 452, E: 500, 501, 502, 421
        (rules(rule("^" + V, 503)), RFC821, "fail", "821-4.3-command-codes"),
        (rules(rule("^" + V, 504)), RFC821, "fail", "821-4.3-command-codes")]
DEVIATIONS["turn-rfc5321"] = [
    # RFC 5321 lists no codes for TURN: only a code it lists nowhere is judged
    (rules(rule("^TURN", 259)), (), "warn", "5321-4.2-listed-codes")]
DEVIATIONS["turn-rfc821"] = [
    (rules(rule("^TURN", 504)), RFC821, "fail", "821-4.3-command-codes"),
    (rules(rule("^TURN", 221)), RFC821, "fail", "821-4.3-command-codes")]


class LegacySuite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.runs = {
            ("default", "rfc5321"): run_cases(SUITE),
            ("default", "rfc821"): run_cases(SUITE, extra_args=RFC821),
            ("502", "rfc5321"): run_cases(SUITE, NOT_IMPLEMENTED_502),
            ("502", "rfc821"): run_cases(SUITE, NOT_IMPLEMENTED_502, extra_args=RFC821),
            ("implementing", "rfc5321"): run_cases(SUITE, IMPLEMENTING),
            ("implementing", "rfc821"): run_cases(SUITE, IMPLEMENTING, extra_args=RFC821),
        }

    def test_every_case_has_a_deviation(self):
        _, cases = self.runs[("default", "rfc5321")]
        self.assertEqual(sorted(cases), sorted(DEVIATIONS))

    def test_conforming_servers_pass(self):
        for (server, profile), (rc, cases) in self.runs.items():
            want = expected(server, profile)
            self.assertEqual(sorted(cases), sorted(want))
            for cid, case in cases.items():
                with self.subTest(server=server, profile=profile, case=cid):
                    self.assertEqual(case["verdict"], want[cid], case.get("reason"))
            self.assertEqual(rc, 0, (server, profile))

    def test_deviating_server_is_caught(self):
        jobs = [(cid, sc, args, verdict, what)
                for cid, devs in sorted(DEVIATIONS.items())
                for sc, args, verdict, what in devs]
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            futures = [pool.submit(run_case, SUITE, cid, sc, 2, args)
                       for cid, sc, args, _, _ in jobs]
            results = [f.result() for f in futures]
        for (cid, _, args, verdict, what), (rc, case) in zip(jobs, results):
            with self.subTest(case=cid, args=args, want=verdict, what=what):
                self.assertEqual(case["verdict"], verdict, case.get("reason"))
                if verdict in ("fail", "warn", "info"):
                    self.assertEqual(case["rule"], what, case.get("reason"))
                elif verdict != "pass":
                    self.assertIn(what, case.get("reason") or "")


if __name__ == "__main__":
    unittest.main()
