import { spawnSync } from 'node:child_process';
import { cpus, release, totalmem, type } from 'node:os';
import type { ToolDriver, ToolName } from './tools.js';

/** The machine and tool versions a result was measured with. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly ramBytes: number;
  readonly kernel: string;
  readonly node: string;
  readonly tools: Partial<Record<ToolName, string>>;
}

/** Reads the CPU model, cores, RAM, kernel and Node.js version, and asks each driver's tool for its version. */
export function machineInfo(drivers: readonly ToolDriver[]): MachineInfo {
  const tools: Partial<Record<ToolName, string>> = {};
  for (const driver of drivers) {
    const command = driver.version();
    const result = spawnSync(command.file, command.args, { env: command.env, encoding: 'utf8' });
    const line = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n')[0] ?? '';
    tools[driver.name] = /(\d+\.\d+[\w.+-]*)/.exec(line)?.[1] ?? (line === '' ? 'unknown' : line);
  }
  const list = cpus();
  return { cpu: list[0]?.model.trim() ?? 'unknown', cores: list.length, ramBytes: totalmem(), kernel: `${type()} ${release()}`, node: process.version, tools };
}

/** One line: "machine: AMD EPYC, 2 cores, 23.4 GiB RAM, Linux 6.1.0; node v20.20.2; cairn 0.1.0, restic 0.14.0". */
export function formatMachine(info: MachineInfo): string {
  const tools = Object.entries(info.tools).map(([name, version]) => `${name} ${version}`).join(', ');
  return `machine: ${info.cpu}, ${info.cores} cores, ${(info.ramBytes / 2 ** 30).toFixed(1)} GiB RAM, ${info.kernel}; node ${info.node}${tools === '' ? '' : `; ${tools}`}`;
}
