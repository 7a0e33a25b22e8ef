import { readlinkSync } from 'node:fs';

/** This process's folder in /proc, as that /proc names it ("/proc/1234"); read once. */
let ownFolder: string | undefined;

/**
 * The path through which the kernel reaches what the descriptor `fd` of this process holds:
 * /proc/<pid>/fd/<fd>, with the pid that /proc itself gives for /proc/self (the process's pid in
 * the namespace of that /proc, which process.pid need not be). The same folder as
 * /proc/self/fd/<fd>, but each lookup through it skips following the /proc/self link: a no-op
 * backup looks up every entry of the source this way (a twelfth of its lstat time). /proc/self
 * when /proc/self cannot be read as a link.
 */
export function procFdPath(fd: number): string {
  ownFolder ??= ownProcFolder();
  return `${ownFolder}/fd/${fd}`;
}

function ownProcFolder(): string {
  try {
    const pid = readlinkSync('/proc/self');
    if (/^[1-9][0-9]*$/.test(pid)) return `/proc/${pid}`;
  } catch {
    // No /proc, or not a link: the caller's /proc/self path fails or works as it always did.
  }
  return '/proc/self';
}
