// Generates a tree for the watch benchmark: gen.mjs <root> <files> (100 files a folder, 20 folders a parent).
import { mkdirSync, writeFileSync } from 'node:fs';
const [root, n] = [process.argv[2], Number(process.argv[3])];
const perDir = 100;
for (let i = 0; i < n; i++) {
  const dir = `${root}/d${Math.floor(i / (perDir * 20))}/e${Math.floor(i / perDir)}`;
  if (i % perDir === 0) mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/f${i}.txt`, `file ${i}\n`);
}
