/**
 * ISO 8601 of a time in nanoseconds since 1970, all nine fraction digits kept:
 * 1704164645123456789n -> "2024-01-02T03:04:05.123456789Z".
 */
export function nsToIso(ns: bigint): string {
  if (typeof ns !== 'bigint') throw new TypeError(`a time in nanoseconds must be a bigint, not ${typeof ns}`);
  let seconds = ns / 1_000_000_000n;
  let fraction = ns % 1_000_000_000n;
  if (fraction < 0n) {
    seconds -= 1n;
    fraction += 1_000_000_000n;
  }
  const ms = Number(seconds) * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) throw new RangeError(`time ${ns} ns is outside the range of a date`);
  const whole = new Date(ms).toISOString(); // "…T03:04:05.000Z"
  return `${whole.slice(0, -5)}.${fraction.toString().padStart(9, '0')}Z`;
}
