/** The form of a source path that node:fs calls take (every local fs call goes through here). */
export function fsPath(path: string): string {
  return path;
}
