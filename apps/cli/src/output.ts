/**
 * What every command prints for `--json`: JSON Lines, one compact object a line, each with a
 * `type` (docs/JSON.md). On stdout: `status` (progress of long work), `warning`, one line per
 * listed item (`snapshot`, `entry`, …), and `summary` last. On stderr: `error`. Without `--json`
 * warnings go to stderr as `warning: …` lines.
 */

let jsonMode = false;
/** While a progress line is on the terminal: writes text above it (see progress.ts). */
let aboveProgress: ((text: string) => void) | undefined;

/** Switches JSON Lines on or off (main sets it from `--json` before a command runs). */
export function setJsonOutput(on: boolean): void {
  jsonMode = on;
}

/** Routes the warnings and errors meant for the terminal above a progress line while it is shown (undefined: straight to stderr). */
export function setTerminalLog(log: ((text: string) => void) | undefined): void {
  aboveProgress = log;
}

/** Writes a line for the person at the terminal on stderr, above the progress line when one is shown. */
function toTerminal(line: string): void {
  if (aboveProgress === undefined) process.stderr.write(line);
  else aboveProgress(line);
}

/** True when the command was given `--json`. */
export function jsonOutput(): boolean {
  return jsonMode;
}

/** One compact JSON line; bigints (snapshot times in nanoseconds) become strings. */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`;
}

/** Writes one message `{"type": type, …fields}` on stdout. */
export function emit(type: string, fields: object): void {
  process.stdout.write(jsonLine({ type, ...fields }));
}

/**
 * The `summary` line of a command: the fields of `result` beside `"type":"summary"`. An array is
 * a listing: one line per element, `{"type": kind, [kind]: element}`, then `{"type":"summary","count":n}`.
 */
export function emitSummary(result: unknown, kind = 'item'): void {
  if (Array.isArray(result)) {
    for (const item of result) emitItem(kind, item);
    emit('summary', { count: result.length });
    return;
  }
  if (typeof result !== 'object' || result === null) throw new TypeError(`a summary is an object or an array, not ${JSON.stringify(result)}`);
  if ('type' in result) throw new TypeError('a summary has no field "type" of its own (it would hide the message type)');
  emit('summary', result);
}

/** One listed item: `{"type": kind, [kind]: item}` (nested: listed objects may have a `type` of their own). */
export function emitItem(kind: string, item: unknown): void {
  emit(kind, { [kind]: item });
}

/**
 * A warning as it happens: with `--json` a `warning` line on stdout (`message` and `fields`, e.g.
 * kind and path), else `warning: message` on stderr.
 */
export function warn(message: string, fields: object = {}): void {
  if (jsonMode) emit('warning', { ...fields, message });
  else toTerminal(`warning: ${message}\n`);
}

/**
 * An error of one entry as it happens (the command goes on): with `--json` an `error` line on
 * stderr (`{"type":"error","error":{"message"},…fields}`), else `error: message` on stderr.
 */
export function entryError(message: string, fields: object = {}): void {
  if (jsonMode) process.stderr.write(jsonLine({ type: 'error', error: { message }, ...fields }));
  else toTerminal(`error: ${message}\n`);
}

/** The error that ended a command, as the `error` line on stderr that `--json` promises. */
export function fatalErrorLine(error: { code: string; message: string; hint: string | undefined }): string {
  return jsonLine({ type: 'error', error });
}
