// check_html.mjs REPORT.json REPORT.html SHOT.png
// Loads an smtpspec HTML report in Debian's headless Chromium with
// JavaScript off and checks it against the JSON report it came from: the
// totals, every finding in order, every case; that it asks the network for
// nothing; that the verdict and suite filters work; that escapes are
// shown; that print hides the controls.  Keeps a full-page screenshot.
// Prints "ok: ..." / "not ok: ..." lines; exit status 1 if any failed.
import fs from 'node:fs';
import puppeteer from 'puppeteer-core';

const [jsonPath, htmlPath, shotPath] = process.argv.slice(2);
const report = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
let failed = 0;
const check = (ok, what) => {
  console.log(`${ok ? 'ok' : 'not ok'}: ${what}`);
  if (!ok) failed++;
};

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage();
  await page.setJavaScriptEnabled(false);
  const url = 'file://' + fs.realpathSync(htmlPath);
  const requests = [];
  page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
  await page.setViewport({ width: 1200, height: 900 });
  await page.goto(url, { waitUntil: 'load' });
  check(requests.length === 0, `no request but the page itself (${requests.join(' ') || 'none'})`);
  check(await page.$$eval('script, link, img, iframe, object', (e) => e.length) === 0,
        'no script, link, img, iframe or object element');

  // totals: the table and the case elements, per verdict
  const verdicts = ['fail', 'error', 'warn', 'skip', 'info', 'pass'];
  for (const v of verdicts) {
    const cell = await page.$eval(`table.totals td.count[data-verdict="${v}"]`,
                                  (e) => Number(e.textContent));
    const cases = await page.$$eval(`details.case[data-verdict="${v}"]`, (e) => e.length);
    check(cell === report.summary[v] && cases === report.summary[v],
          `${v}: totals ${cell}, case elements ${cases}, JSON ${report.summary[v]}`);
  }
  const ids = await page.$$eval('details.case', (e) => e.map((d) => d.id));
  check(JSON.stringify(ids) === JSON.stringify(report.cases.map((c) => 'case-' + c.id)),
        `every case, in report order (${ids.length})`);

  // findings, worst first, as in the JSON
  const found = await page.$$eval('article.finding', (e) => e.map((a) => ({
    verdict: a.dataset.verdict, rule: a.dataset.rule,
    quote: a.querySelector('blockquote.quote')?.textContent,
    mark: a.querySelector('.mark')?.textContent || null,
    security: !!a.querySelector('.sec'),
    advisory: a.querySelector('p.advisory')?.textContent || '',
  })));
  check(found.length === report.findings.length,
        `findings: ${found.length} on the page, ${report.findings.length} in the JSON`);
  report.findings.forEach((f, i) => {
    const p = found[i] || {};
    check(p.verdict === f.verdict && p.rule === f.rule && p.quote === f.quote &&
          p.mark === (f.baseline || null),
          `finding ${i + 1}: ${f.verdict} ${f.rule} with its quote${f.baseline ? ', ' + f.baseline : ''}`);
    check(p.security === !!f.security &&
          (!f.security || (p.advisory.includes(f.advisory) && p.advisory.includes(f.fix))),
          `finding ${i + 1}: ${f.security ? 'a security finding, with its advisory and fix'
                                          : 'no security mark'}`);
  });

  // wire escapes (non-UTF-8 bytes, bare CR/LF) shown as escapes
  const escapes = report.cases.flatMap((c) => c.exchanges).filter((e) => /\\x[0-9A-F]{2}/.test(e.received)).length;
  if (escapes) {
    const shown = await page.$$eval('details.case .esc', (e) => e.filter((s) => /^\\x[0-9A-F]{2}$/.test(s.textContent)).length);
    check(shown > 0, `bytes that are not UTF-8 are shown as \\xHH escapes (${shown})`);
  }

  // folded transcripts open
  const talked = report.cases.find((c) => c.exchanges.length);
  if (talked) {
    const first = `details.case[id="case-${talked.id}"]`;
    await page.click(`${first} > summary`);
    const opened = await page.$eval(first, (d) => [d.open, d.querySelectorAll('table.transcript tr').length]);
    check(opened[0] && opened[1] > 0,
          `a case opens to its transcript (${opened})`);
  }

  // filters, with scripts off: untick "pass", then pick one suite
  const visible = (sel) => page.$$eval(sel, (e) => e.filter((d) => getComputedStyle(d).display !== 'none').length);
  if (report.summary.pass > 0) {
    await page.click('label[for="show-pass"]');
    check(await visible('details.case.v-pass') === 0 &&
          await visible('details.case:not(.v-pass)') === report.cases.length - report.summary.pass,
          'unticking pass hides exactly the passing cases');
    await page.click('label[for="show-pass"]');
  }
  const suites = [...new Set(report.cases.map((c) => c.suite))];
  if (suites.length > 1) {
    const last = suites.length - 1;
    await page.click(`label[for="suite-${last}"]`);
    const want = report.cases.filter((c) => c.suite === suites[last]).length;
    check(await visible('details.case') === want, `suite "${suites[last]}" shows its ${want} cases only`);
    await page.click('label[for="suite-all"]');
    check(await visible('details.case') === report.cases.length, '"all suites" shows every case');
  }

  // print: controls hidden, findings kept
  await page.emulateMediaType('print');
  check(await visible('#cases > input') === 0 && await visible('#cases > label') === 0,
        'print hides the filter controls');
  check(await visible('article.finding') === report.findings.length, 'print keeps every finding');
  const pdf = await page.pdf({ format: 'A4' });
  check(pdf.length > 1000, `prints to PDF (${pdf.length} bytes)`);
  await page.emulateMediaType('screen');

  await page.screenshot({ path: shotPath, fullPage: true });
  check(fs.statSync(shotPath).size > 1000, `screenshot kept: ${shotPath}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
