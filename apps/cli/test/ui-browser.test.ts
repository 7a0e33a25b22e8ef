import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cairn, jsonSummary, startCli } from './run-cli.js';
import type { Run } from './run-cli.js';

/** Debian's chromium; the browser tests need it (playwright-core downloads no browser). */
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
/** Screenshots of every page, desktop and phone, for a person to look at (gitignored). */
const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts', 'ui');
const DESKTOP = { width: 1280, height: 800 };
/** The size of the file whose restore is cancelled: random, so every byte is decoded and written. */
const BULK_BYTES = 64 * 1024 * 1024;
const PHONE = { width: 390, height: 844 };

/** A 64×48 PNG gradient (written by hand: no image library needed). */
function png(): Buffer {
  const w = 64;
  const h = 48;
  const rows: Buffer[] = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 3);
    for (let x = 0; x < w; x++) row.set([x * 4, y * 5, 128], 1 + x * 3);
    rows.push(row);
  }
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (data: Buffer) => {
    let c = 0xffffffff;
    for (const byte of data) c = table[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(w, 0);
  header.writeUInt32BE(h, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

/** Every file below `dir`, as paths relative to it. */
async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

const V1 = 'export function hello(name: string): string {\n  // greet\n  return `hello ${name}`;\n}\n';
const V2 = 'export function hello(name: string): string {\n  // greet politely\n  return `Hello, ${name}!`;\n}\nconst secret = "needle in the haystack";\n';

/**
 * A repository with three snapshots of proj/ made by the CLI (a day apart, a tag on the first and the last),
 * and a plan whose last runs failed (the daemon's state file, as in the status tests).
 */
async function setup(home: string) {
  const repo = join(home, 'repo');
  const proj = join(home, 'proj');
  const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), XDG_DATA_HOME: join(home, 'data'), CAIRN_PASSWORD: '' };
  const run = (...args: string[]): Promise<Run> => cairn(['--repo', repo, ...args], { home, env });
  await mkdir(join(proj, 'src'), { recursive: true });
  await mkdir(join(proj, 'docs'), { recursive: true });
  await writeFile(join(proj, 'src', 'a.ts'), V1);
  await writeFile(join(proj, 'docs', 'notes.md'), '# Notes\n\nfirst\n');
  await writeFile(join(proj, 'docs', 'pic.png'), png());
  await writeFile(join(proj, 'config.ini'), 'level=1\n');
  expect((await run('init')).code).toBe(0);
  const ids: string[] = [];
  const backup = async (day: number, tags: string[]) => {
    const done = await run('backup', '--json', '--quiet', proj, '--time', `2026-11-0${day}T10:00:00Z`, ...tags.flatMap((t) => ['--tag', t]));
    expect(done.code, done.stderr).toBe(0);
    ids.push((jsonSummary(done.stdout) as { id: string }).id.slice(0, 8));
  };
  await backup(1, ['daily']);
  await writeFile(join(proj, 'src', 'a.ts'), V2);
  await writeFile(join(proj, 'big.bin'), Buffer.alloc(200_000, 7));
  await backup(2, []);
  await writeFile(join(proj, 'docs', 'notes.md'), '# Notes\n\nfirst\nsecond\n');
  await backup(3, ['weekly']);
  // Another folder, backed up earlier, with a file large enough that its restore can be cancelled on the way.
  const bulk = join(home, 'bulk');
  await mkdir(bulk);
  await writeFile(join(bulk, 'large.bin'), randomBytes(BULK_BYTES));
  const done = await run('backup', '--json', '--quiet', bulk, '--time', '2026-10-01T10:00:00Z');
  expect(done.code, done.stderr).toBe(0);
  const bulkId = (jsonSummary(done.stdout) as { id: string }).id.slice(0, 8);
  const plans = join(home, 'config', 'cairn', 'plans.json');
  await mkdir(dirname(plans), { recursive: true });
  await writeFile(plans, JSON.stringify({ plans: [
    { name: 'docs', paths: [proj], repo, schedule: 'every 1h' },
    { name: 'broken', paths: [join(home, 'missing')], repo, schedule: 'every 1h' },
  ] }));
  const stateDir = join(home, 'state', 'cairn');
  await mkdir(stateDir, { recursive: true });
  const now = Date.now();
  await writeFile(join(stateDir, 'state.json'), JSON.stringify({ version: 1, jobs: {
    docs: { lastSlot: now - 600_000, lastSuccess: now - 599_000, failures: 0, lastRun: { result: 'success', reason: 'schedule', start: now - 600_000, end: now - 599_000, snapshot: 'ab'.repeat(32) } },
    broken: { lastSlot: now - 300_000, failures: 3, lastRun: { result: 'failure', reason: 'retry', start: now - 300_000, end: now - 299_500, error: 'missing: no such file or directory' } },
  } }));
  return { repo, proj, ids, bulkId, env, plans, stateDir };
}

/** Starts `cairn ui` and waits for the URL it prints. */
async function startUi(args: readonly string[], env: Record<string, string>) {
  const run = startCli(['ui', ...args], env);
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    run.child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /^cairn ui: (\S+)$/m.exec(out);
      if (match !== null) resolve(match[1]!);
    });
    void run.done.then((end) => reject(new Error(`cairn ui ended before listening: ${end.stderr}`)));
  });
  return { url, run };
}

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
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
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
    await page.locator('.job button', { hasText: 'Cancel' }).click();
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

