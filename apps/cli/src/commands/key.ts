import type { Command } from 'commander';
import { addKey, changePassword, listKeys, removeKey } from '@cairn/repository';
import { globals, openRepo, printJson, repoLocation } from '../context.js';
import { readPassword } from '../password.js';

/** The new password of `key add` / `key passwd`: --new-password-file, CAIRN_NEW_PASSWORD, CAIRN_NEW_PASSWORD_COMMAND, else a prompt (twice). */
function newPassword(file: string | undefined, location: string): Promise<string> {
  return readPassword({
    file,
    env: { password: 'CAIRN_NEW_PASSWORD', command: 'CAIRN_NEW_PASSWORD_COMMAND' },
    prompt: `the new password for the repository at ${location}`,
    missing: `no new password was given for the repository at ${location}`, confirm: true,
  });
}

/** `cairn key list|add|remove|passwd`: the key files of an encrypted repository. */
export function registerKey(program: Command): void {
  const key = program.command('key').description('manage the passwords (key files) of an encrypted repository');
  const newPasswordFlag = '--new-password-file <file>';
  const newPasswordHelp = 'the new password, in the first line of this file (else $CAIRN_NEW_PASSWORD, $CAIRN_NEW_PASSWORD_COMMAND or a prompt)';

  key
    .command('list')
    .description('list the key files; * marks the one the password opened')
    .action(async (_flags: unknown, command: Command) => {
      const options = globals(command);
      const keys = await listKeys(await openRepo(options));
      if (options.json === true) {
        printJson(keys.map((k) => ({ id: k.name, current: k.current, created: k.created, host: k.host, user: k.user, cipher: k.cipher, kdf: { algorithm: 'scrypt', ...k.kdf } })), 'key');
        return;
      }
      for (const k of keys) process.stdout.write(`${k.current ? '*' : ' '} ${k.name.slice(0, 8)}  ${k.created}  ${k.user}@${k.host}\n`);
    });

  key
    .command('add')
    .description('add a key file: another password that opens the repository')
    .option(newPasswordFlag, newPasswordHelp)
    .action(async (flags: { newPasswordFile?: string }, command: Command) => {
      const options = globals(command);
      const repo = await openRepo(options);
      const name = await addKey(repo, await newPassword(flags.newPasswordFile, repoLocation(options).path));
      if (options.json === true) printJson({ added: name });
      else process.stdout.write(`added key ${name.slice(0, 8)}\n`);
    });

  key
    .command('remove <id>')
    .description('remove a key file (never the last one)')
    .action(async (id: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const name = await removeKey(await openRepo(options), id);
      if (options.json === true) printJson({ removed: name });
      else process.stdout.write(`removed key ${name.slice(0, 8)}\n`);
    });

  key
    .command('passwd')
    .description('change the password of the key in use (a new key file replaces it)')
    .option(newPasswordFlag, newPasswordHelp)
    .action(async (flags: { newPasswordFile?: string }, command: Command) => {
      const options = globals(command);
      const repo = await openRepo(options);
      const name = await changePassword(repo, await newPassword(flags.newPasswordFile, repoLocation(options).path));
      if (options.json === true) printJson({ key: name, replaced: repo.key?.keyName });
      else process.stdout.write(`changed the password: key ${name.slice(0, 8)} replaces ${repo.key?.keyName.slice(0, 8) ?? ''}\n`);
    });
}
