/** The systemd user unit `cairn daemon install` writes. */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** The unit's file name. */
export const UNIT_NAME = 'cairn-daemon.service';

/** Where systemd looks for the user's units: $XDG_CONFIG_HOME/systemd/user (~/.config/systemd/user). */
export function userUnitDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_CONFIG_HOME'] !== undefined && isAbsolute(env['XDG_CONFIG_HOME']) ? env['XDG_CONFIG_HOME'] : join(homedir(), '.config');
  return join(base, 'systemd', 'user');
}

/** Quotes a word for a systemd ExecStart= line. */
function quote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The unit text: runs `cairn daemon` with the given arguments, restarted when it fails. */
export function unitText(command: readonly string[], env: Readonly<Record<string, string>>): string {
  return [
    '[Unit]',
    'Description=cairn backups: scheduled and activity-triggered plans',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${command.map(quote).join(' ')}`,
    ...Object.entries(env).map(([key, value]) => `Environment=${quote(`${key}=${value}`)}`),
    'Restart=on-failure',
    'RestartSec=30',
    'Nice=10',
    'IOSchedulingClass=idle',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}
