#!/usr/bin/env node
// Bytes on the wire per byte of file for device backups and restores, and the cost of an
// incremental backup of an unchanged 100-file board; throughput over the simulated board
// and over a pty pair (socat). Needs a build (pnpm build). Usage: node bench/device-wire.mjs [--json]
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SerialPort } from 'serialport';
import { backup, initRepository, restore } from '../../repository/dist/index.js';
import { createLocalBackend } from '../../transport/dist/index.js';
import { createDeviceSource, createDeviceTarget, openDevice } from '../dist/index.js';
import { createSimBoard } from '../dist/sim/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const json = process.argv.includes('--json');
const work = await mkdtemp(join(tmpdir(), 'cairn-device-wire-'));
const rows = [];

/** Text like a board's: the TypeScript sources of this repository, `size` bytes of them. */
async function sourceText(size) {
  const pieces = [];
  let total = 0;
  for (const pkg of ['transport', 'repository', 'core', 'index', 'pack', 'chunker']) {
    const dir = join(here, '..', '..', pkg, 'src');
    for (const name of (await readdir(dir, { recursive: true })).sort()) {
      if (!name.endsWith('.ts')) continue;
      const text = await readFile(join(dir, name));
      pieces.push(text);
      total += text.byteLength;
      if (total >= size) return Buffer.concat(pieces).subarray(0, size);
    }
  }
  return Buffer.concat(pieces).subarray(0, size);
}

async function newRepo() {
  return initRepository(createLocalBackend(await mkdtemp(join(work, 'repo-'))));
}

function wireOf(device) {
  return device.wire.sent + device.wire.received;
}

/** Backs the board up and restores it onto a fresh board; returns wire bytes and seconds of each. */
async function roundTrip(label, seed, bytes, options = {}) {
  const repo = await newRepo();
  const source = await openDevice({ port: 'sim', sim: { seed }, timeoutMs: 60_000, ...options });
  let wire = wireOf(source);
  let started = performance.now();
  await backup(repo, { source: createDeviceSource(source), paths: ['/'], threads: 0 });
  const backupWire = wireOf(source) - wire;
  const backupSeconds = (performance.now() - started) / 1000;
  await source.close();
  const target = await openDevice({ port: 'sim', timeoutMs: 60_000, ...options });
  wire = wireOf(target);
  started = performance.now();
  await restore(repo, 'latest', { target: createDeviceTarget(target) });
  const restoreWire = wireOf(target) - wire;
  const restoreSeconds = (performance.now() - started) / 1000;
  await target.close();
  rows.push({ measure: `${label}: backup`, fileBytes: bytes, wireBytes: backupWire, perByte: backupWire / bytes, seconds: backupSeconds });
  rows.push({ measure: `${label}: restore`, fileBytes: bytes, wireBytes: restoreWire, perByte: restoreWire / bytes, seconds: restoreSeconds });
}

async function folderWith(name, files) {
  const dir = join(work, name);
  for (const [path, data] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), data);
  }
  return dir;
}

/** An unchanged board of 100 files in 5 folders, backed up twice; the second run's wire bytes per file. */
async function unchangedBoard(label, trustMtime) {
  const files = [];
  for (let i = 0; i < 100; i++) files.push([`lib/pkg${i % 5}/module_${i}.py`, `# module ${i}\n${'x = 1\n'.repeat(20 + i)}`]);
  const seed = await folderWith(`hundred-${trustMtime}`, files);
  const repo = await newRepo();
  const device = await openDevice({ port: 'sim', sim: { seed }, timeoutMs: 60_000 });
  const source = createDeviceSource(device, { trustMtime });
  await backup(repo, { source, paths: ['/'], threads: 0 });
  const wire = wireOf(device);
  const result = await backup(repo, { source, paths: ['/'], threads: 0 });
  const used = wireOf(device) - wire;
  await device.close();
  if (result.snapshot.summary.filesUnchanged !== 100) throw new Error(`expected 100 unchanged files, got ${JSON.stringify(result.snapshot.summary)}`);
  rows.push({ measure: `unchanged 100-file board, ${label}: incremental backup`, fileBytes: 0, wireBytes: used, perFile: used / 100 });
}

