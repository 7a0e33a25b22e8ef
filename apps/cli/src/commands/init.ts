import type { Command } from 'commander';
import { compressionSetting, COMPRESSION_MODES, initRepository, parseCompressionMode } from '@cairn/repository';
import { createLocalBackend } from '@cairn/transport';
import { globals, printJson, repoLocation } from '../context.js';

/** `cairn init` */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create a new, empty repository')
    .option('--compression <mode>', `compression of new data: ${COMPRESSION_MODES.join(', ')}`, 'auto')
    .option('--compression-level <n>', 'zstd level for new blobs (1-19; overrides the level of --compression)')
    .action(async (flags: { compression: string; compressionLevel?: string }, command: Command) => {
      const options = globals(command);
      const setting = compressionSetting(parseCompressionMode(flags.compression));
      const level = flags.compressionLevel === undefined ? setting.level : Number(flags.compressionLevel);
      if (!Number.isInteger(level) || level < 1 || level > 19) throw new RangeError(`--compression-level wants 1 to 19, got ${flags.compressionLevel}`);
      const { path } = repoLocation(options);
      const repo = await initRepository(createLocalBackend(path), { compression: setting.codec, compressionLevel: level });
      if (options.json === true) printJson({ location: path, config: repo.config });
      else process.stdout.write(`created repository ${repo.config.id.slice(0, 12)} at ${path}\n`);
    });
}
