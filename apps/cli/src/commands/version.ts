import { arch, platform } from 'node:process';
import type { Command } from 'commander';
import { VERSION } from '@cairn/repository';
import { globals, printJson } from '../context.js';

/** `cairn version`: cairn's version, the Node.js it runs on and the platform (--json: the same as an object). */
export function registerVersion(program: Command): void {
  program
    .command('version')
    .description('show the version of cairn, of Node.js and the platform')
    .action((_flags: object, command: Command) => {
      const info = { version: VERSION, node: process.version, platform, arch };
      if (globals(command).json === true) printJson(info);
      else process.stdout.write(`cairn ${info.version} (node ${info.node}, ${info.platform}/${info.arch})\n`);
    });
}
