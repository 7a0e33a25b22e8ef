import type { Command } from 'commander';
import { describeMaxSize, describePolicy, parseMaxSize, policyFromConfig, updateConfig } from '@cairn/repository/maintenance';
import type { RetentionPolicy } from '@cairn/repository/maintenance';
import type { RepoConfig } from '@cairn/index';
import { globals, openRepo, printJson } from '../context.js';
import { addKeepOptions, policyFromFlags } from '../retention-flags.js';
import { parseFlag, usageError } from '../usage.js';
import type { KeepFlags } from '../retention-flags.js';

interface RetentionFlags extends KeepFlags {
  readonly none?: boolean;
}

/** `cairn config [max-size <size|none>] [retention --keep-… | --none]` */
export function registerConfig(program: Command): void {
  const config = program
    .command('config')
    .description('show or change the repository settings that may change: the size limit and the stored retention policy')
    .action(async (_flags: unknown, command: Command) => {
      const options = globals(command);
      const repo = await openRepo(options);
      show(repo.config, options.json === true);
    });

  config
    .command('max-size')
    .description('set the size limit backups keep the repository under (500M, 2G, bytes, N% of its filesystem), or "none"')
    .argument('<size>', 'a size such as 500M, 2G, 80%, or none')
    .action(async (text: string, _flags: unknown, command: Command) => {
      const options = globals(command);
      const maxSize = text === 'none' ? null : parseFlag('config max-size', text, parseMaxSize);
      const repo = await openRepo(options);
      show(await updateConfig(repo, { maxSize }), options.json === true);
    });

  addKeepOptions(config
    .command('retention')
    .description('store the retention policy that `cairn forget` (given no --keep-*) and the size limit apply'))
    .option('--none', 'remove the stored policy')
    .action(async (flags: RetentionFlags, command: Command) => {
      const options = globals(command);
      const policy = parseRetention(flags);
      const repo = await openRepo(options);
      show(await updateConfig(repo, { retention: policy }), options.json === true);
    });
}

function show(config: RepoConfig, json: boolean): void {
  if (json) {
    printJson({ maxSize: config.maxSize ?? null, retention: config.retention ?? null });
    return;
  }
  process.stdout.write(`max-size: ${config.maxSize === undefined ? 'none' : describeMaxSize(config.maxSize)}\n`);
  process.stdout.write(`retention: ${config.retention === undefined ? 'none' : describePolicy(policyFromConfig(config.retention))}\n`);
}

/** The policy the flags give; null for --none. ERR_USAGE for a bad count, no rule, or rules with --none. */
function parseRetention(flags: RetentionFlags): RetentionPolicy | null {
  const rules = Object.keys(policyFromFlags(flags)).length;
  if (flags.none === true) {
    if (rules > 0) throw usageError('give either --none or --keep-* rules, not both');
    return null;
  }
  if (rules === 0) throw usageError('cairn config retention needs --keep-* rules (or --none to remove the stored policy)');
  return policyFromFlags(flags);
}
