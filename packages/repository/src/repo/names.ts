import { toHex } from '@cairn/core';
import type { Id } from '@cairn/core';

/** The repository-relative file name of a pack, for messages: data/ab/ab12…. */
export function packFileName(packId: Id | string): string {
  const hex = typeof packId === 'string' ? packId : toHex(packId);
  return `data/${hex.slice(0, 2)}/${hex}`;
}

/** Joins snapshot path components for messages and matching ("proj/src/a.ts"). */
export function snapshotPath(parts: readonly string[]): string {
  return parts.join('/');
}

/** `message` as a sentence naming `where`: as it is when it already does, else prefixed with it. */
export function naming(where: string, message: string): string {
  return message.includes(where) ? message : `${where}: ${message}`;
}
