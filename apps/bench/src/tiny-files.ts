import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Prng } from './prng.js';
import { sourceText } from './source-text.js';
import type { Vocabulary } from './source-text.js';

/** Files and bytes written. */
export interface TinyCount {
  files: number;
  bytes: number;
}

const LICENSE = `Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.
`;

/**
 * Writes `count` tiny files as a node_modules forest: packages (some scoped) of a
 * package.json, an index.js, a README.md, a LICENSE that differs only in its copyright
 * line, and a few lib/ modules, each from a few dozen bytes to 3 KB.
 */
export function writeTiny(dir: string, prng: Prng, vocabulary: Vocabulary, count: number): TinyCount {
  const written: TinyCount = { files: 0, bytes: 0 };
  const ids = vocabulary.identifiers;
  const put = (folder: string, name: string, content: string | Buffer): boolean => {
    if (written.files >= count) return false;
    writeFileSync(join(folder, name), content);
    written.files += 1;
    written.bytes += typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
    return true;
  };
  for (let pkg = 0; written.files < count; pkg += 1) {
    const name = `${ids[prng.below(ids.length)]!.toLowerCase()}-${pkg}`;
    const scope = prng.below(5) === 0 ? `@${ids[prng.below(ids.length)]!.toLowerCase()}` : '';
    const folder = join(dir, scope, name);
    mkdirSync(join(folder, 'lib'), { recursive: true });
    const version = `${prng.below(5)}.${prng.below(20)}.${prng.below(30)}`;
    const deps = Array.from({ length: prng.below(4) }, () => `    "${ids[prng.below(ids.length)]!.toLowerCase()}": "^${prng.below(9)}.${prng.below(9)}.0"`);
    put(folder, 'package.json', `{\n  "name": "${scope === '' ? '' : `${scope}/`}${name}",\n  "version": "${version}",\n  "main": "index.js",\n  "license": "MIT",\n  "dependencies": {\n${deps.join(',\n')}\n  }\n}\n`);
    put(folder, 'index.js', sourceText(prng, vocabulary, 40 + prng.below(1_500)));
    put(folder, 'README.md', `# ${name}\n\n${sourceText(prng, vocabulary, 100 + prng.below(1_200)).toString('latin1')}`);
    put(folder, 'LICENSE', `MIT License\n\nCopyright (c) ${2010 + prng.below(15)} ${ids[prng.below(ids.length)]!}\n\n${LICENSE}`);
    const modules = prng.below(7);
    for (let m = 0; m < modules; m += 1) put(join(folder, 'lib'), `${ids[prng.below(ids.length)]!}-${m}.js`, sourceText(prng, vocabulary, 50 + prng.below(3_000)));
  }
  return written;
}
