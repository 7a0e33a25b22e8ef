import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { insideRoot } from '../restore-util.js';
import type { VcsProperties, VcsState } from '../types.js';
import { svn } from './svn-run.js';
import { descendants, parseXml } from './xml.js';

const CHUNK = 200;

/** A path as an svn argument: a trailing '@' keeps an '@' inside the name from reading as a peg revision. */
export const svnArg = (path: string): string => `${path === '' ? '.' : path}@`;

/**
 * The full property lists of `paths` (items whose properties were changed and not committed), as
 * `svn proplist -v --xml` gives them; '' is the root. Values that are not XML-safe text come base64.
 */
export async function readProperties(root: string, paths: readonly string[], signal?: AbortSignal): Promise<VcsProperties[]> {
  const found: VcsProperties[] = [];
  for (let i = 0; i < paths.length; i += CHUNK) {
    const out = await svn(root, ['proplist', '-v', '--xml', '--depth', 'empty', ...paths.slice(i, i + CHUNK).map(svnArg)], { signal });
    for (const target of descendants(parseXml(out.stdout.toString('utf8'), `Subversion working copy ${root}`), 'target')) {
      const path = target.attrs.path === '.' || target.attrs.path === undefined ? '' : target.attrs.path;
      const values: Record<string, string> = {};
      const base64: string[] = [];
      for (const property of target.children.filter((node) => node.name === 'property')) {
        const name = property.attrs.name ?? '';
        values[name] = property.text;
        if (property.attrs.encoding === 'base64') base64.push(name);
      }
      found.push({ path, values, ...(base64.length > 0 ? { base64 } : {}) });
    }
  }
  return found;
}

/**
 * Puts the recorded property lists back on a restored working copy: each recorded property is set
 * (from a file, so any bytes survive) and each property the checkout brought that was not recorded
 * is deleted, so `svn proplist -v` and `svn status` read as before the backup.
 */
export async function applyProperties(dir: string, state: VcsState, tmp: string, signal?: AbortSignal): Promise<void> {
  let n = 0;
  for (const { path, values, base64 = [] } of state.properties ?? []) {
    if (path !== '') insideRoot(dir, path, state);
    const current = await svn(dir, ['proplist', '--xml', '--depth', 'empty', svnArg(path)], { signal });
    const target = descendants(parseXml(current.stdout.toString('utf8'), `Subversion working copy ${dir}`), 'target')[0];
    for (const property of target?.children ?? []) {
      const name = property.attrs.name;
      if (property.name === 'property' && name !== undefined && !(name in values)) await svn(dir, ['propdel', '-q', name, svnArg(path)], { signal });
    }
    for (const [name, value] of Object.entries(values)) {
      const file = join(tmp, `prop-${(n += 1)}`);
      await writeFile(file, base64.includes(name) ? Buffer.from(value, 'base64') : value);
      await svn(dir, ['propset', '-q', name, '-F', file, svnArg(path)], { signal });
    }
  }
}

