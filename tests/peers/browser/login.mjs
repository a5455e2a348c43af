#!/usr/bin/env node
// A stand-in for the user's browser, usable as `$BROWSER`: opens the URL given as its last argument in
// Debian's headless Chromium (driven by playwright-core) and acts as the user on oidc-provider's
// development pages, then exits 0. It knows two journeys:
//
//   browser sign-in  msconnect's start address on its loopback listener (or an authorize URL), which
//                    redirects to the authorize URL: fills the login form, confirms the consent page,
//                    and waits until the provider redirects to the `redirect_uri` of the authorize URL
//                    (msconnect's loopback listener) and that page has loaded;
//   device code      the verification URL (`verification_uri_complete`, or `verification_uri` with the
//                    code in MSCONNECT_BROWSER_USER_CODE): enters the code, signs in, consents,
//                    confirms the device and waits for "Sign-in Success".
//
// Environment:
//   MSCONNECT_BROWSER_LOGIN       the login to type (default `alice`; it becomes the `sub`)
//   MSCONNECT_BROWSER_DECLINE     `1`: cancel the login (browser) or abort the device instead
//   MSCONNECT_BROWSER_USER_CODE   the device code's user code, when the URL does not carry it
//   MSCONNECT_BROWSER_TIMEOUT_MS  the whole journey's budget (default 30000)
//   MSCONNECT_BROWSER_ARTIFACTS   folder for a screenshot and the page text when the journey fails
//   MSCONNECT_BROWSER_IGNORE_CERTIFICATE_ERRORS
//                                 `1`: accept any server certificate (an https provider whose test CA
//                                 Chromium cannot be told about: it trusts only its NSS database)
//   MSCONNECT_PEERS_DIR           where `cargo xtask test` installed playwright-core
//
// Exit codes: 0 done, 1 the journey failed (details on stderr and in the artifacts), 2 bad usage,
// 3 playwright-core is not installed.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { importPeer } from '../peer-modules.mjs';

const CHROMIUM = '/usr/bin/chromium';
// The flags that make Chromium quiet on a machine without a network (see the machine notes).
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

function say(message) {
  process.stderr.write(`login.mjs: ${message}\n`);
}

const target = process.argv.at(-1);
let start;
try {
  start = new URL(target);
} catch {
  say(`usage: login.mjs <authorize-or-verification-url> (got '${target ?? ''}')`);
  process.exit(2);
}
const login = process.env.MSCONNECT_BROWSER_LOGIN || 'alice';
const decline = process.env.MSCONNECT_BROWSER_DECLINE === '1';
const budget = Number.parseInt(process.env.MSCONNECT_BROWSER_TIMEOUT_MS || '30000', 10);
// Known from the start for an authorize URL; for msconnect's start address, once it redirects there.
let redirect = null;
let authorizeOrigin = null;
function sawAuthorize(url) {
  const redirectUri = url.searchParams.get('redirect_uri');
  if (redirect || !redirectUri) return;
  redirect = new URL(redirectUri);
  authorizeOrigin = url.origin;
}
sawAuthorize(start);

const playwright = await importPeer('playwright-core');
const { chromium } = playwright.default ?? playwright;

// Where the journey ends: a navigation to msconnect's listener (the `redirect_uri`'s host and path, any
// port per RFC 8252), or the device flow's success page.
function isRedirect(url) {
  if (!redirect) return false;
  const here = new URL(url);
  return here.protocol === redirect.protocol && here.hostname === redirect.hostname
    && here.pathname === redirect.pathname && here.origin !== authorizeOrigin;
}

let redirected = null; // { url, failure? } once the browser was sent to the listener
let aborted = false; // the device sign-in was aborted: the provider shows the code form again

// Clicks something that submits a form and waits for the page it leads to.
async function clickAndWait(page, selector) {
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'domcontentloaded' }).catch(() => {}),
    page.click(selector),
  ]);
}

