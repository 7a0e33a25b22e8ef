import type { Command } from 'commander';
import { CIPHER_NAMES, compressionSetting, COMPRESSION_MODES, initRepository, parseCompressionMode } from '@cairn/repository';
import type { CipherName } from '@cairn/repository';
import { describeMaxSize, parseMaxSize, updateConfig } from '@cairn/repository/maintenance';
import { CONFIG_LIMITS } from '@cairn/index';
import { parseBackendUrl } from '@cairn/remote';
import { passwordGiven, readPassword } from '../password.js';
import { usageError } from '../usage.js';
import { openBackend } from '../backend.js';
import { globals, printJson, repoLocation } from '../context.js';
import { parseFlag, parseNumber } from '../usage.js';
import { shortId } from '../format.js';

/** `cairn init` */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create a new, empty repository')
    .option('--compression <mode>', `compression of new data: ${COMPRESSION_MODES.join(', ')}`, 'auto')
    .option('--compression-level <n>', 'zstd level for new blobs (1-19; overrides the level of --compression)')
    .option('--encryption <cipher>', `encrypt the repository: ${CIPHER_NAMES.join(', ')} or none (default: aes-256-gcm when a password is given, else none)`)
    .option('--no-delta', 'backups store changed chunks whole, never as deltas (default: they may store them as deltas, format version 2 or more)')
    .option('--no-group', 'backups store each small file in a frame of its own, never in a group of small files sharing one (default: they group them, format version 3); with --no-delta too, the repository is format version 1, readable by every cairn')
    .option('--max-size <size>', 'keep the repository under this size: 500M, 2G, bytes, or N% of its filesystem (change it with `cairn config max-size`)')
    .action(async (flags: { compression: string; compressionLevel?: string; maxSize?: string; encryption?: string; delta: boolean; group: boolean }, command: Command) => {
      const options = globals(command);
      const setting = compressionSetting(parseFlag('--compression', flags.compression, parseCompressionMode));
      const { min, max } = CONFIG_LIMITS.compressionLevel;
      const level = flags.compressionLevel === undefined
        ? setting.level
        : parseNumber('--compression-level', flags.compressionLevel, { min, max, what: `a zstd level from ${min} to ${max}` });
      const maxSize = flags.maxSize === undefined ? undefined : parseFlag('--max-size', flags.maxSize, parseMaxSize);
      const { path } = repoLocation(options);
      if (flags.encryption !== undefined && flags.encryption !== 'none' && !CIPHER_NAMES.includes(flags.encryption as CipherName)) {
        throw usageError(`--encryption: ${JSON.stringify(flags.encryption)} is not a cipher (choose ${CIPHER_NAMES.join(', ')} or none)`);
      }
      const given = passwordGiven(options.passwordFile);
      if (flags.encryption === 'none' && given) {
        throw usageError('--encryption none with a password: a password encrypts the repository (leave out --encryption, or the password)');
      }
      const remote = parseBackendUrl(path).kind !== 'local';
      if (flags.encryption === 'none' && remote) {
        throw usageError(`--encryption none: a repository off this machine (${path}) is always encrypted; leave out --encryption and give a password`);
      }
      // A repository is encrypted whenever a password is given or it is remote, or an encryption is asked for (the password is then prompted for).
      const encryption = (flags.encryption ?? (given || remote ? 'aes-256-gcm' : 'none')) as CipherName | 'none';
      const password = encryption === 'none'
        ? undefined
        : await readPassword({ file: options.passwordFile, env: { password: 'CAIRN_PASSWORD', command: 'CAIRN_PASSWORD_COMMAND' }, prompt: `a new password for the repository at ${path}`, missing: `an encrypted repository needs a password, and none was given for ${path}`, confirm: true });
      const repo = await initRepository(openBackend(path), {
        compression: setting.codec,
        compressionLevel: level,
        encryption,
        deltas: flags.delta,
        groups: flags.group,
        ...(password === undefined ? {} : { password }),
      });
      const config = maxSize === undefined ? repo.config : await updateConfig(repo, { maxSize });
      if (options.json === true) printJson({ location: path, config });
      else {
        process.stdout.write(`created repository ${shortId(config.id)} at ${path}\n`);
        process.stdout.write(config.encryption === 'none'
          ? 'not encrypted (`cairn init --encryption aes-256-gcm` creates an encrypted repository)\n'
          : `encrypted with ${config.encryption}: keep the password safe, without it nothing can be restored\n`);
        if (config.maxSize !== undefined) process.stdout.write(`size limit: ${describeMaxSize(config.maxSize)}\n`);
      }
    });
}
