"""error: the probe could not conclude.  A 421, a timeout (even on a
reply cut off half-way, which is never judged for syntax), a close before
the greeting, a refused connection and a flood are inconclusive (error),
never fail, and cite no rule.  (A close after the greeting is judged: see
test_verdict_fail.Closes.)"""
import unittest

from harness import E2ETestCase, exchange, free_port

MAX_RSS_KB = 64 * 1024


def noop(spec):
    rule = {"match": "^NOOP"}
    rule.update(spec)
    return {"rules": [rule]}


class Error421(E2ETestCase):

    def test_greeting_421(self):
        """A server that greets every connection with 421 offers no
        session: with --retries 0 the discovery connection gates the run
        and the case is an error that names 421 and --retries."""
        scenario = {"greeting": {"reply": "421 too busy\r\n", "then_close": True}}
        run = self.run_smtpspec(scenario, "expect", "--case", "expect.must", "--retries", "0")
        c = self.assertCase(run, "expect.must", "error", ["421", "not run", "--retries"])
        self.assertEqual(c["exchanges"], [])
        self.assertEqual(c["attempts"], 0)
        self.assertEqual(run.rc, 3)
        self.assertEqual(run.report["backoff"], {"greetings_421": 1, "retries": 0, "jobs": 1})
        self.assertEqual(run.report["server"]["greeting"]["code"], 421)

    def test_nothing_sent_after_421_greeting(self):
        """Nothing is sent after a 421 greeting (RFC 5321 §3.8: the client
        should close): not on the discovery connection, not on a retry."""
        scenario = {"greeting": "421 too busy\r\n"}
        run = self.run_smtpspec(scenario, "expect", "--case", "expect.must", "--retries", "0")
        self.assertCase(run, "expect.must", "error", "421")
        self.assertEqual([bytes(r) for r in run.server.received], [b""])
        run = self.run_smtpspec(scenario, "expect", "--case", "expect.must", "--retries", "2",
                                "--retry-delay", "0.1")
        self.assertEqual([bytes(r) for r in run.server.received], [b"", b"", b""])
        self.assertEqual(run.report["backoff"]["greetings_421"], 3)
        self.assertEqual(run.report["backoff"]["retries"], 2)

    def test_421_greeting_is_retried_after_a_delay(self):
        """A 421 greeting (a rate limit) is not the server's failure: the
        connection is tried again after --retry-delay, and the cases run
        as if it had not happened."""
        scenario = {"connections": [{"greeting": "421 too many connections\r\n"},
                                    {}, {"greeting": "421 too many connections\r\n"}]}
        run = self.run_smtpspec(scenario, "expect", "--case", "expect.must",
                                "--retry-delay", "0.3")
        c = self.assertCase(run, "expect.must", "pass")
        self.assertEqual(c["attempts"], 2)
        self.assertEqual(run.report["backoff"], {"greetings_421": 2, "retries": 2, "jobs": 1})
        self.assertEqual(run.rc, 0)
        self.assertGreaterEqual(run.elapsed, 0.6, "each retry waits --retry-delay")
        self.assertIn("backoff: 2 greetings were 421", run.stdout)

    def test_421_lowers_concurrency(self):
        """With -j 4, a 421 greeting lowers the concurrency to the
        connections the server accepted alongside it, and no case is lost."""
        slow = {"greeting_delay_ms": 300}
        conns = [{}] + [slow] * 3 + [{"greeting": "421 too many connections\r\n"}]
        run = self.run_smtpspec({"connections": conns}, "ten", "-j", "4",
                                "--retry-delay", "0.2")
        self.assertEqual(run.report["summary"]["error"], 0, run.stdout)
        self.assertEqual(run.report["backoff"]["greetings_421"], 1)
        self.assertLess(run.report["backoff"]["jobs"], 4)
        self.assertEqual(sum(c["attempts"] for c in run.report["cases"]),
                         len(run.report["cases"]) + 1)

    def test_mail_answered_421(self):
        scenario = {"rules": [{"match": "^MAIL", "reply": "421 shutting down\r\n",
                               "then_close": True}]}
        run = self.run_smtpspec(scenario, "replies", "--case", "replies.mail")
        c = self.assertCase(run, "replies.mail", "error", ["421", "inconclusive"])
        ex = exchange(c, "MAIL")
        self.assertEqual(run.report["findings"], [])
        self.assertEqual(ex["verdict"], "error")
        self.assertEqual(ex["reply"]["code"], 421)
        self.assertIn(421, ex["allowed"])
        self.assertEqual(run.rc, 3)

    def test_421_to_command_with_must_expectation_is_error(self):
        # "421 at any point -> error, never fail": the case's MUST step on
        # RCPT is not judged against a 421
        scenario = {"rules": [{"match": "^RCPT", "reply": "421 closing\r\n",
                               "then_close": True}]}
        run = self.run_smtpspec(scenario, "expect", "--case", "expect.must")
        c = self.assertCase(run, "expect.must", "error", "421")
        self.assertEqual([f["verdict"] for f in exchange(c, "RCPT")["findings"]], ["error"])
        self.assertEqual(run.rc, 3)

    def test_421_without_close_is_error(self):
        run = self.run_smtpspec(noop({"reply": "421 closing soon\r\n"}), "replies",
                                "--case", "replies.noop-rset")
        c = self.assertCase(run, "replies.noop-rset", "error", "421")
        self.assertNotIn("RSET", [e["table_command"] for e in c["exchanges"]],
                         "nothing is sent after a 421")
        self.assertEqual(run.rc, 3)

    def test_421_under_rfc821_profile_is_error(self):
        scenario = {"rules": [{"match": "^QUIT", "reply": "421 bye\r\n",
                               "then_close": True}]}
        run = self.run_smtpspec(scenario, "rfc821", "--case", "rfc821.quit",
                                "--profile", "rfc821")
        self.assertCase(run, "rfc821.quit", "error", "421")
        self.assertEqual(run.rc, 3)


