#!/usr/bin/env node
// Screenshot of a self-contained HTML page (a `tiny report --format html` file) in Debian's
// headless Chromium: node scripts/screenshot.mjs REPORT.html OUT.png [WIDTH]
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const [html, out, width = '1100'] = process.argv.slice(2);
if (!html || !out) {
  console.error('usage: node scripts/screenshot.mjs REPORT.html OUT.png [WIDTH]');
  process.exit(2);
}
const browser = await chromium.launch({ executablePath: process.env.TINY_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: Number(width), height: 900 } });
  await page.goto(pathToFileURL(resolve(html)).href);
  await page.screenshot({ path: out, fullPage: false });
} finally {
  await browser.close();
}
console.log(out);