/**
 * The page load with 1,000 snapshots (benchmarks/BENCHMARKS.md): made in one process by the engine
 * (a thousand CLI runs would take minutes), three folders, a tag on every tenth (CAIRN_UI_BENCH_DIR: where, e.g. /dev/shm); then the real
 * `cairn ui` and the time from navigation to the timeline drawn (rows and chart): the first load
 * (the printed URL, through its redirect) and the median of 5 reloads.
 * Run with CAIRN_UI_BENCH=1.
 */
describe.runIf(haveChromium && process.env['CAIRN_UI_BENCH'] === '1')('cairn ui page load with 1,000 snapshots', () => {
  it('draws the timeline in under a second', async () => {
    const { backup, initRepository } = await import('@cairn/repository');
    const { createLocalBackend, createLocalSource } = await import('@cairn/transport');
    // CAIRN_UI_BENCH_REUSE: a folder a run kept (CAIRN_UI_BENCH_KEEP=1), measured again without making it.
    const reuse = process.env['CAIRN_UI_BENCH_REUSE'];
    const home = reuse ?? await mkdtemp(join(process.env['CAIRN_UI_BENCH_DIR'] ?? tmpdir(), 'cairn-ui-bench-'));
    try {
      const repoDir = join(home, 'repo');
      const repo = reuse === undefined ? await initRepository(createLocalBackend(repoDir)) : undefined;
      const folders = ['alpha', 'beta', 'gamma'].map((name) => join(home, name));
      for (const folder of folders) await mkdir(folder, { recursive: true });
      const made = Date.now();
      for (let i = 0; repo !== undefined && i < 1000; i++) {
        const folder = folders[i % 3]!;
        await writeFile(join(folder, 'counter.txt'), `${i}\n`.repeat(1 + (i % 50)));
        // No parent lookup, no worker pool, one tidy: a thousand backups in one process stay quick.
        await backup(repo, {
          source: createLocalSource(), paths: [folder], time: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000), tags: i % 10 === 0 ? ['daily'] : [],
          parentSnapshot: null, threads: 0, tidy: i === 0,
        });
      }
      const makeSeconds = (Date.now() - made) / 1000;
      const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), CAIRN_PASSWORD: '' };
      const ui = await startUi(['--repo', repoDir], env);
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
      try {
        const page = await (await browser.newContext({ viewport: DESKTOP })).newPage();
        const times: number[] = [];
        for (let run = 0; run < 6; run++) {
          // The first load is the printed URL (the server reads every snapshot then); then reloads.
          if (run === 0) await page.goto(ui.url);
          else await page.reload();
          await page.waitForFunction(() => {
            const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document;
            return doc.querySelectorAll('.snapshots .row').length > 0 && doc.querySelectorAll('.chart path.bars[data-count="1000"]').length === 1;
          }, undefined, { polling: 'raf', timeout: 30_000 });
          times.push(await page.evaluate(() => (globalThis as unknown as { performance: { now(): number } }).performance.now()));
          if (run === 0) {
            // Where the first load's time went: the API calls (the server reads the snapshots once, then keeps them).
            const calls = await page.evaluate(() => (globalThis as unknown as { performance: { getEntriesByType(t: string): { name: string; duration: number }[] } }).performance
              .getEntriesByType('resource').map((e) => `${new URL(e.name).pathname} ${e.duration.toFixed(0)} ms`));
            process.stdout.write(`ui bench: first load: ${calls.join(', ')}\n`);
          }
        }
        expect(await page.locator('.group').count()).toBe(3);
        const [first, ...rest] = times;
        const median = [...rest].sort((a, b) => a - b)[Math.floor(rest.length / 2)]!;
        await mkdir(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS, 'bench-1000-snapshots-desktop.png') });
        process.stdout.write(`ui bench: 1,000 snapshots made in ${makeSeconds.toFixed(1)} s; timeline drawn: first load ${first!.toFixed(0)} ms, median of ${rest.length} reloads ${median.toFixed(0)} ms (${rest.map((t) => t.toFixed(0)).join(', ')})\n`);
        expect(median).toBeLessThan(1000);
      } finally {
        await browser.close();
        ui.run.child.kill('SIGTERM');
        await ui.run.done;
      }
    } finally {
      if (process.env['CAIRN_UI_BENCH_KEEP'] === '1' || reuse !== undefined) process.stdout.write(`ui bench: the repository is kept in ${home}\n`);
      else await rm(home, { recursive: true, force: true });
    }
  }, 600_000);
});
