// Headless Chromium from Debian's `chromium` package, driven by playwright-core: the one
// place that launches the browser for every browser test of horreo.
'use strict';

const { chromium } = require('playwright-core');

const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';

// The flags the browser suite runs with: no sandbox (CI runs as root), nothing that
// reaches the network by itself.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches the browser; close it with `await browser.close()`. */
async function launch() {
  return chromium.launch({ executablePath: EXECUTABLE, args: FLAGS, headless: true, timeout: 60_000 });
}

module.exports = { launch, FLAGS };
