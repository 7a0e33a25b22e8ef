import type { Command } from 'commander';
import { compressionSetting, COMPRESSION_MODES, initRepository, parseCompressionMode } from '@cairn/repository';
import { describeMaxSize, parseMaxSize, updateConfig } from '@cairn/repository/maintenance';
import { CONFIG_LIMITS } from '@cairn/index';
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
    .option('--max-size <size>', 'keep the repository under this size: 500M, 2G, bytes, or N% of its filesystem (change it with `cairn config max-size`)')
    .action(async (flags: { compression: string; compressionLevel?: string; maxSize?: string }, command: Command) => {
      const options = globals(command);
      const setting = compressionSetting(parseFlag('--compression', flags.compression, parseCompressionMode));
      const { min, max } = CONFIG_LIMITS.compressionLevel;
      const level = flags.compressionLevel === undefined
        ? setting.level
        : parseNumber('--compression-level', flags.compressionLevel, { min, max, what: `a zstd level from ${min} to ${max}` });
      const maxSize = flags.maxSize === undefined ? undefined : parseFlag('--max-size', flags.maxSize, parseMaxSize);
      const { path } = repoLocation(options);
      const repo = await initRepository(openBackend(path), { compression: setting.codec, compressionLevel: level });
      const config = maxSize === undefined ? repo.config : await updateConfig(repo, { maxSize });
      if (options.json === true) printJson({ location: path, config });
      else {
        process.stdout.write(`created repository ${shortId(config.id)} at ${path}\n`);
        if (config.maxSize !== undefined) process.stdout.write(`size limit: ${describeMaxSize(config.maxSize)}\n`);
      }
    });
}
