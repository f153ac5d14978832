"""Real consumers of smtpspec's reports, for the tests.

check_html(json, html, png): the HTML report in Debian's headless Chromium
(check_html.mjs, via puppeteer-core), against the JSON report.
check_junit(xml): the JUnit report through two independent parsers,
junitparser (Debian's python3-junitparser) and junit2json (npm), plus the
elements and attributes the common JUnit XML schema requires.
Both return a list of problems ([] when all is well).

The npm packages (package.json beside this file) are installed once into
$BUILDDIR/tests/reports/npm; the scripts run from there.
"""
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import junitparser

HERE = os.path.dirname(os.path.abspath(__file__))
NPM_DIR = os.path.join(os.environ.get("BUILDDIR", os.getcwd()), "tests", "reports", "npm")
ARTIFACTS = os.path.join(os.environ.get("BUILDDIR", os.getcwd()), "tests", "artifacts")


def npm_dir():
    """The npm packages, installed on first use; the .mjs scripts copied."""
    os.makedirs(NPM_DIR, exist_ok=True)
    for name in ("package.json", "check_html.mjs", "check_junit.mjs"):
        shutil.copy(os.path.join(HERE, name), NPM_DIR)
    if not os.path.isdir(os.path.join(NPM_DIR, "node_modules", "puppeteer-core")) or \
            not os.path.isdir(os.path.join(NPM_DIR, "node_modules", "junit2json")):
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=NPM_DIR, check=True, timeout=600,
                       env=dict(os.environ, PUPPETEER_SKIP_DOWNLOAD="1"))
    return NPM_DIR


def artifact(name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    return os.path.join(ARTIFACTS, name)


def check_html(json_path, html_path, png_path):
    proc = subprocess.run(["node", "check_html.mjs", os.path.abspath(json_path),
                           os.path.abspath(html_path), os.path.abspath(png_path)],
                          cwd=npm_dir(), capture_output=True, text=True, timeout=300)
    problems = [l for l in proc.stdout.splitlines() if l.startswith("not ok")]
    if proc.returncode != 0 and not problems:
        problems.append("check_html.mjs exited %d: %s" % (proc.returncode, proc.stderr[-2000:]))
    return problems


# What the common JUnit XML schema (the one Jenkins and most CI systems
# read) requires: on testsuites' testsuite elements, these attributes and
# the properties, system-out and system-err children; on testcase, these.
SUITE_ATTRS = ("name", "tests", "failures", "errors", "time", "timestamp", "hostname", "id",
               "package")
CASE_ATTRS = ("name", "classname", "time")


def schema_problems(root):
    problems = []
    if root.tag != "testsuites":
        return ["root element is %s, not testsuites" % root.tag]
    for s in root.findall("testsuite"):
        name = s.get("name", "?")
        problems += ["testsuite %s: no %s" % (name, a) for a in SUITE_ATTRS if not s.get(a)]
        kids = [k.tag for k in s]
        if not kids or kids[0] != "properties" or kids[-2:] != ["system-out", "system-err"]:
            problems.append("testsuite %s: children %s... not properties, testcase*, "
                            "system-out, system-err" % (name, kids[:2]))
        for c in s.findall("testcase"):
            problems += ["testcase in %s: no %s" % (name, a) for a in CASE_ATTRS if not c.get(a)]
            for tag in ("failure", "error"):
                for e in c.findall(tag):
                    if e.get("message") is None or e.get("type") is None:
                        problems.append("%s in %s: no message or type" % (tag, c.get("name")))
    return problems


def check_junit(xml_path):
    """Returns (problems, counts) with counts as both consumers saw them."""
    problems = schema_problems(ET.parse(xml_path).getroot())
    xml = junitparser.JUnitXml.fromfile(xml_path)
    seen = {"tests": 0, "failure": 0, "error": 0, "skipped": 0}
    for suite in xml:
        for case in suite:
            seen["tests"] += 1
            for r in case.result:
                kind = {"Failure": "failure", "Error": "error", "Skipped": "skipped"}.get(
                    type(r).__name__)
                if kind:
                    seen[kind] += 1
        if suite.tests != len(list(suite)):
            problems.append("junitparser: suite %s says tests=%s, has %d" % (
                suite.name, suite.tests, len(list(suite))))
    proc = subprocess.run(["node", "check_junit.mjs", os.path.abspath(xml_path)],
                          cwd=npm_dir(), capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        return problems + ["junit2json failed: " + proc.stderr[-2000:]], seen
    j2j = json.loads(proc.stdout)
    for a, b in (("tests", "testcases"), ("failure", "failure"), ("error", "error"),
                 ("skipped", "skipped_cases")):
        if seen[a] != j2j[b]:
            problems.append("junitparser saw %d %s, junit2json %d" % (seen[a], a, j2j[b]))
    for key, want in (("tests", seen["tests"]), ("failures", seen["failure"]),
                      ("errors", seen["error"]), ("skipped", seen["skipped"])):
        if j2j.get(key) != want:
            problems.append("testsuites %s=%s, the testcases say %d" % (key, j2j.get(key), want))
    if j2j["named"] != j2j["testcases"]:
        problems.append("junit2json: %d of %d testcases lack name or classname" % (
            j2j["testcases"] - j2j["named"], j2j["testcases"]))
    return problems, seen
