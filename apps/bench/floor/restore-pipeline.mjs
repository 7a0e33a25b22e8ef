// restore-pipeline.mjs: the floor of a restore's data path in Node, with none of cairn's engine
// (no index, no packs, no trees, no plan, no checks).
//
//   node restore-pipeline.mjs prepare DIR STORE
//     (untimed) stores DIR as a restore would find it: every regular file cut in 1 MiB pieces, each
//     compressed with zstd -3 (cairn's zstd) into STORE/frames, back to back in walk order, and
//     STORE/manifest.json listing the folders, symlinks and files with their pieces.
//   node restore-pipeline.mjs restore STORE TARGET
//     makes the folders and symlinks, reads STORE/frames in 4 MiB reads on the main thread, has one
//     worker thread decompress them (two reads in flight, at most 8 MiB decoded each; the read and
//     decoded buffers come back and are used again, as cairn's restore does), and writes every
//     file (open, write, fchmod, futimes, close) on the main thread, then the folders' modes and
//     times. Prints "files F folders D bytes B".
import { chmodSync, closeSync, fchmodSync, futimesSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, readlinkSync, symlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadZstd } from '@cairn/pack';

const PIECE = 1024 * 1024;
const READ = 4 * 1024 * 1024;
/** A read's decoded bytes at most: every decoded buffer is this long, so each comes back and is used again. */
const DECODED = 8 * 1024 * 1024;
const [mode, from, to] = process.argv.slice(2);
if ((mode !== 'prepare' && mode !== 'restore') || from === undefined || to === undefined) {
  process.stderr.write('usage: node restore-pipeline.mjs prepare DIR STORE | restore STORE TARGET\n');
  process.exit(2);
}

if (mode === 'prepare') {
  const zstd = await loadZstd();
  mkdirSync(to, { recursive: true });
  const frames = openSync(join(to, 'frames'), 'w');
  const entries = [];
  let offset = 0;
  const walk = (dir, rel) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const name = rel === '' ? entry.name : `${rel}/${entry.name}`;
      const stats = lstatSync(path);
      if (stats.isDirectory()) {
        entries.push({ type: 'dir', name, mode: stats.mode & 0o7777, mtime: stats.mtimeMs / 1000 });
        walk(path, name);
      } else if (stats.isSymbolicLink()) {
        entries.push({ type: 'symlink', name, target: readlinkSync(path) });
      } else if (stats.isFile()) {
        const data = readFileSync(path);
        const pieces = [];
        for (let at = 0; at < data.length; at += PIECE) {
          const frame = zstd.compress(data.subarray(at, Math.min(data.length, at + PIECE)), 3);
          writeSync(frames, frame);
          pieces.push(frame.length, Math.min(PIECE, data.length - at));
          offset += frame.length;
        }
        entries.push({ type: 'file', name, mode: stats.mode & 0o7777, mtime: stats.mtimeMs / 1000, pieces });
      }
    }
  };
  walk(from, '');
  closeSync(frames);
  writeFileSync(join(to, 'manifest.json'), JSON.stringify({ bytes: offset, entries }));
} else {
  const { bytes, entries } = JSON.parse(readFileSync(join(from, 'manifest.json'), 'utf8'));
  mkdirSync(to, { recursive: true });
  for (const entry of entries) {
    if (entry.type === 'dir') mkdirSync(join(to, entry.name));
    else if (entry.type === 'symlink') symlinkSync(entry.target, join(to, entry.name));
  }
  // The frames in file order, each with the file it belongs to; reads of about READ bytes, cut between frames.
  const files = entries.filter((entry) => entry.type === 'file');
  const reads = [];
  let current = { start: 0, length: 0, raw: 0, frames: [] };
  let at = 0;
  files.forEach((file, index) => {
    for (let p = 0; p < file.pieces.length; p += 2) {
      const [stored, raw] = [file.pieces[p], file.pieces[p + 1]];
      if (current.length > 0 && (current.length + stored > READ || current.raw + raw > DECODED)) {
        reads.push(current);
        current = { start: at, length: 0, raw: 0, frames: [] };
      }
      current.frames.push(index, current.length, stored, raw);
      current.length += stored;
      current.raw += raw;
      at += stored;
    }
  });
  if (current.length > 0) reads.push(current);
  if (at !== bytes) throw new Error(`the manifest lists ${at} stored bytes, the frames file ${bytes}`);

  const worker = new Worker(new URL('./restore-pipeline-worker.mjs', import.meta.url));
  const answers = new Map();
  const waiting = new Map();
  worker.on('error', (error) => {
    process.stderr.write(`restore pipeline worker: ${error.message}\n`);
    process.exit(1);
  });
  worker.on('message', (answer) => {
    const resolve = waiting.get(answer.read);
    if (resolve === undefined) answers.set(answer.read, answer);
    else resolve(answer);
  });
  const answerOf = (read) => answers.has(read) ? Promise.resolve(answers.get(read)) : new Promise((resolve) => waiting.set(read, resolve));
  const store = openSync(join(from, 'frames'), 'r');
  // Buffers go to the worker and come back, to be used again: read buffers and decoded ones.
  const spareIn = [];
  const spareOut = [];
  const send = (read) => {
    const { start, length, frames } = reads[read];
    const reused = spareIn.pop();
    const buffer = reused !== undefined && reused.byteLength >= length ? new Uint8Array(reused) : new Uint8Array(Math.max(length, READ));
    let done = 0;
    while (done < length) {
      const n = readSync(store, buffer, done, length - done, start + done);
      if (n === 0) throw new Error(`${join(from, 'frames')} ends at ${start + done}, before the ${bytes} bytes its manifest lists`);
      done += n;
    }
    const out = spareOut.pop();
    const decoded = out ?? new ArrayBuffer(DECODED);
    worker.postMessage({ read, buffer: buffer.buffer, frames, out: decoded }, [buffer.buffer, decoded]);
  };
  let fd = -1;
  let open = -1;
  let written = 0;
  const finish = () => {
    if (fd < 0) return;
    const file = files[open];
    fchmodSync(fd, file.mode);
    futimesSync(fd, file.mtime, file.mtime);
    closeSync(fd);
    fd = -1;
  };
  for (let read = 0; read < Math.min(2, reads.length); read += 1) send(read);
  for (let read = 0; read < reads.length; read += 1) {
    const { input, output, spans } = await answerOf(read);
    answers.delete(read);
    spareIn.push(input);
    if (read + 2 < reads.length) send(read + 2);
    const plain = new Uint8Array(output);
    for (let s = 0; s < spans.length; s += 3) {
      const [index, offset, length] = [spans[s], spans[s + 1], spans[s + 2]];
      if (index !== open) {
        finish();
        open = index;
        fd = openSync(join(to, files[index].name), 'w', 0o600);
      }
      writeSync(fd, plain, offset, length);
      written += length;
    }
    spareOut.push(output);
  }
  finish();
  // Files with no bytes have no frames: they are made here.
  for (const file of files) {
    if (file.pieces.length > 0) continue;
    const empty = openSync(join(to, file.name), 'w', 0o600);
    fchmodSync(empty, file.mode);
    futimesSync(empty, file.mtime, file.mtime);
    closeSync(empty);
  }
  closeSync(store);
  await worker.terminate();
  const folders = entries.filter((entry) => entry.type === 'dir');
  for (const folder of folders.reverse()) {
    chmodSync(join(to, folder.name), folder.mode);
    utimesSync(join(to, folder.name), folder.mtime, folder.mtime);
  }
  process.stdout.write(`files ${files.length} folders ${folders.length} bytes ${written}\n`);
}
