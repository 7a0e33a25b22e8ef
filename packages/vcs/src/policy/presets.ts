import picomatch from 'picomatch';

/** A technology stack recognised by its marker files. */
export type StackName = 'node' | 'rust' | 'python' | 'go' | 'java' | 'dotnet' | 'cmake';

/** What a file is, for snapshot statistics and for the default policy. */
export type FileClass = 'source' | 'config' | 'asset' | 'generated' | 'dependency';

/** One rule of a preset: names matched below the folder holding the marker. */
export interface PresetRule {
  /** A glob on one path segment (picomatch): "node_modules", "*.pyc". */
  readonly name: string;
  readonly class: 'generated' | 'dependency';
  /** 'dir': matches folders (and so everything below them); 'file': matches files. */
  readonly kind: 'dir' | 'file';
  /** True: only directly in the marker's folder ("dist"); false: at any depth below it ("node_modules"). */
  readonly anchored: boolean;
}

/** A stack's markers (globs on file names in a folder) and rules. */
export interface StackPreset {
  readonly stack: StackName;
  readonly markers: readonly string[];
  readonly rules: readonly PresetRule[];
}

const dir = (name: string, cls: PresetRule['class'], anchored = true): PresetRule => ({ name, class: cls, kind: 'dir', anchored });

/** The built-in presets, chosen by the marker files in a folder. */
export const STACK_PRESETS: readonly StackPreset[] = [
  {
    stack: 'node',
    markers: ['package.json'],
    rules: [dir('node_modules', 'dependency', false), dir('dist', 'generated'), dir('.next', 'generated'), dir('coverage', 'generated'), dir('.turbo', 'generated')],
  },
  { stack: 'rust', markers: ['Cargo.toml'], rules: [dir('target', 'generated')] },
  {
    stack: 'python',
    markers: ['pyproject.toml', 'setup.py', 'requirements.txt'],
    rules: [dir('__pycache__', 'generated', false), { name: '*.pyc', class: 'generated', kind: 'file', anchored: false }, dir('.venv', 'dependency'), dir('.tox', 'dependency')],
  },
  { stack: 'go', markers: ['go.mod'], rules: [] },
  { stack: 'java', markers: ['pom.xml', 'build.gradle', 'build.gradle.kts'], rules: [dir('target', 'generated'), dir('build', 'generated'), dir('.gradle', 'generated')] },
  { stack: 'dotnet', markers: ['*.csproj', '*.fsproj', '*.vbproj'], rules: [dir('bin', 'generated'), dir('obj', 'generated')] },
  { stack: 'cmake', markers: ['CMakeLists.txt'], rules: [dir('build', 'generated')] },
];

/** Every stack name, in preset order. */
export const STACK_NAMES: readonly StackName[] = STACK_PRESETS.map((preset) => preset.stack);

/** Characters that make a marker a glob rather than a plain name. */
export const GLOB_CHARS = /[*?[\]{}()!+@\\]/;

/**
 * How the markers are found in a listing, each name looked at once (a folder's every entry is
 * listed): plain names by lookup, `*.ext` by the end of a name (what picomatch with `dot`
 * matches for it: any name ending with `.ext`), any other glob by picomatch.
 */
const markerIndex = (() => {
  const plain = new Map<string, StackPreset[]>();
  const endings: { ending: string; preset: StackPreset }[] = [];
  const globs: { test: (name: string) => boolean; preset: StackPreset }[] = [];
  for (const preset of STACK_PRESETS) {
    for (const marker of preset.markers) {
      if (!GLOB_CHARS.test(marker)) plain.set(marker, [...(plain.get(marker) ?? []), preset]);
      else if (marker.startsWith('*.') && !GLOB_CHARS.test(marker.slice(1)) && !marker.includes('/')) endings.push({ ending: marker.slice(1), preset });
      else globs.push({ test: picomatch(marker, { dot: true }), preset });
    }
  }
  // The last characters of the endings: a name ending otherwise (most names) is not compared with each.
  const lastChars = new Set(endings.map(({ ending }) => ending.charCodeAt(ending.length - 1)));
  return { plain, endings, lastChars, globs };
})();

/** The presets whose markers are among `names` (the entries of one folder), in preset order. */
export function presetsFor(names: readonly string[]): StackPreset[] {
  const { plain, endings, lastChars, globs } = markerIndex;
  let found: Set<StackPreset> | undefined;
  for (const name of names) {
    const byName = plain.get(name);
    if (byName !== undefined) for (const preset of byName) (found ??= new Set()).add(preset);
    if (lastChars.has(name.charCodeAt(name.length - 1))) for (const { ending, preset } of endings) if (name.endsWith(ending)) (found ??= new Set()).add(preset);
    for (const { test, preset } of globs) if (test(name)) (found ??= new Set()).add(preset);
  }
  return found === undefined ? [] : STACK_PRESETS.filter((preset) => found.has(preset));
}

/** The stacks whose markers are among `names` (the entries of one folder). */
export function stacksFor(names: readonly string[]): StackName[] {
  return presetsFor(names).map((preset) => preset.stack);
}

const ruleMatchers = new Map<string, (segment: string) => boolean>();
/** The test of one path segment against a rule's glob (made once per glob). */
export function segmentMatcher(glob: string): (segment: string) => boolean {
  let test = ruleMatchers.get(glob);
  if (test === undefined) {
    test = picomatch(glob, { dot: true });
    ruleMatchers.set(glob, test);
  }
  return test;
}

/**
 * The rule of `preset` that covers `segments` (a path relative to the marker's folder, split on
 * '/'), when its last segment is a folder (`isDir`) or a file; undefined when none does.
 */
export function matchRule(preset: StackPreset, segments: readonly string[], isDir: boolean): PresetRule | undefined {
  for (const rule of preset.rules) {
    const test = segmentMatcher(rule.name);
    if (rule.kind === 'file') {
      const last = segments[segments.length - 1];
      if (!isDir && last !== undefined && (rule.anchored ? segments.length === 1 : true) && test(last)) return rule;
      continue;
    }
    // A folder rule covers the folder itself and everything below it.
    const folders = isDir ? segments.length : segments.length - 1;
    const limit = rule.anchored ? Math.min(1, folders) : folders;
    for (let i = 0; i < limit; i++) if (test(segments[i] as string)) return rule;
  }
  return undefined;
}
