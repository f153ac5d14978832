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
        scenario = {"rules": [{"match": "^NOOP", "reply": "250 a\u0000\u00ff\r\n"},
                              {"match": "^HELP", "action": "reset"}]}
        run = run_smtpspec(scenario, "replies", "--case", "replies.noop",
                           "--case", "replies.help")
        cls.addClassCleanup(shutil.rmtree, run.workdir, True)
        cls.report = run.report

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
        help_ex = self.report["cases"][1]["exchanges"][-1]
        self.assertEqual(help_ex["closed"], "reset")

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
        self.mutated(lambda r: ex(r).update(reason="fine"))               # pass has no reason
        self.mutated(lambda r: r["cases"][1].update(reason=""))           # error needs one
        self.mutated(lambda r: r["target"].update(port="25"))


if __name__ == "__main__":
    unittest.main()
