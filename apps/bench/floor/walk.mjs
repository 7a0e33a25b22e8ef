// walk.mjs: the floor of a no-op backup's walk in plain Node (no cairn code): process start-up,
// readdirSync(withFileTypes) of every folder and lstatSync of every entry below DIR, folders
// entered by what lstat says. The same calls as walk.c without -x, so the two compare Node
// with C. Prints the line walk.c prints: "entries N errors E bytes 0 xattr-bytes 0".
//
//   node walk.mjs DIR
import { lstatSync, readdirSync } from 'node:fs';

const root = process.argv[2];
if (root === undefined) {
  process.stderr.write('usage: node walk.mjs DIR\n');
  process.exit(2);
}
let entries = 0;
let errors = 0;

function walk(dir, list) {
  for (const entry of list) {
    entries += 1;
    const path = `${dir}/${entry.name}`;
    let stats;
    try {
      stats = lstatSync(path);
    } catch {
      errors += 1;
      continue;
    }
    if (!stats.isDirectory()) continue;
    let sub;
    try {
      sub = readdirSync(path, { withFileTypes: true });
    } catch {
      errors += 1;
      continue;
    }
    walk(path, sub);
  }
}

const dir = root.length > 1 ? root.replace(/\/+$/, '') : root;
let top;
try {
  top = readdirSync(dir, { withFileTypes: true });
} catch (error) {
  process.stderr.write(`walk.mjs: cannot open ${root}: ${error.message}\n`);
  process.exit(1);
}
walk(dir, top);
process.stdout.write(`entries ${entries} errors ${errors} bytes 0 xattr-bytes 0\n`);
