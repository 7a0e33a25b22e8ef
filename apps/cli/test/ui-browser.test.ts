import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, BULK_BYTES, CHROMIUM, DESKTOP, PHONE, V1, filesBelow, haveChromium, launchChromium, png, setup, startUi } from './ui-browser-fixture.js';

describe.skipIf(!haveChromium)(`cairn ui in a browser (${haveChromium ? CHROMIUM : `skipped: ${CHROMIUM} is not installed (apt-get install chromium)`})`, () => {
  let home: string;
  let s: Awaited<ReturnType<typeof setup>>;
  let ui: Awaited<ReturnType<typeof startUi>>;
  let browser: Browser;
  let desktop: BrowserContext;
  let phone: BrowserContext;
  let page: Page;
  let small: Page;
  const errors: string[] = [];
  /** Every address the pages asked for that is not `cairn ui`'s own (there must be none: no CDN, no fonts). */
  const foreign: string[] = [];

  /** Opens `hash` in the page (after the token URL set the cookie). */
  const open = async (p: Page, hash: string) => {
    await p.goto(new URL(`/${hash}`, ui.url).href);
  };
  /** Saves the desktop page as `name`, then opens the same address on the phone, waits for `ready` there and saves it too. */
  const shoot = async (name: string, ready: string) => {
    await page.screenshot({ path: join(ARTIFACTS, `${name}-desktop.png`) });
    await small.goto(page.url());
    await small.locator(ready).first().waitFor();
    await small.waitForTimeout(150);
    await small.screenshot({ path: join(ARTIFACTS, `${name}-phone.png`), fullPage: true });
  };

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'cairn-ui-browser-'));
    s = await setup(home);
    ui = await startUi(['--repo', s.repo, '--plans', s.plans, '--state-dir', s.stateDir], s.env);
    await mkdir(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    desktop = await browser.newContext({ viewport: DESKTOP });
    phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    page = await desktop.newPage();
    small = await phone.newPage();
    for (const p of [page, small]) {
      p.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      p.on('request', (r) => { if (!r.url().startsWith(new URL(ui.url).origin) && !r.url().startsWith('data:')) foreign.push(r.url()); });
      p.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
      // The printed URL: its token becomes a cookie and the page is served at /.
      await p.goto(ui.url);
      expect(new URL(p.url()).search).toBe('');
    }
  }, 120_000);

  // A server that ended makes every later test time out on a page that no longer changes: the
  // test after which it was found ended fails with how it ended and what it wrote.
  let ended = false;
  afterEach(async () => {
    const child = ui?.run.child;
    if (ended || child === undefined || (child.exitCode === null && child.signalCode === null)) return;
    ended = true;
    const end = await ui.run.done;
    throw new Error(`cairn ui ended (${end.signal ?? `exit ${end.code}`}): ${end.stderr}`);
  });

  afterAll(async () => {
    await browser?.close();
    ui?.run.child.kill('SIGTERM');
    await ui?.run.done;
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  it('shows the snapshots as a timeline grouped by host and folder, with tags and the growth chart', async () => {
    await page.locator('.snapshots .row').nth(3).waitFor();
    expect(await page.locator('.snapshots .row').count()).toBe(4);
    expect(await page.locator('.group h2 .label').allTextContents()).toEqual([s.proj, join(home, 'bulk')]);
    await expect.poll(() => page.locator('.group h2').first().textContent()).toContain(s.proj);
    const first = page.locator('.snapshots .row').first();
    expect(await first.locator('.id').textContent()).toBe(s.ids[2]);
    expect(await first.locator('.badge').allTextContents()).toEqual(['weekly']);
    expect(await page.locator('.chart path.bars').getAttribute('data-count')).toBe('4');
    expect((await page.locator('.chart path.bars').getAttribute('d'))?.match(/M/g)).toHaveLength(4);
    expect(await page.locator('.chart path.size-line').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+L/);
    await shoot('01-timeline', '.snapshots .row');
  });

  it('browses a snapshot with the keyboard and previews a text file (highlighted) and an image', async () => {
    // j/k move, Enter opens: the newest snapshot, then proj/, src/ (folders first), a.ts.
    await open(page, '#/snapshots');
    await page.locator('.snapshots .row.selected').waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.entries .row', { hasText: 'proj' }).waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.entries .row', { hasText: 'src' }).waitFor();
    await page.keyboard.press('j');
    expect(await page.locator('.entries .row.selected .name').textContent()).toBe('src');
    await page.keyboard.press('Enter');
    await page.locator('.entries .row', { hasText: 'a.ts' }).waitFor();
    await page.keyboard.press('Enter');
    const code = page.locator('.preview .code .text');
    await code.waitFor();
    expect(await code.textContent()).toContain('const secret = "needle in the haystack";');
    expect(await code.locator('.hljs-keyword').count()).toBeGreaterThan(0);
    expect(page.url()).toContain(`snap=${s.ids[2]}`);
    await shoot('02-preview-text', '.preview .code .text');
    // Backspace closes the preview, again goes up a folder.
    await page.keyboard.press('Backspace');
    await expect.poll(() => page.locator('.preview').count()).toBe(0);
    await page.keyboard.press('Backspace');
    await page.locator('.entries .row', { hasText: 'docs' }).waitFor();
    await page.locator('.entries .row', { hasText: 'docs' }).locator('a.main').click();
    await page.locator('.entries .row', { hasText: 'pic.png' }).locator('a.main').click();
    const image = page.locator('.preview .image img');
    await image.waitFor();
    await expect.poll(() => image.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(64);
    await shoot('03-preview-image', '.preview .image img');
    // The file and the folder (zip, tar) download: the file's bytes, a zip holding it.
    expect(await page.locator('a', { hasText: 'Folder as tar' }).getAttribute('href')).toMatch(/\/archive\?path=%2Fproj%2Fdocs&format=tar$/);
    const saved = async (link: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.locator(link).click()]);
      return { name: download.suggestedFilename(), bytes: await readFile((await download.path())!) };
    };
    const file = await saved('.preview a:has-text("Download")');
    expect(file.name).toBe('pic.png');
    expect(file.bytes.equals(png())).toBe(true);
    const zip = await saved('.heading a:has-text("as zip")');
    expect(zip.bytes.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    expect(zip.bytes.includes(Buffer.from('pic.png'))).toBe(true);
  });

  it('compares two snapshots: the changed files, then one file side by side', async () => {
    await open(page, `#/diff?from=${s.ids[0]}&to=${s.ids[2]}`);
    const rows = page.locator('.changes .row');
    await rows.first().waitFor();
    expect(await rows.allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/added.*\/proj\/big\.bin/), expect.stringMatching(/modified.*\/proj\/src\/a\.ts/)]));
    await rows.filter({ hasText: '/proj/src/a.ts' }).locator('a.main').click();
    const table = page.locator('table.sides');
    await table.waitFor();
    expect(await table.locator('td.del').allTextContents()).toContain('  // greet');
    expect(await table.locator('td.ins').allTextContents()).toEqual(expect.arrayContaining(['  // greet politely', 'const secret = "needle in the haystack";']));
    await shoot('04-diff', 'table.sides');
  });

  it('searches content across history ("introduced in") and by name, and opens a result at its line', async () => {
    await open(page, '#/snapshots');
    await page.locator('.snapshots .row').first().waitFor();
    await page.keyboard.press('/');
    expect(await page.locator(':focus').getAttribute('aria-label')).toBe('search files by name');
    await page.keyboard.type('notes');
    await page.keyboard.press('Enter');
    await page.locator('.hits .row', { hasText: '/proj/docs/notes.md' }).first().waitFor();
    await page.locator('.modes label', { hasText: 'by content' }).click();
    await page.locator('#search-page-field').fill('needle');
    await page.keyboard.press('Enter');
    const hit = page.locator('.hits .row', { hasText: '/proj/src/a.ts:5' });
    await hit.waitFor();
    expect(await hit.locator('.detail').textContent()).toContain(`introduced in ${s.ids[1]}`);
    await shoot('05-search', '.hits .row');
    await hit.locator('a.main').click();
    const mark = page.locator('.preview .gutter .mark');
    await mark.waitFor();
    expect((await mark.textContent())?.trim()).toBe('5');
  });

  it('lists the versions of a file and restores one version; its bytes land in the chosen folder', async () => {
    await open(page, `#/versions?path=${encodeURIComponent('/proj/src/a.ts')}`);
    const rows = page.locator('.versions-list .row');
    await rows.nth(1).waitFor();
    expect(await rows.count()).toBe(2);
    await shoot('06-versions', '.versions-list .row');
    // The oldest version (v1, the first snapshot): restore it.
    const oldest = rows.last();
    expect(await oldest.locator('.vnum').textContent()).toBe('v1');
    expect(await oldest.locator('.id').textContent()).toBe(s.ids[0]);
    await oldest.locator('a', { hasText: 'Restore this version' }).click();
    await page.locator('form.form').waitFor();
    expect(await page.locator('input[name=snapshot]').inputValue()).toBe(s.ids[0]);
    expect(await page.locator('textarea[name=paths]').inputValue()).toBe('/proj/src/a.ts');
    const target = join(home, 'restored');
    await page.locator('input[name=target]').fill(target);
    await page.locator('select[name=overwrite]').selectOption('never');
    await shoot('07-restore-form', 'form.form');
    await page.locator('form.form button[type=submit]').click();
    await page.locator('.job[data-state=done]').waitFor();
    expect(await page.locator('.job-end .state').textContent()).toBe('Restore: done');
    expect(await page.locator('.job-result').textContent()).toMatch(/^1 file restored \(85 B written\) into /);
    const files = await filesBelow(target);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/a\.ts$/);
    expect(await readFile(join(target, files[0]!), 'utf8')).toBe(V1);
    await page.screenshot({ path: join(ARTIFACTS, '07-restore-done-desktop.png') });
  });

  it('restores files picked in the tree (two, from two folders) with the overwrite policy', async () => {
    await open(page, `#/tree?snap=${s.ids[2]}&path=%2Fproj%2Fdocs`);
    await page.locator('.entries .row', { hasText: 'notes.md' }).locator('input[type=checkbox]').check();
    await page.locator('.crumbs a', { hasText: 'proj' }).click();
    await page.locator('.entries .row', { hasText: 'config.ini' }).locator('input[type=checkbox]').check();
    await page.locator('a', { hasText: 'Restore 2 selected' }).click();
    await page.locator('form.form').waitFor();
    expect((await page.locator('textarea[name=paths]').inputValue()).split('\n').sort()).toEqual(['/proj/config.ini', '/proj/docs/notes.md']);
    const target = join(home, 'picked');
    await mkdir(join(target, 'proj'), { recursive: true });
    await writeFile(join(target, 'proj', 'config.ini'), 'mine\n');
    await page.locator('input[name=target]').fill(target);
    // never: the config.ini already there stays as it is; notes.md is written.
    await page.locator('select[name=overwrite]').selectOption('never');
    await page.locator('form.form button[type=submit]').click();
    await page.locator('.job[data-state=done]').waitFor();
    expect(await page.locator('.job-result').textContent()).toContain('1 file already there kept');
    expect(await readFile(join(target, 'proj', 'config.ini'), 'utf8')).toBe('mine\n');
    expect(await readFile(join(target, 'proj', 'docs', 'notes.md'), 'utf8')).toBe('# Notes\n\nfirst\nsecond\n');
    await shoot('08-restore-picked', '.job-end, form.form');
  });

  it('shows a restore\'s progress and cancels it', async () => {
    await open(page, `#/restore?snap=${s.bulkId}&paths=${encodeURIComponent('/bulk/large.bin')}`);
    const target = join(home, 'cancelled');
    await page.locator('input[name=target]').fill(target);
    await page.locator('form.form button[type=submit]').click();
    // The bar counts the bytes of the restore (its total comes with the first events).
    const bar = page.locator('.job[data-state=running] [role=progressbar]');
    await bar.waitFor();
    expect(await page.locator('form.form button[type=submit]').isDisabled()).toBe(true);
    // Dispatched at once: a pointer click first waits for the button to hold still over two
    // frames, time in which the restore may end.
    await page.locator('.job button', { hasText: 'Cancel' }).dispatchEvent('click');
    await page.locator('.job[data-state=cancelled]').waitFor();
    expect(await page.locator('.job-end').textContent()).toContain('Restore: cancelled');
    // Not the whole file: the restore stopped on the way (a partial file, if any, is not left at full size).
    const written = await stat(join(target, 'bulk', 'large.bin')).then((st) => st.size, () => 0);
    expect(written).toBeLessThan(BULK_BYTES);
    expect(await page.locator('form.form button[type=submit]').isDisabled()).toBe(false);
  });

  it('without the token the page loads but says to open the printed address', async () => {
    const stranger = await browser.newPage({ viewport: DESKTOP });
    try {
      await stranger.goto(new URL('/#/snapshots', ui.url).href);
      const alert = stranger.locator('.refused[role=alert]');
      await alert.waitFor();
      expect(await alert.textContent()).toContain('Open the address cairn ui printed (it ends in ?token=…) again.');
      expect(await stranger.locator('.snapshots').count()).toBe(0);
      await stranger.screenshot({ path: join(ARTIFACTS, '11-no-token-desktop.png') });
    } finally {
      await stranger.close();
    }
  });

  it('flags the failed plan, in the list and in the header', async () => {
    await open(page, '#/plans');
    const broken = page.locator('.plan-list .row[data-plan=broken]');
    await broken.waitFor();
    expect(await broken.getAttribute('class')).toContain('failing');
    expect(await broken.locator('.plan-head .badge').textContent()).toBe('overdue');
    expect(await broken.textContent()).toContain('missing: no such file or directory');
    expect(await page.locator('.plan-list .row[data-plan=docs]').getAttribute('class')).not.toContain('failing');
    expect(await page.locator('.tabs .flag').textContent()).toBe('1');
    await shoot('09-plans', '.plan-list .row');
  });

  it('shows the repository and runs a check as a job with its result', async () => {
    await open(page, '#/stats');
    await page.locator('dl.facts').waitFor();
    expect(await page.locator('dl.facts').textContent()).toContain(s.repo);
    await page.locator('button', { hasText: 'Check the repository' }).click();
    await page.locator('.job[data-state=done]').waitFor();
    expect(await page.locator('.job-end .state').textContent()).toBe('Check: done');
    expect(await page.locator('.job-end .job-result').textContent()).toMatch(/^No problems found: 4 snapshots, \d+ trees, \d+ packs checked\.$/);
    await page.locator('.jobs-list .row').first().waitFor();
    await shoot('10-stats', 'dl.facts');
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
  });
});

