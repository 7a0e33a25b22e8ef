import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CairnError } from '@cairn/core';
import type { PasswordSource } from '@cairn/repository';

/** Where a password comes from, first that is set wins: the flag's file, an environment variable, a command, a prompt on a terminal. */
export interface PasswordOptions {
  /** A file holding the password (its first line). */
  readonly file?: string | undefined;
  /** The environment variables to read: the password itself, and a command that prints it. */
  readonly env: { readonly password: string; readonly command: string };
  /** What a prompt asks for ("password for /path/repo"). */
  readonly prompt: string;
  /** The message when no source is set and there is no terminal to ask on. */
  readonly missing: string;
  /** Ask twice on a terminal, for a new password. */
  readonly confirm?: boolean;
  /** The flag that names a password file, for the hint (default: --password-file, or --new-password-file for a new password). */
  readonly flag?: string;
}

/** The password for the repository: --password-file, CAIRN_PASSWORD, CAIRN_PASSWORD_COMMAND, else a prompt on a terminal. */
export function repositoryPassword(file: string | undefined, location: string): PasswordSource {
  return () => readPassword({ file, env: { password: 'CAIRN_PASSWORD', command: 'CAIRN_PASSWORD_COMMAND' }, prompt: `the password for the repository at ${location}`, missing: `the repository at ${location} is encrypted: no password was given` });
}

/** Whether a password was given without a prompt (a file, CAIRN_PASSWORD or CAIRN_PASSWORD_COMMAND). */
export function passwordGiven(file: string | undefined): boolean {
  return file !== undefined || (process.env['CAIRN_PASSWORD'] ?? '') !== '' || (process.env['CAIRN_PASSWORD_COMMAND'] ?? '') !== '';
}

/** Reads a password from the first source that is set; ERR_PASSWORD when none is and stdin is no terminal. */
export async function readPassword(options: PasswordOptions): Promise<string> {
  if (options.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (error) {
      throw new CairnError('ERR_NOT_FOUND', `cannot read the password file ${options.file}: ${(error as Error).message}`, { cause: error });
    }
    return firstLine(text);
  }
  const fromEnv = process.env[options.env.password];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const command = process.env[options.env.command];
  if (command !== undefined && command !== '') {
    try {
      return firstLine(execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
    } catch (error) {
      throw new CairnError('ERR_PASSWORD', `${options.env.command} (${command}) failed: ${(error as Error).message.split('\n')[0]}`, { cause: error });
    }
  }
  if (process.stdin.isTTY !== true) {
    throw new CairnError('ERR_PASSWORD', options.missing, {
      hint: `give it with ${options.flag ?? (options.env.password === 'CAIRN_PASSWORD' ? '--password-file' : '--new-password-file')}, ${options.env.password} or ${options.env.command}, or run cairn on a terminal`,
    });
  }
  const password = await prompt(`enter ${options.prompt}: `);
  if (options.confirm === true && (await prompt('enter it again: ')) !== password) {
    throw new CairnError('ERR_USAGE', 'the two passwords typed differ', { hint: 'run the command again' });
  }
  return password;
}

function firstLine(text: string): string {
  return text.replace(/\r?\n[\s\S]*$/, '');
}

/** Asks on the terminal without echoing what is typed. */
async function prompt(question: string): Promise<string> {
  const stdin = process.stdin;
  // Echo off before the question shows: what is typed as soon as it does must not be echoed.
  stdin.setRawMode(true);
  process.stderr.write(question);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let typed = '';
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          done();
          resolve(typed);
          return;
        }
        if (ch === '\u0003') {
          done();
          reject(new CairnError('ERR_ABORTED', 'interrupted while asking for a password'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    const done = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}