/** The same round trip with the board behind a socat pty pair and serialport. */
async function overPty(label, seed, bytes) {
  if (spawnSync('socat', ['-V']).status !== 0) {
    rows.push({ measure: `${label} over a pty`, note: 'socat not installed' });
    return;
  }
  const socat = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  const paths = await new Promise((resolve) => socat.stderr.on('data', (d) => {
    text += d;
    const found = [...text.matchAll(/PTY is (\S+)/g)].map((m) => m[1]);
    if (found.length === 2) resolve(found);
  }));
  const run = async (simOptions, body) => {
    const sim = await createSimBoard(simOptions);
    const line = new SerialPort({ path: paths[0], baudRate: 115200 });
    await once(line, 'open');
    line.pipe(sim.stream);
    sim.stream.pipe(line);
    const device = await openDevice({ port: paths[1], timeoutMs: 60_000 });
    try {
      return await body(device);
    } finally {
      await device.close();
      line.close();
      await sim.close();
    }
  };
  const repo = await newRepo();
  const backedUp = await run({ seed }, async (device) => {
    const wire = wireOf(device);
    const started = performance.now();
    await backup(repo, { source: createDeviceSource(device), paths: ['/'], threads: 0 });
    return { wire: wireOf(device) - wire, seconds: (performance.now() - started) / 1000 };
  });
  const restored = await run({}, async (device) => {
    const wire = wireOf(device);
    const started = performance.now();
    await restore(repo, 'latest', { target: createDeviceTarget(device) });
    return { wire: wireOf(device) - wire, seconds: (performance.now() - started) / 1000 };
  });
  socat.kill();
  rows.push({ measure: `${label} over a pty: backup`, fileBytes: bytes, wireBytes: backedUp.wire, perByte: backedUp.wire / bytes, seconds: backedUp.seconds });
  rows.push({ measure: `${label} over a pty: restore`, fileBytes: bytes, wireBytes: restored.wire, perByte: restored.wire / bytes, seconds: restored.seconds });
}

try {
  const binary = randomBytes(64 * 1024);
  const text = await sourceText(64 * 1024);
  const binarySeed = await folderWith('binary', [['data.bin', binary]]);
  const textSeed = await folderWith('text', [['code.py', text]]);
  await roundTrip('binary 64 KiB, base64 (a board with a fast binascii)', binarySeed, binary.byteLength, { readEncoding: 'base64' });
  await roundTrip('binary 64 KiB, sim default (hex: its b2a_base64 is slow)', binarySeed, binary.byteLength);
  await roundTrip('text 64 KiB, deflate on the board', textSeed, text.byteLength, { readEncoding: 'base64' });
  await roundTrip('text 64 KiB, no compression', textSeed, text.byteLength, { readEncoding: 'base64', compress: false });
  await unchangedBoard('mtimes', true);
  await unchangedBoard('sha256 on the board (no clock)', false);
  await overPty('binary 64 KiB', binarySeed, binary.byteLength);
} finally {
  await rm(work, { recursive: true, force: true });
}

if (json) {
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
} else {
  const fmt = (n, digits = 2) => (n === undefined ? '' : typeof n === 'number' ? (Number.isInteger(n) ? String(n) : n.toFixed(digits)) : String(n));
  const header = ['measure', 'file bytes', 'wire bytes', 'wire/file byte', 'wire/file', 'KiB/s of file', 'note'];
  const lines = rows.map((r) => [r.measure, fmt(r.fileBytes), fmt(r.wireBytes), fmt(r.perByte, 3), fmt(r.perFile, 1), r.seconds ? fmt(r.fileBytes / 1024 / r.seconds, 1) : '', r.note ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  process.stdout.write([row(header), row(widths.map((w) => '-'.repeat(w))), ...lines.map(row)].join('\n') + '\n');
}
