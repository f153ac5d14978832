// check_junit.mjs REPORT.xml: parses a JUnit report with junit2json (a
// real consumer, from npm) and prints its counts as JSON:
// {"tests", "failures", "errors", "skipped", "suites", "testcases"}.
import fs from 'node:fs';
import { parse } from 'junit2json';

const out = await parse(fs.readFileSync(process.argv[2], 'utf8'));
const suites = out.testsuite || [];
const cases = suites.flatMap((s) => s.testcase || []);
const count = (tag) => cases.filter((c) => c[tag]).length;
console.log(JSON.stringify({
  tests: out.tests, failures: out.failures, errors: out.errors, skipped: out.skipped,
  suites: suites.length, testcases: cases.length,
  failure: count('failure'), error: count('error'), skipped_cases: count('skipped'),
  named: cases.filter((c) => c.name && c.classname).length,
}));
