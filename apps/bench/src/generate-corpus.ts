import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fillCompressible } from './binary-content.js';
import { createPrng, subSeed } from './prng.js';
import type { Prng } from './prng.js';
import { createVocabulary, sourceText } from './source-text.js';
import type { Vocabulary } from './source-text.js';
import { writeTiny } from './tiny-files.js';
import { writeAll } from './write-all.js';

/** Bumped whenever the generator's output changes, so cached corpora are not reused. */
export const GENERATOR_VERSION = 1;

/** What a generated corpus holds. */
export interface CorpusParams {
  readonly seed: number;
  /** Bytes of source-like text files of varied sizes (under src/). */
  readonly textBytes: number;
  /** Number of tiny files in a node_modules-like forest. */
  readonly tinyFiles: number;
  /** Bytes of already-compressed files (random bytes, under assets/). */
  readonly randomBytes: number;
  /** Size of the one large file (large.bin). */
  readonly largeBytes: number;
}

/** Files and bytes of one kind in a generated corpus. */
export interface KindCount {
  files: number;
  bytes: number;
}

/** What generateCorpus wrote. */
export interface CorpusManifest {
  readonly params: CorpusParams;
  readonly text: KindCount;
  readonly tiny: KindCount;
  readonly random: KindCount;
  readonly large: KindCount & { readonly path: string };
  readonly seconds: number;
}

const MB = 1_000_000;

/** The default mix (`--large-mb` 256) and the `--small` one (a few MB in total). */
export function corpusPreset(preset: 'default' | 'small', seed: number, largeMb?: number): CorpusParams {
  const mb = largeMb ?? (preset === 'small' ? 2 : 256);
  if (!(mb >= 0) || !Number.isFinite(mb)) throw new RangeError(`--large-mb must be a number >= 0, not ${String(largeMb)}`);
  return preset === 'small'
    ? { seed, textBytes: 1.5 * MB, tinyFiles: 400, randomBytes: 1 * MB, largeBytes: Math.round(mb * MB) }
    : { seed, textBytes: 48 * MB, tinyFiles: 20_000, randomBytes: 24 * MB, largeBytes: Math.round(mb * MB) };
}

/** A short folder name that changes whenever the parameters or the generator do. */
export function corpusKey(params: CorpusParams): string {
  const hash = createHash('sha256').update(JSON.stringify({ v: GENERATOR_VERSION, ...params })).digest('hex');
  return `corpus-s${params.seed}-l${Math.round(params.largeBytes / MB)}-${hash.slice(0, 12)}`;
}

/**
 * Writes the corpus of `params` into the new folder `root`: src/ (source-like text files
 * from 200 B to 256 KB), node_modules/ (tiny files), assets/ (random bytes: photos,
 * archives) and large.bin (text, compressible binary and random segments of 1 MiB).
 * Same parameters, same tree, byte for byte.
 */
export function generateCorpus(root: string, params: CorpusParams): CorpusManifest {
  const started = performance.now();
  mkdirSync(root, { recursive: true });
  const vocabulary = createVocabulary(subSeed(params.seed, 0));
  const text = writeText(join(root, 'src'), createPrng(subSeed(params.seed, 1)), vocabulary, params.textBytes);
  const tiny = writeTiny(join(root, 'node_modules'), createPrng(subSeed(params.seed, 2)), vocabulary, params.tinyFiles);
  const random = writeRandom(join(root, 'assets'), createPrng(subSeed(params.seed, 3)), params.randomBytes);
  const large = { path: 'large.bin', files: 1, bytes: params.largeBytes };
  writeLarge(join(root, large.path), createPrng(subSeed(params.seed, 4)), vocabulary, params.largeBytes);
  return { params, text, tiny, random, large, seconds: (performance.now() - started) / 1000 };
}

/** A size between min and max, log-uniform (many small files, a few big ones). */
export function logUniform(prng: Prng, min: number, max: number): number {
  return Math.round(min * (max / min) ** prng.float());
}

function writeText(dir: string, prng: Prng, vocabulary: Vocabulary, total: number): KindCount {
  const count: KindCount = { files: 0, bytes: 0 };
  const ids = vocabulary.identifiers;
  let folder = '';
  while (count.bytes < total) {
    if (count.files % 24 === 0) {
      folder = join(dir, `project-${prng.below(12)}`, ids[prng.below(ids.length)]!, ids[prng.below(ids.length)]!);
      mkdirSync(folder, { recursive: true });
    }
    const size = Math.min(logUniform(prng, 200, 256_000), total - count.bytes);
    const ext = ['.ts', '.ts', '.ts', '.js', '.md', '.json'][prng.below(6)]!;
    writeFileSync(join(folder, `${ids[prng.below(ids.length)]!}-${count.files}${ext}`), sourceText(prng, vocabulary, size));
    count.files += 1;
    count.bytes += size;
  }
  return count;
}

function writeRandom(dir: string, prng: Prng, total: number): KindCount {
  const count: KindCount = { files: 0, bytes: 0 };
  const kinds = ['photo-%.jpg', 'clip-%.mp4', 'backup-%.tar.gz', 'bundle-%.zip', 'song-%.ogg'];
  mkdirSync(dir, { recursive: true });
  while (count.bytes < total) {
    const size = Math.min(logUniform(prng, 16_000, 4_000_000), total - count.bytes);
    const bytes = new Uint8Array(size);
    prng.fill(bytes);
    const name = kinds[prng.below(kinds.length)]!.replace('%', String(count.files).padStart(4, '0'));
    writeFileSync(join(dir, name), bytes);
    count.files += 1;
    count.bytes += size;
  }
  return count;
}

/** Segments of 1 MiB: 50% source text, 35% compressible binary, 15% random. */
function writeLarge(path: string, prng: Prng, vocabulary: Vocabulary, total: number): void {
  const segment = 1 << 20;
  const fd = openSync(path, 'wx');
  try {
    const random = new Uint8Array(segment);
    for (let at = 0; at < total; at += segment) {
      const size = Math.min(segment, total - at);
      const pick = prng.below(20);
      let bytes: Uint8Array;
      if (pick < 10) bytes = sourceText(prng, vocabulary, size);
      else {
        bytes = random.subarray(0, size);
        if (pick < 17) fillCompressible(prng, bytes);
        else prng.fill(bytes);
      }
      writeAll(fd, bytes);
    }
  } finally {
    closeSync(fd);
  }
}
