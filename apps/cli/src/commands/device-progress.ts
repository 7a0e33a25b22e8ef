import { formatBytes } from '../format.js';

/** Files and bytes done out of a known total, with throughput and a time left, for a status line. */
export class TransferProgress {
  private files = 0;
  private bytes = 0;
  private readonly started = Date.now();

  constructor(
    private readonly totalFiles: number,
    private readonly totalBytes: number,
  ) {}

  /** Counts a file as done, with the bytes it accounts for (read, written, or found unchanged). */
  fileDone(bytes = 0): void {
    this.files += 1;
    this.bytes += bytes;
  }

  /** Counts bytes of a file in progress. */
  addBytes(bytes: number): void {
    this.bytes += bytes;
  }

  /** The payload of a status line: files, bytes, rate and the time left (cli-progress has its own {eta}). */
  payload(): Record<string, string> {
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? this.bytes / seconds : 0;
    const left = Math.max(0, this.totalBytes - this.bytes);
    return {
      files: `${this.files}/${this.totalFiles}`,
      bytes: `${formatBytes(this.bytes)}/${formatBytes(this.totalBytes)}`,
      rate: `${formatBytes(Math.round(rate))}/s`,
      left: rate > 0 && seconds > 0.5 ? formatDuration(left / rate) : '--:--',
    };
  }
}

/** m:ss (or h:mm:ss) of a number of seconds. */
export function formatDuration(seconds: number): string {
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** The status line format of device transfers. */
export const TRANSFER_FORMAT = '{files} files, {bytes}, {rate}, ETA {left}  {path}';
