import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CairnError, importModule } from '@cairn/core';

/** The keys ssh tries when none is named, in its order. */
const DEFAULT_KEY_NAMES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** The ways to log in, in the form ssh2's `authHandler` list takes them. */
export type AuthMethod =
  | { readonly type: 'agent'; readonly username: string; readonly agent: string }
  | { readonly type: 'publickey'; readonly username: string; readonly key: Buffer };

/** The login methods and a sentence saying which were tried, for the error when none works. */
export interface AuthPlan {
  readonly methods: AuthMethod[];
  readonly tried: string;
}

/** Where keys come from: the agent's socket (undefined: none) and the private key files to try. */
export interface AuthSources {
  readonly agent: string | undefined;
  readonly identityFiles: readonly string[];
}

/** The agent from SSH_AUTH_SOCK and the key files: CAIRN_SFTP_KEY when set, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa. */
export function defaultAuthSources(env: NodeJS.ProcessEnv = process.env): AuthSources {
  const named = env['CAIRN_SFTP_KEY'];
  return {
    agent: env['SSH_AUTH_SOCK'] || undefined,
    identityFiles: named ? [named] : DEFAULT_KEY_NAMES.map((name) => join(homedir(), '.ssh', name)),
  };
}

/**
 * Reads the key files that exist (a key file named on purpose must exist: ERR_USAGE) and lists the
 * agent first, then the keys, as ssh does. A key protected by a passphrase is skipped (load it into
 * the agent with ssh-add); with no way left it is ERR_PERMISSION saying what to do.
 */
export async function planAuth(username: string, sources: AuthSources, where: string, keyNamed: boolean): Promise<AuthPlan> {
  const methods: AuthMethod[] = [];
  const notes: string[] = [];
  if (sources.agent !== undefined) {
    methods.push({ type: 'agent', username, agent: sources.agent });
    notes.push(`the ssh agent (${sources.agent})`);
  }
  const { utils } = (await importModule('ssh2', () => import('ssh2'))).default;
  for (const file of sources.identityFiles) {
    let key: Buffer;
    try {
      key = await readFile(file);
    } catch (error) {
      if (keyNamed) throw new CairnError('ERR_USAGE', `cannot read the ssh key ${file} (CAIRN_SFTP_KEY): ${(error as Error).message}`, { cause: error });
      continue;
    }
    const parsed = utils.parseKey(key);
    if (parsed instanceof Error) {
      notes.push(`${file} (skipped: ${/passphrase/i.test(parsed.message) ? 'it needs a passphrase; add it to the agent with ssh-add' : parsed.message})`);
      continue;
    }
    methods.push({ type: 'publickey', username, key });
    notes.push(file);
  }
  const tried = notes.length === 0 ? 'no ssh agent and no key file' : notes.join(', ');
  if (methods.length === 0) {
    throw new CairnError('ERR_PERMISSION', `${where}: no way to log in as ${username}: ${tried}`, {
      hint: 'start an ssh agent holding your key (ssh-add), or make a key (ssh-keygen -t ed25519) and add it to the server\'s authorized_keys; CAIRN_SFTP_KEY names another key file',
    });
  }
  return { methods, tried };
}
