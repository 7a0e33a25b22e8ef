import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCairnError } from '@cairn/core';
import { defaultAuthSources, planAuth } from '../src/sftp/sftp-auth.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function keys(): Promise<{ plain: string; locked: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-sftp-auth-'));
  dirs.push(dir);
  const plain = join(dir, 'plain');
  const locked = join(dir, 'locked');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', plain]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'a passphrase', '-f', locked]);
  return { plain, locked };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(() => { throw new Error('expected a rejection'); }, (error: Error) => error);
}

describe('sftp login', () => {
  it('takes the agent from SSH_AUTH_SOCK and only the key CAIRN_SFTP_KEY names, else ssh\'s default key files', () => {
    expect(defaultAuthSources({ SSH_AUTH_SOCK: '/run/agent.sock', CAIRN_SFTP_KEY: '/keys/backup' })).toEqual({ agent: '/run/agent.sock', identityFiles: ['/keys/backup'] });
    expect(defaultAuthSources({})).toEqual({ agent: undefined, identityFiles: ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((name) => join(homedir(), '.ssh', name)) });
  });

  it('tries the agent first, then the key files that exist, and skips a key that needs a passphrase, saying why', async () => {
    const { plain, locked } = await keys();
    const plan = await planAuth('ana', { agent: '/run/agent.sock', identityFiles: [locked, plain, '/nonexistent/id_rsa'] }, 'sftp:ana@h:/r', false);
    expect(plan.methods.map((m) => m.type)).toEqual(['agent', 'publickey']);
    expect(plan.tried).toBe(`the ssh agent (/run/agent.sock), ${locked} (skipped: it needs a passphrase; add it to the agent with ssh-add), ${plain}`);
  });

  it('refuses to go on with no way to log in, and a named key file that is missing is a usage error', async () => {
    const { locked } = await keys();
    const none = await failure(planAuth('ana', { agent: undefined, identityFiles: [locked] }, 'sftp:ana@h:/r', false));
    expect(isCairnError(none, 'ERR_PERMISSION')).toBe(true);
    expect(none.message).toContain('sftp:ana@h:/r: no way to log in as ana');
    const missing = await failure(planAuth('ana', { agent: undefined, identityFiles: ['/nonexistent/key'] }, 'sftp:ana@h:/r', true));
    expect(isCairnError(missing, 'ERR_USAGE')).toBe(true);
    expect(missing.message).toContain('cannot read the ssh key /nonexistent/key (CAIRN_SFTP_KEY)');
  });
});
