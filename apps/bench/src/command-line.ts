import { relative } from 'node:path';

/** The command line as typed, shell-quoted: `node apps/bench/dist/main.js --reps 1 …`. */
export function commandLine(argv: readonly string[], cwd = process.cwd()): string {
  const [, script = '', ...args] = argv;
  const rel = relative(cwd, script);
  const shown = rel.startsWith('..') ? script : rel;
  return ['node', shown, ...args].map(quote).join(' ');
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