// One user action on the page shown; returns what was done, or null when the journey is over.
async function step(page) {
  if (redirected || aborted) return null;
  if ((await page.title()) === 'Sign-in Success') return null;
  const has = async (selector) => (await page.locator(selector).count()) > 0;
  if (await has('input[name=login]')) {
    if (decline) {
      await clickAndWait(page, 'text=[ Cancel ]');
      return 'cancelled the sign-in';
    }
    await page.fill('input[name=login]', login);
    await page.fill('input[name=password]', 'any-password');
    await clickAndWait(page, 'button[type=submit]');
    return `signed in as ${login}`;
  }
  if (await has('input[name=prompt][value=consent]')) {
    await clickAndWait(page, 'button[type=submit]');
    return 'consented';
  }
  if (await has('form[id="op.deviceInputForm"]')) {
    const code = page.locator('input[name=user_code]');
    if (!(await code.inputValue())) {
      const given = process.env.MSCONNECT_BROWSER_USER_CODE;
      if (!given) throw new Error('the page asks for the user code: set MSCONNECT_BROWSER_USER_CODE');
      await code.fill(given);
    }
    await clickAndWait(page, 'button[form="op.deviceInputForm"]');
    return 'entered the user code';
  }
  if (await has('form[id="op.deviceConfirmForm"]')) {
    await clickAndWait(page, decline ? 'button[name=abort]' : 'button[form="op.deviceConfirmForm"][autofocus]');
    aborted = decline;
    return decline ? 'aborted the device sign-in' : 'confirmed the device';
  }
  throw new Error('this page is not one of the journey\'s');
}

async function saveArtifacts(page, error) {
  const dir = process.env.MSCONNECT_BROWSER_ARTIFACTS;
  if (!dir || !page) return;
  try {
    mkdirSync(dir, { recursive: true });
    const stem = join(dir, `login-${Date.now()}`);
    await page.screenshot({ path: `${stem}.png`, fullPage: true });
    const text = await page.evaluate(() => document.body?.innerText ?? '');
    writeFileSync(`${stem}.txt`, `${page.url()}\n\n${error.message}\n\n${text}\n`);
    say(`saved ${stem}.png and ${stem}.txt`);
  } catch (e) {
    say(`could not save artifacts in ${dir}: ${e.message}`);
  }
}

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  .catch((e) => { say(`cannot start ${CHROMIUM}: ${e.message}`); process.exit(1); });
const page = await browser.newPage({
  ignoreHTTPSErrors: process.env.MSCONNECT_BROWSER_IGNORE_CERTIFICATE_ERRORS === '1',
});
page.setDefaultTimeout(Math.min(budget, 15000));
page.on('request', (request) => {
  if (!request.isNavigationRequest()) return;
  sawAuthorize(new URL(request.url()));
  if (!redirected && isRedirect(request.url())) redirected = { url: request.url() };
});
page.on('requestfailed', (request) => {
  if (redirected?.url === request.url()) redirected.failure = request.failure()?.errorText ?? 'failed';
});
const deadline = Date.now() + budget;
let status = 0;
try {
  await page.goto(start.href, { waitUntil: 'domcontentloaded' });
  const done = [];
  for (let action = await step(page); action; action = await step(page)) {
    say(action);
    done.push(action);
    if (Date.now() > deadline) throw new Error(`the journey took more than ${budget} ms`);
    // a page that keeps coming back (a rejected code, a failing login) would loop for ever
    if (done.filter((a) => a === action).length > 2) throw new Error(`'${action}' did not move the journey on`);
  }
  if (redirected) {
    if (redirected.failure) {
      throw new Error(`the listener at ${redirected.url.split('?')[0]} did not answer: ${redirected.failure}`);
    }
    await page.waitForLoadState('domcontentloaded');
    const outcome = new URL(redirected.url).searchParams;
    say(`redirected to ${redirected.url.split('?')[0]} with ${outcome.has('code') ? 'a code' : `error=${outcome.get('error')}`}`);
  } else {
    say(aborted ? 'device sign-in aborted' : 'device sign-in done');
  }
} catch (error) {
  const text = await page.evaluate(() => document.body?.innerText ?? '').catch(() => '');
  say(`failed at ${page.url().split('?')[0]}: ${error.message}\n--- page text ---\n${text.slice(0, 2000)}`);
  await saveArtifacts(page, error);
  status = 1;
} finally {
  await browser.close().catch(() => {});
}
process.exit(status);
