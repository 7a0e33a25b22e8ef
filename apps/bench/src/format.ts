/** A ratio as text: two decimals ("2.75"), "–" when there is none. */
export function formatRatio(value: number | undefined): string {
  return value === undefined ? '–' : value.toFixed(2);
}

/** Seconds as text: "0.84 s", "12.3 s"; "–" when there is none. */
export function formatSeconds(value: number | undefined): string {
  if (value === undefined) return '–';
  return `${value.toFixed(value < 10 ? 2 : 1)} s`;
}

/** Bytes as decimal megabytes: "258.0 MB"; "–" when there is none. */
export function formatMegabytes(value: number | undefined): string {
  return value === undefined ? '–' : `${(value / 1e6).toFixed(1)} MB`;
}

/** A peak RSS in bytes as whole megabytes: "292 MB"; "–" when there is none. */
export function formatRss(value: number | undefined): string {
  return value === undefined ? '–' : `${Math.round(value / 1e6)} MB`;
}

/** A markdown table; cells are padded so it also reads well as plain text. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${widths.map((w, i) => (cells[i] ?? '').padEnd(w)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
