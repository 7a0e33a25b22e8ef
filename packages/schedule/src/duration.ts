const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds of a duration such as "30s", "10m", "2h", "1d" or "1h30m"; RangeError naming the text when it is not one. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const re = /(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|d|w)/gy;
  let total = 0;
  let at = 0;
  for (let match = re.exec(trimmed); match !== null; match = re.exec(trimmed)) {
    total += Number(match[1]) * (UNITS[match[2] ?? ''] ?? Number.NaN);
    at = re.lastIndex;
    while (trimmed[at] === ' ') at += 1;
    re.lastIndex = at;
  }
  if (trimmed === '' || at !== trimmed.length || !Number.isFinite(total) || total <= 0) {
    throw new RangeError(`${JSON.stringify(text)} is not a duration (examples: 30s, 10m, 2h, 1d, 1h30m)`);
  }
  return Math.round(total);
}
