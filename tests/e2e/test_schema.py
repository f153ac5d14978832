"""reports/report.schema.json: valid, documented, and strict enough that
drift in src/report_json.c is caught."""
import copy
import shutil
import unittest

import jsonschema

from harness import SCHEMA, E2ETestCase, run_smtpspec, validate_report


def walk_properties(node, path="#"):
    """Yields (path, schema) for every named property in the schema."""
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield path + "/" + name, sub
        for key, sub in node.items():
            if key != "const":
                yield from walk_properties(sub, path + "/" + key)
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from walk_properties(sub, "%s/%d" % (path, i))


class Schema(E2ETestCase):

    @classmethod
    def setUpClass(cls):
        # cases: 0 pass, 1 error (a timeout on HELP), 2 fail (a reset
        # without a reply), 3 warn (the code table), 4 info (expect.may)
        scenario = {"rules": [{"match": "^NOOP", "reply": "250 a\u0000\u00ff\r\n"},
                              {"match": "^HELP", "action": "silence"},
                              {"match": "^MAIL", "action": "reset"},
                              {"match": "^XSMTPSPEC", "reply": "502 no\r\n"}]}
        run = run_smtpspec(scenario, "replies", "--case", "replies.noop",
                           "--case", "replies.help", "--case", "replies.mail",
                           "--case", "replies.unknown")
        cls.addClassCleanup(shutil.rmtree, run.workdir, True)
        cls.report = run.report
        info = run_smtpspec({"rules": [{"match": "^DATA", "reply": "354 go\r\n"}]}, "expect",
                            "--case", "expect.may")
        cls.addClassCleanup(shutil.rmtree, info.workdir, True)
        cls.report["cases"] += info.report["cases"]
        cls.report["findings"] += info.report["findings"]
        cls.report["summary"]["total"] += 1
        cls.report["summary"]["info"] += 1

    def test_schema_is_valid_draft_2020_12(self):
        jsonschema.Draft202012Validator.check_schema(SCHEMA)
        self.assertEqual(SCHEMA["$schema"], "https://json-schema.org/draft/2020-12/schema")

    def test_every_property_is_documented(self):
        for path, sub in walk_properties(SCHEMA):
            if {"if", "then", "else"} & set(path.split("/")):
                continue        # the reason/verdict condition, not a field
            self.assertIn("description", sub, path)
        self.assertIn("\\xHH", SCHEMA["$defs"]["wire_string"]["description"])

    def test_report_validates(self):
        validate_report(self.report)
        self.assertEqual([c["verdict"] for c in self.report["cases"]],
                         ["pass", "error", "fail", "warn", "info"])
        mail_ex = self.report["cases"][2]["exchanges"][-1]
        self.assertEqual(mail_ex["closed"], "reset")
        self.assertEqual([f["verdict"] for f in self.report["findings"]], ["fail", "warn", "info"])

    def test_verdicts_and_summary_include_info(self):
        self.assertIn("info", SCHEMA["$defs"]["verdict"]["enum"])
        self.assertIn("info", SCHEMA["properties"]["summary"]["required"])
        self.assertEqual(SCHEMA["$defs"]["behaviour"]["properties"]["verdict"]["enum"],
                         ["fail", "warn", "info"])

    def mutated(self, change):
        report = copy.deepcopy(self.report)
        change(report)
        with self.assertRaises(jsonschema.ValidationError):
            jsonschema.Draft202012Validator(SCHEMA).validate(report)

    def test_drift_is_caught(self):
        ex = lambda r: r["cases"][0]["exchanges"][-1]
        self.mutated(lambda r: r.update(extra=1))
        self.mutated(lambda r: r["cases"][0].update(note="x"))
        self.mutated(lambda r: ex(r).update(note="x"))
        self.mutated(lambda r: ex(r)["reply"].update(note="x"))
        self.mutated(lambda r: r["server"].update(tls=True))
        self.mutated(lambda r: r["summary"].pop("warn"))
        self.mutated(lambda r: r["cases"][0].update(verdict="ok"))
        self.mutated(lambda r: ex(r).update(closed="fin"))
        self.mutated(lambda r: r.update(profile="rfc2821"))
        self.mutated(lambda r: ex(r).update(received="250 a\r\n"))       # raw CR LF
        self.mutated(lambda r: ex(r).update(received="250 \\q"))          # unknown escape
        self.mutated(lambda r: ex(r).update(received="250 \\x41"))        # needless escape
        self.mutated(lambda r: ex(r)["reply"]["defects"].append("odd defect"))
        self.mutated(lambda r: ex(r).update(reason="fine"))               # no finding, no reason
        self.mutated(lambda r: r["cases"][1].update(reason=""))           # error needs one
        self.mutated(lambda r: r["target"].update(port="25"))
        self.mutated(lambda r: r["summary"].pop("info"))
        self.mutated(lambda r: r.pop("findings"))
        failed = lambda r: r["cases"][2]
        fex = lambda r: r["cases"][2]["exchanges"][-1]
        self.mutated(lambda r: failed(r).pop("rule"))
        self.mutated(lambda r: failed(r).update(rule=None))               # fail cites a rule
        self.mutated(lambda r: failed(r).update(quote=None))
        self.mutated(lambda r: r["cases"][1].update(rule="5321-4.2-one-reply"))  # error: none
        self.mutated(lambda r: r["cases"][0].update(source="RFC 5321 §4.2"))     # pass: none
        self.mutated(lambda r: fex(r).pop("findings"))
        self.mutated(lambda r: fex(r).update(findings=[]))                # fail has findings
        self.mutated(lambda r: fex(r).update(rule=None))
        self.mutated(lambda r: fex(r)["findings"][0].pop("message"))
        self.mutated(lambda r: fex(r)["findings"][0].update(rule=None))
        self.mutated(lambda r: fex(r)["findings"][0].update(verdict="skip"))
        self.mutated(lambda r: fex(r)["findings"][0].update(note="x"))
        self.mutated(lambda r: r["findings"][0].update(verdict="error"))
        self.mutated(lambda r: r["findings"][0].update(cases=[]))
        self.mutated(lambda r: r["findings"][0].update(rule=None))
        self.mutated(lambda r: r["findings"][0]["example"].pop("message"))
        self.mutated(lambda r: r["findings"][0]["example"].update(reply="x"))
        self.mutated(lambda r: r["findings"][0].update(code="250"))

    def test_behaviour_check_catches_a_missing_case(self):
        report = copy.deepcopy(self.report)
        report["findings"][0]["cases"].append("replies.noop")
        with self.assertRaises(AssertionError):
            validate_report(report)

    def test_rule_check_catches_an_unknown_rule_or_a_wrong_quote(self):
        for change in (lambda c: c.update(rule="5321-9.9-no-such-rule"),
                       lambda c: c.update(quote=c["quote"] + " (paraphrased)"),
                       lambda c: c.update(source="RFC 5321 §4.9")):
            report = copy.deepcopy(self.report)
            change(report["cases"][3])
            with self.assertRaises(AssertionError):
                validate_report(report)


if __name__ == "__main__":
    unittest.main()