class ErrorConnection(E2ETestCase):

    def test_no_greeting_on_discovery_runs_no_case(self):
        # a server that accepts and never greets: one connection, not one per case
        run = self.run_smtpspec({"on_connect": "silence"}, "ten", "--timeout", "1")
        self.assertEqual(run.server.connections, 1)
        for c in run.report["cases"]:
            self.assertEqual(c["verdict"], "error", c["id"])
            self.assertIn("not run: the discovery connection got no complete greeting",
                          c["reason"])
        self.assertEqual(run.rc, 3)
        self.assertLess(run.elapsed, 5)

    def test_circuit_breaker_after_failed_connections(self):
        # discovery is greeted, then every connection gets silence: after 3
        # failed connections in a row the other cases are not run
        scenario = {"connections": [{}], "default": {"on_connect": "silence"}}
        run = self.run_smtpspec(scenario, "ten", "--timeout", "1")
        cases = run.report["cases"]
        stopped = [c for c in cases if "not run: 3 connections in a row" in c["reason"]]
        self.assertEqual(len(stopped), len(cases) - 3)
        self.assertEqual(run.server.connections, 1 + 3)
        self.assertEqual(run.rc, 3)

    def test_max_time_ends_the_run_with_an_incomplete_report(self):
        # every reply after the greeting is silence: without --max-time the
        # ten cases would take 10 x 2 s
        scenario = {"rules": [{"match": ".", "action": "silence"}]}
        run = self.run_smtpspec(scenario, "ten", "--timeout", "2", "--max-time", "1.5",
                                "--max-connect-failures", "0")
        self.assertLess(run.elapsed, 6)
        self.assertIs(run.report["complete"], False)
        self.assertEqual(run.report["stopped_by"], "max-time")
        self.assertEqual(run.rc, 3)
        reasons = [c["reason"] for c in run.report["cases"]]
        self.assertTrue([r for r in reasons if "not run: the run's time (--max-time) was up" in r])
        self.assertIn("incomplete: --max-time was up", run.stdout)

    def test_case_time_bounds_a_slow_case(self):
        """--case-time bounds one case, QUIT included: a server that answers
        every command after 0.7 s (within --timeout 1) has a six-step case
        cut at 2 s, as an error naming --case-time, not judged."""
        scenario = {"rules": [{"match": ".", "reply": "250 ok\r\n", "delay_ms": 700}]}
        run = self.run_smtpspec(scenario, "slow", "--timeout", "1", "--case-time", "2")
        c = self.assertCase(run, "slow.six", "error", "the case's time was up (see --case-time)")
        self.assertLessEqual(c["duration_ms"], 2300)
        self.assertLess(len(c["exchanges"]), 1 + 6)
        self.assertEqual([e for e in c["exchanges"] if e["verdict"] in ("fail", "warn")], [])
        self.assertEqual(run.report["options"]["case_time_ms"], 2000)
        self.assertEqual(run.rc, 3)
        # the same server with the default budget (4 x --timeout) completes
        run = self.run_smtpspec(scenario, "slow", "--timeout", "1", "--case-time", "8")
        self.assertCase(run, "slow.six", "pass")

    def test_default_case_time_is_four_timeouts(self):
        run = self.run_smtpspec(None, "replies", "--case", "replies.noop", "--timeout", "1.5")
        self.assertEqual(run.report["options"]["case_time_ms"], 6000)

    def test_complete_report_without_max_time(self):
        run = self.run_smtpspec(None, "replies", "--case", "replies.noop")
        self.assertIs(run.report["complete"], True)
        self.assertIsNone(run.report["stopped_by"])
        self.assertNotIn("incomplete", run.stdout)

    def test_circuit_breaker_off_and_reset_by_a_greeting(self):
        scenario = {"connections": [{}], "default": {"on_connect": "silence"}}
        run = self.run_smtpspec(scenario, "ten", "--timeout", "0.5",
                                "--max-connect-failures", "0")
        self.assertEqual(run.server.connections, 1 + len(run.report["cases"]))
        # every other connection greeted: the count starts again each time
        alternate = {"connections": [{}] + [{"on_connect": "silence"}, {}] * 10}
        run = self.run_smtpspec(alternate, "ten", "--timeout", "0.5")
        self.assertFalse([c for c in run.report["cases"] if "not run" in c["reason"]])

    def test_timeout_on_silence(self):
        run = self.run_smtpspec(noop({"action": "silence"}), "replies",
                                "--case", "replies.noop", "--timeout", "1")
        c = self.assertCase(run, "replies.noop", "error",
                            ["no complete reply before the timeout", "RFC 5321 §4.5.3.2",
                             "1000 ms"])
        ex = exchange(c, "NOOP")
        self.assertIsNone(ex["rule"])
        self.assertIsNone(ex["reply"])
        self.assertIsNone(ex["closed"])
        self.assertEqual(ex["allowed"], [])
        self.assertGreaterEqual(ex["elapsed_ms"], 900)
        self.assertEqual(run.rc, 3, "error only: exit 3")
        self.assertLess(run.elapsed, 8)

    def test_reply_cut_off_by_timeout_is_not_judged(self):
        # the bytes that came would break three syntax rules, were they a reply
        for partial in ("2x0 half a reply", "250-first line\r\n251 sec", "250 ok\r"):
            with self.subTest(partial=partial):
                run = self.run_smtpspec(noop({"reply": partial, "action": "silence"}),
                                        "replies", "--case", "replies.noop")
                c = self.assertCase(run, "replies.noop", "error",
                                    "no complete reply before the timeout")
                ex = exchange(c, "NOOP")
                self.assertIsNone(ex["reply"])
                self.assertEqual(ex["allowed"], [])
                self.assertEqual([(f["verdict"], f["rule"]) for f in ex["findings"]],
                                 [("error", None)])
                self.assertEqual(run.report["findings"], [])
                self.assertEqual(run.rc, 3)

    def test_close_in_the_middle_of_a_reply_is_not_judged(self):
        """A close (FIN or RST) after part of a reply is a crash or a cut
        line: error, with what came; neither the part nor the close is
        judged.  A close with no reply at all is still judged (§3.8)."""
        for action in ("close", "reset"):
            with self.subTest(action=action):
                run = self.run_smtpspec(noop({"reply": "250-first line\r\n250-sec",
                                              "action": action}),
                                        "replies", "--case", "replies.noop")
                c = self.assertCase(run, "replies.noop", "error", "after 23 bytes of it")
                ex = exchange(c, "NOOP")
                self.assertIsNone(ex["reply"])
                self.assertEqual([(f["verdict"], f["rule"]) for f in ex["findings"]],
                                 [("error", None)])
                self.assertEqual(ex["received_bytes"], 23)
                self.assertEqual(run.rc, 3)
        run = self.run_smtpspec(noop({"action": "close"}), "replies", "--case", "replies.noop")
        self.assertCase(run, "replies.noop", "fail", rule="5321-3.8-no-close")

    def test_timeout_with_a_failure_exits_1(self):
        scenario = {"rules": [{"match": "^NOOP", "action": "silence"},
                              {"match": "^HELP", "reply": "hello\r\n"}]}
        run = self.run_smtpspec(scenario, "replies", "--case", "replies.noop",
                                "--case", "replies.help")
        self.assertCase(run, "replies.noop", "error")
        self.assertCase(run, "replies.help", "fail", rule="5321-4.3.2-three-digit-codes")
        self.assertEqual(run.rc, 1)

    def test_close_before_greeting(self):
        # discovery is greeted, the case's connection is not: error, no rule
        for action in ("close", "reset"):
            with self.subTest(action=action):
                scenario = {"connections": [{}], "default": {"on_connect": action}}
                run = self.run_smtpspec(scenario, "replies", "--case", "replies.noop")
                c = self.assertCase(run, "replies.noop", "error", "before its greeting")
                greet = exchange(c, "GREETING")
                self.assertIsNone(greet["reply"])
                self.assertEqual(greet["closed"], "clean" if action == "close" else "reset")
                self.assertNotIn("NOOP", [e["table_command"] for e in c["exchanges"]])
                self.assertEqual(run.report["findings"], [])
                self.assertEqual(run.rc, 3)

    def test_close_before_greeting_on_discovery_runs_no_case(self):
        for action in ("close", "reset"):
            with self.subTest(action=action):
                run = self.run_smtpspec({"on_connect": action}, "replies",
                                        "--case", "replies.noop")
                self.assertCase(run, "replies.noop", "error",
                                "not run: the discovery connection got no complete greeting")
                self.assertEqual(run.server.connections, 1)
                self.assertEqual(run.rc, 3)

    def test_connection_refused(self):
        port = free_port()
        run = self.run_smtpspec(None, "ten", server=False, target="127.0.0.1:%d" % port)
        self.assertEqual(run.rc, 3)
        self.assertFalse(run.report["server"]["connected"])
        self.assertTrue(run.report["server"]["error"])
        self.assertIsNone(run.report["server"]["greeting"])
        self.assertEqual(run.report["summary"]["error"], 10)
        for c in run.report["cases"]:
            self.assertEqual(c["verdict"], "error")
            self.assertEqual(c["reason"], "not run: the discovery connection failed (%s)"
                             % run.report["server"]["error"])


