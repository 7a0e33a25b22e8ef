import { CairnError, importModule } from '@cairn/core';

/** The part of Emscripten's FS the simulator uses. */
export interface EmscriptenFs {
  mkdir(path: string): void;
  writeFile(path: string, data: Uint8Array): void;
  readFile(path: string): Uint8Array;
  readdir(path: string): string[];
  stat(path: string): { mode: number; mtime: Date | number };
  utime(path: string, atime: number, mtime: number): void;
  unlink(path: string): void;
  isDir(mode: number): boolean;
  isFile(mode: number): boolean;
  write: (stream: { path?: string }, buffer: Uint8Array, offset: number, length: number, position?: number, canOwn?: boolean) => number;
  ErrnoError: new (errno: number) => Error;
}

interface MicroPythonModule {
  loadMicroPython(options: Record<string, unknown>): Promise<{
    FS: EmscriptenFs;
    _module?: { _mp_js_repl_process_char?: (char: number) => number };
    replInit(): void;
    replProcessChar(char: number): number;
  }>;
}

/** The MicroPython WebAssembly package; imported only when a simulated board is made. */
const PACKAGE = '@micropython/micropython-webassembly-pyscript';
/** Where the board's flash lives in Emscripten's FS; VfsPosix on it is mounted at the board's "/". */
export const FLASH = '/flash';
/** Emscripten's (WASI) ENOSPC, the errno MicroPython's VfsPosix raises on this port. */
const WASI_ENOSPC = 51;

/** One MicroPython interpreter, driven a byte at a time through its event-driven REPL. */
export interface Interpreter {
  readonly fs: EmscriptenFs;
  /** Feeds one byte to the REPL; 256 (PYEXEC_FORCED_EXIT) means the board asked for a soft reset. */
  feed(byte: number): number;
}

/**
 * Loads a fresh MicroPython whose output goes to `onOutput` byte by byte, with the flash
 * folder made, and `canWrite(bytes)` asked before every write into the flash (false: ENOSPC).
 * The REPL is initialised (its banner goes to `onOutput`) and left in the friendly REPL.
 */
export async function loadInterpreter(onOutput: (byte: number) => void, canWrite: (bytes: number) => boolean): Promise<Interpreter> {
  let mod: MicroPythonModule;
  try {
    mod = await importModule<MicroPythonModule>(PACKAGE, () => import(PACKAGE));
  } catch (error) {
    throw new CairnError('ERR_UNSUPPORTED', `the simulated board needs ${PACKAGE}, which could not be loaded`, { cause: error });
  }
  const stdout = (bytes: Uint8Array): void => {
    for (const byte of bytes) onOutput(byte);
  };
  const mp = await mod.loadMicroPython({ linebuffer: false, stdout, stderr: stdout });
  const fs = mp.FS;
  fs.mkdir(FLASH);
  const write = fs.write.bind(fs);
  fs.write = (stream, buffer, offset, length, position, canOwn) => {
    if (stream.path?.startsWith(`${FLASH}/`) === true && !canWrite(length)) throw new fs.ErrnoError(WASI_ENOSPC);
    return write(stream, buffer, offset, length, position, canOwn);
  };
  // The exported function rather than ccall: a byte costs well under a microsecond instead of about 9.
  const feed = mp._module?._mp_js_repl_process_char ?? ((char: number) => mp.replProcessChar(char));
  mp.replInit();
  return { fs, feed: (byte) => feed(byte) };
}

/** Runs `code` in the raw REPL (entering it); `collect` returns the output since the last call; throws unless the code ran cleanly. */
export function bootScript(interpreter: Interpreter, code: string, collect: () => string): void {
  collect();
  for (const byte of Buffer.from(`\r\x01${code}\x04`, 'utf8')) interpreter.feed(byte);
  const output = collect();
  if (!output.endsWith('OK\x04\x04>')) throw new CairnError('ERR_IO', `the simulated board did not boot: ${JSON.stringify(output.slice(-300))}`);
}

/** Copies a folder tree of one Emscripten FS into another (the flash across a soft reset), with mtimes. */
export function copyTree(from: EmscriptenFs, to: EmscriptenFs, path: string): void {
  for (const name of from.readdir(path)) {
    if (name === '.' || name === '..') continue;
    const child = `${path}/${name}`;
    const stat = from.stat(child);
    if (from.isDir(stat.mode)) {
      to.mkdir(child);
      copyTree(from, to, child);
    } else if (from.isFile(stat.mode)) {
      to.writeFile(child, from.readFile(child));
    } else {
      continue;
    }
    const mtime = stat.mtime instanceof Date ? stat.mtime.getTime() : stat.mtime;
    to.utime(child, mtime, mtime);
  }
}
