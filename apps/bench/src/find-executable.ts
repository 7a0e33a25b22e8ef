import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** The absolute path of executable `name` on `path` (default: $PATH), or undefined. */
export function findExecutable(name: string, path = process.env['PATH'] ?? ''): string | undefined {
  const candidates = isAbsolute(name) ? [name] : path.split(delimiter).filter((dir) => dir !== '').map((dir) => join(dir, name));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}