class ErrorFlood(E2ETestCase):
    """A hostile server cannot make smtpspec hang or grow without bound."""

    def flood(self, spec, limit_text, *args):
        rule = {"match": "^NOOP", "action": "flood"}
        rule.update(spec)
        run = self.run_smtpspec({"rules": [rule]}, "replies", "--case", "replies.noop",
                                "--timeout", "2", *args)
        c = self.assertCase(run, "replies.noop", "error", ["limit", limit_text])
        ex = exchange(c, "NOOP")
        self.assertEqual(ex["verdict"], "error")
        self.assertIsNone(ex["reply"])
        self.assertEqual(run.rc, 3)
        self.assertLess(run.elapsed, 10, "the probe returns promptly")
        self.assertLess(run.maxrss_kb, MAX_RSS_KB, "memory stays bounded")
        return run, c, ex

    def test_endless_line(self):
        run, c, ex = self.flood({"reply": "250 ", "flood_line": "x"}, "reply line length",
                                "--max-line", "4096")
        self.assertLessEqual(len(ex["received"]), 4096 + 20000)

    def test_megabyte_line(self):
        self.flood({"reply": "250 ", "flood_line": "y", "flood_bytes": 1 << 20,
                    "flood_end": "\r\n"}, "reply line length")

    def test_endless_multiline_reply(self):
        run, c, ex = self.flood({}, "reply", "--max-reply", "65536")
        self.assertRegex(c["reason"], r"reply (size|line count) limit")


if __name__ == "__main__":
    unittest.main()
