import { createPrng } from './prng.js';
import type { Prng } from './prng.js';

const KEYWORDS = ['const', 'let', 'return', 'await', 'new', 'typeof', 'this', 'null', 'true', 'false', 'undefined', 'void'];
const TYPES = ['string', 'number', 'boolean', 'Buffer', 'Uint8Array', 'Promise<void>', 'Map<string, number>', 'readonly string[]'];
const SYLLABLES = ['read', 'write', 'pack', 'blob', 'tree', 'node', 'chunk', 'index', 'file', 'path', 'size', 'hash', 'id', 'count', 'list', 'item', 'user', 'config', 'value', 'key', 'state', 'cache', 'entry', 'load', 'save', 'parse', 'format', 'open', 'close', 'find', 'make', 'check', 'get', 'set', 'to', 'from', 'buffer', 'stream', 'offset', 'length', 'error', 'result', 'options', 'target', 'source', 'data', 'meta', 'time', 'name', 'type'];
const WORDS = ['the', 'a', 'of', 'to', 'and', 'is', 'in', 'when', 'each', 'this', 'that', 'not', 'one', 'with', 'for', 'every', 'file', 'returns', 'reads', 'writes', 'keeps', 'after', 'before', 'which', 'it', 'its', 'as', 'or', 'be', 'are', 'by', 'first', 'last', 'new', 'old', 'so', 'only', 'must', 'may', 'never'];

/** The words a text generator draws from: identifiers made once from a seed. */
export interface Vocabulary {
  readonly identifiers: readonly string[];
}

/** Makes `size` camelCase identifiers from `seed` (a project's own names). */
export function createVocabulary(seed: number, size = 2_000): Vocabulary {
  const prng = createPrng(seed);
  const identifiers: string[] = [];
  for (let i = 0; i < size; i += 1) {
    const parts = 1 + prng.below(3);
    let name = SYLLABLES[prng.below(SYLLABLES.length)]!;
    for (let p = 1; p < parts; p += 1) {
      const s = SYLLABLES[prng.below(SYLLABLES.length)]!;
      name += s[0]!.toUpperCase() + s.slice(1);
    }
    identifiers.push(name);
  }
  return { identifiers };
}

/**
 * Writes `bytes` bytes of TypeScript-like source text (imports, functions, ifs, calls,
 * comments, indentation) drawn from `vocabulary` by `prng`. Frequent names are much more
 * frequent than rare ones, as in real code, so it compresses like real code (zstd ~4-6x).
 */
export function sourceText(prng: Prng, vocabulary: Vocabulary, bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  const ids = vocabulary.identifiers;
  // Zipf-like: a cube of a uniform variable favours the first names.
  const id = (): string => {
    const u = prng.float();
    return ids[Math.floor(ids.length * u * u * u)]!;
  };
  const word = (): string => WORDS[prng.below(WORDS.length)]!;
  let at = 0;
  let depth = 0;
  // Lines are gathered into a string of a few KB and written at once: one write per line costs more than the line.
  let pending = '';
  while (at < bytes) {
    const indent = '  '.repeat(depth);
    let line: string;
    const pick = prng.below(depth === 0 ? 6 : 16);
    if (depth === 0) {
      if (pick < 2) line = `import { ${id()}, ${id()} } from './${id()}.js';`;
      else if (pick < 4) line = `export function ${id()}(${id()}: ${TYPES[prng.below(TYPES.length)]!}, ${id()}: number): ${TYPES[prng.below(TYPES.length)]!} {`;
      else if (pick < 5) line = `/** ${word()} ${id()} ${word()} ${word()} ${id()} ${word()}. */`;
      else line = '';
      if (pick >= 2 && pick < 4) depth = 1;
    } else if (pick < 4) line = `${indent}const ${id()} = ${id()}(${id()}, ${prng.below(4096)});`;
    else if (pick < 6 && depth < 5) {
      line = `${indent}if (${id()}.${id()} === ${KEYWORDS[prng.below(KEYWORDS.length)]!}) {`;
      depth += 1;
    } else if (pick < 8) {
      line = `${indent.slice(2)}}`;
      depth -= 1;
    } else if (pick < 10) line = `${indent}// ${word()} ${id()} ${word()} ${word()} ${id()} ${word()} ${word()}`;
    else if (pick < 12) line = `${indent}${id()}.${id()} = '${word()} ${id()}';`;
    else if (pick < 14) line = `${indent}await ${id()}.${id()}(${id()}, { ${id()}: ${prng.below(100)}, ${id()} });`;
    else line = `${indent}return ${id()}.${id()}(${id()});`;
    pending += `${line}\n`;
    if (pending.length >= 4096 || at + pending.length >= bytes) {
      at += out.write(pending, at, 'latin1');
      pending = '';
    }
  }
  return out;
}
