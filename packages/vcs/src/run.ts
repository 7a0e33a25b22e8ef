import { spawn } from 'node:child_process';
import { CairnError } from '@cairn/core';
import type { VcsKind } from './types.js';

/** Options of one CLI call. */
export interface RunOptions {
  readonly cwd: string;
  /** Exit codes that are not failures (default: 0 only). */
  readonly okCodes?: readonly number[];
  /** Bytes written to the command's stdin. */
  readonly input?: string | Uint8Array;
  /** Extra environment on top of the tool's own. */
  readonly env?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal | undefined;
}

/** The outcome of one CLI call. */
export interface RunResult {
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly code: number;
}

// Variables that would make git act on another repository than the one in `cwd`.
const GIT_LOCATORS = [
  'GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR', 'GIT_NAMESPACE', 'GIT_PREFIX', 'GIT_CEILING_DIRECTORIES',
];

/** The environment a VCS runs in: machine-readable, non-interactive, English messages. */
function toolEnv(tool: VcsKind, extra: Readonly<Record<string, string>> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C.UTF-8', LANGUAGE: '' };
  if (tool === 'git') {
    for (const name of GIT_LOCATORS) delete env[name];
    env.GIT_TERMINAL_PROMPT = '0';
    env.GIT_OPTIONAL_LOCKS = '0';
    if (env.GIT_SSH === undefined && env.GIT_SSH_COMMAND === undefined) env.GIT_SSH_COMMAND = 'ssh -o BatchMode=yes';
  } else if (tool === 'hg') {
    env.HGPLAIN = '1';
    env.HGENCODING = 'utf-8';
  }
  return { ...env, ...extra };
}

const PREFIX_ARGS: Readonly<Record<VcsKind, readonly string[]>> = {
  git: ['--no-optional-locks', '-c', 'core.quotepath=false'],
  hg: ['--noninteractive', '--config', 'ui.paginate=false'],
  svn: [],
};

const SVN_SUFFIX = ['--non-interactive'];

/** Runs a VCS command and collects its output; a non-zero exit (not in okCodes) is a CairnError naming the command and folder. */
export function runTool(tool: VcsKind, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const argv = tool === 'svn' ? [...args, ...SVN_SUFFIX] : [...PREFIX_ARGS[tool], ...args];
  const okCodes = options.okCodes ?? [0];
  const what = `${tool} ${args[0] ?? ''} in ${options.cwd}`;
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new CairnError('ERR_ABORTED', `${what} was aborted before it started`));
      return;
    }
    const child = spawn(tool, argv, {
      cwd: options.cwd,
      env: toolEnv(tool, options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (piece: Buffer) => out.push(piece));
    child.stderr.on('data', (piece: Buffer) => err.push(piece));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.name === 'AbortError') reject(new CairnError('ERR_ABORTED', `${what} was aborted`, { cause: error }));
      else if (error.code === 'ENOENT') reject(missingTool(tool, options.cwd, error));
      else reject(new CairnError('ERR_IO', `${what} could not be started: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      const exit = code ?? -1;
      if (okCodes.includes(exit)) {
        resolve({ stdout: Buffer.concat(out), stderr, code: exit });
        return;
      }
      const why = signal === null ? `exit ${exit}` : `signal ${signal}`;
      reject(new CairnError('ERR_IO', `${what} failed (${why}): ${firstLines(stderr)}`, { cause: { stderr, code: exit } }));
    });
    child.stdin.on('error', () => {
      // The command may exit before reading its input; its exit status tells what happened.
    });
    child.stdin.end(options.input ?? '');
  });
}

function missingTool(tool: VcsKind, cwd: string, cause: unknown): CairnError {
  const names: Record<VcsKind, string> = { git: 'git', hg: 'Mercurial (hg)', svn: 'Subversion (svn)' };
  // A missing cwd also shows up as ENOENT from spawn.
  return new CairnError('ERR_UNSUPPORTED', `${names[tool]} could not be run in ${cwd}: the command is not installed or the folder is missing`, {
    hint: `Install ${names[tool]} and make sure it is on PATH.`,
    cause,
  });
}

/** The first lines of a command's error output, for messages. */
export function firstLines(text: string, max = 3): string {
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  return lines.length === 0 ? '(no error output)' : lines.slice(0, max).join(' / ');
}

/** The stderr a failed runTool call saw, or '' for other errors. */
export function stderrOf(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const stderr = (cause as { stderr?: unknown } | null | undefined)?.stderr;
  return typeof stderr === 'string' ? stderr : '';
}

/** Splits NUL-separated output into its fields, dropping the empty one after a trailing NUL. */
export function splitNul(output: Buffer | string): string[] {
  const text = typeof output === 'string' ? output : output.toString('utf8');
  if (text === '') return [];
  const fields = text.split('\0');
  if (fields[fields.length - 1] === '') fields.pop();
  return fields;
}

/** Splits output into non-empty lines. */
export function splitLines(output: Buffer | string): string[] {
  const text = typeof output === 'string' ? output : output.toString('utf8');
  return text.split('\n').filter((line) => line !== '');
}
