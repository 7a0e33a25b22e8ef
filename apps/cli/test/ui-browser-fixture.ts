/** What the browser tests of the `cairn ui` page share: the browser, the repository they look at, the server. */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { expect } from 'vitest';
import { cairn, jsonSummary, startListening, uiAddress } from './run-cli.js';
import type { Run } from './run-cli.js';

/** Debian's chromium; the browser tests need it (playwright-core downloads no browser). */
export const CHROMIUM = '/usr/bin/chromium';
/** Whether chromium is installed (the browser tests are skipped, saying so, when it is not). */
export const haveChromium = existsSync(CHROMIUM);
/** Screenshots of every page, desktop and phone, for a person to look at (gitignored). */
export const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), 'artifacts', 'ui');
/** The desktop and phone viewports the pages are tried at. */
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
/**
 * The size of the file whose restore is cancelled: random, so every byte is decoded and written.
 * Its restore must outlast the click on Cancel: 64 MiB took the server about 0.1 s, and a click
 * on a loaded CI machine once came after the restore had ended.
 */
export const BULK_BYTES = 256 * 1024 * 1024;

/** A 64×48 PNG gradient (written by hand: no image library needed). */
export function png(): Buffer {
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
export async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** The two versions of proj/src/a.ts. */
export const V1 = 'export function hello(name: string): string {\n  // greet\n  return `hello ${name}`;\n}\n';
export const V2 = 'export function hello(name: string): string {\n  // greet politely\n  return `Hello, ${name}!`;\n}\nconst secret = "needle in the haystack";\n';

/**
 * A repository with three snapshots of proj/ made by the CLI (a day apart, a tag on the first and the last),
 * and a plan whose last runs failed (the daemon's state file, as in the status tests).
 */
export async function setup(home: string) {
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
export function startUi(args: readonly string[], env: Record<string, string>) {
  return startListening(['ui', ...args], env, uiAddress);
}

/** Starts Debian's chromium, headless (without its sandbox when run as root, which it refuses otherwise). */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
}
