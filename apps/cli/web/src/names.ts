/**
 * Entry names in addresses. cairn keeps a name that is not UTF-8 with each of its raw bytes as a
 * lone surrogate U+DC80–U+DCFF (the API's JSON carries them as such); encodeURIComponent throws
 * on those and URLSearchParams turns them into U+FFFD. Here such a byte is written as its own %XX,
 * everything else as encodeURIComponent writes it, and read back the same way: the server reads
 * a query the same way (Query in src/ui/http.ts).
 */
import { nameFromQueryText } from '../../../../packages/core/src/names.js';

/** `text` for a query string or an address: UTF-8 %-escapes, a raw byte (U+DC80–U+DCFF) as its own %XX. */
export function encodeName(text: string): string {
  let out = '';
  let run = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0xdc80 && code <= 0xdcff) {
      out += encodeURIComponent(run) + `%${(code - 0xdc00).toString(16).toUpperCase()}`;
      run = '';
    } else if (code >= 0xd800 && code <= 0xdfff) {
      run += '\uFFFD'; // a lone surrogate that stands for no byte
    } else {
      run += char;
    }
  }
  return out + encodeURIComponent(run);
}

/** The inverse of encodeName: %XX escapes as bytes, "+" as a space, the bytes as UTF-8 with each stray byte as U+DC80–U+DCFF. */
export const decodeName: (text: string) => string = nameFromQueryText;

/** Parameters of a query string (`a=1&b=x`), read with decodeName. */
export class NameParams {
  private readonly values = new Map<string, string>();

  constructor(search: string) {
    for (const part of search.split('&')) {
      if (part === '') continue;
      const at = part.indexOf('=');
      const key = decodeName(at < 0 ? part : part.slice(0, at));
      if (!this.values.has(key)) this.values.set(key, at < 0 ? '' : decodeName(part.slice(at + 1)));
    }
  }

  /** The value of `name`, or null. */
  get(name: string): string | null {
    return this.values.get(name) ?? null;
  }
}

/** The query string (`?a=1&b=x`, or '' when empty) of `params`, leaving out undefined values (and, with `dropEmpty`, empty ones). */
export function queryString(params: Record<string, string | number | boolean | undefined>, dropEmpty = false): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || (dropEmpty && value === '')) continue;
    parts.push(`${encodeName(key)}=${encodeName(String(value))}`);
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}
