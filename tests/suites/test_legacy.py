"""Every case of suites/legacy.suite against the fake SMTP server.

The fake server does not know SEND, SOML, SAML or TURN: it answers 500,
the usual answer of a modern server.  Three conforming servers are run
through the whole suite:
- the default one (500 to all four verbs), under --profile rfc5321 and
  --profile rfc821;
- one that answers 502 (recognized, not implemented: RFC 5321 §4.2.4);
- one that implements SEND, SOML and SAML (250, RFC 5321 App. F.6: servers
  MAY implement them) and advertises them in its EHLO reply, and refuses
  TURN with 502.
Each case must pass there, or skip where it does not apply.  Then each case
runs against servers that break exactly the rule it checks (a MUST case
must fail, a SHOULD case must warn, and the reason must name the code the
server sent or the missing keyword).

    /usr/bin/python3 -m unittest tests/suites/test_legacy.py
"""
import concurrent.futures
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suitetest import reply, rules, run_case, run_cases  # noqa: E402

SUITE = "legacy"
VERBS = ("send", "soml", "saml")
RFC821 = ("--profile", "rfc821")


def rule(match, code, state=None, times=None):
    r = {"match": match, "reply": reply(code)}
    if state is not None:
        r["state"] = state
    if times is not None:
        r["times"] = times
    return r



DEFAULT_KEYWORDS = ["PIPELINING", "SIZE 10240000", "8BITMIME", "HELP"]
NOT_IMPLEMENTED_502 = rules(*(rule("^%s" % v, 502) for v in ("SEND", "SOML", "SAML", "TURN")))
IMPLEMENTING = rules(*(rule("^%s FROM:" % v.upper(), 250) for v in VERBS),
                     rule("^TURN", 502),
                     ehlo_keywords=DEFAULT_KEYWORDS + ["SEND", "SOML", "SAML"])

# Under each conforming server and profile: the verdict of every case.
def expected(server, profile):
    want = {}
    for v in VERBS:
        if profile == "rfc821":
            want.update({v + "-rfc5321": "skip", v + "-implemented-is-advertised": "skip",
                         v + "-advertised-is-implemented":
                             "pass" if server == "implementing" else "skip",
                         v + "-rfc821": "pass"})
            continue
        implemented = server == "implementing"
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
    return rules(*rs, ehlo_keywords=DEFAULT_KEYWORDS + ["SEND", "SOML", "SAML"])


# case -> [(deviating scenario, extra args, expected verdict, reason text)]
DEVIATIONS = {}
for v in VERBS:
    V = v.upper()
    DEVIATIONS[v + "-rfc5321"] = [
        # 503 is in no set for the verb: §4.2.4 wants 502 or 500 (SHOULD)
        (rules(rule("^" + V, 503)), (), "warn", "got 503"),
        (rules(rule("^" + V, 504)), (), "warn", "got 504"),
        # refused, yet the server behaves as if a transaction were open
        (rules(rule("^" + V, 502), rule("^MAIL", 503)), (), "fail", "got 503")]
    DEVIATIONS[v + "-implemented-is-advertised"] = [
        (rules(rule("^" + V, 250)), (), "fail", "does not advertise " + V)]
    DEVIATIONS[v + "-advertised-is-implemented"] = [
        (advertising(rule("^" + V, 502)), (), "fail", "got 502"),
        (advertising(), (), "fail", "got 500")]
    DEVIATIONS[v + "-rfc821"] = [
        # 503 is not in the verb's seed 000 set (class 5 is): SHOULD
        (rules(rule("^" + V, 503)), RFC821, "warn", "503"),
        # 354 is a class the verb can never return: MUST
        (rules(rule("^" + V, 354)), RFC821, "fail", "354")]
DEVIATIONS["turn-rfc5321"] = [(rules(rule("^TURN", 250)), (), "warn", "got 250")]
DEVIATIONS["turn-rfc821"] = [(rules(rule("^TURN", 504)), RFC821, "warn", "504"),
                             (rules(rule("^TURN", 221)), RFC821, "warn", "221")]


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
                    self.assertEqual(case["verdict"], want[cid], case["reason"])
            self.assertEqual(rc, 0, (server, profile))

    def test_deviating_server_is_caught(self):
        jobs = [(cid, sc, args, verdict, text)
                for cid, devs in sorted(DEVIATIONS.items())
                for sc, args, verdict, text in devs]
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            futures = [pool.submit(run_case, SUITE, cid, sc, 2, args)
                       for cid, sc, args, _, _ in jobs]
            results = [f.result() for f in futures]
        for (cid, _, args, verdict, text), (rc, case) in zip(jobs, results):
            with self.subTest(case=cid, args=args, want=verdict, text=text):
                self.assertEqual(case["verdict"], verdict, case["reason"])
                self.assertIn(text, case["reason"])


if __name__ == "__main__":
    unittest.main()
