import { describe, expect, it } from 'vitest';
import { isCairnError } from '@cairn/core';
import { parseBackendUrl } from '@cairn/remote';

describe('parseBackendUrl', () => {
  it('reads a plain path, and local:, as a local folder', () => {
    expect(parseBackendUrl('/srv/repo')).toEqual({ kind: 'local', path: '/srv/repo' });
    expect(parseBackendUrl('rel/repo')).toEqual({ kind: 'local', path: 'rel/repo' });
    expect(parseBackendUrl('local:/srv/x:y')).toEqual({ kind: 'local', path: '/srv/x:y' });
    expect(parseBackendUrl('notascheme:/x')).toEqual({ kind: 'local', path: 'notascheme:/x' });
  });

  it('names the remote kind by its scheme and keeps the rest', () => {
    expect(parseBackendUrl('sftp:ana@host:/srv/repo')).toEqual({ kind: 'sftp', spec: 'ana@host:/srv/repo' });
    expect(parseBackendUrl('s3:127.0.0.1:9000/bucket/prefix')).toEqual({ kind: 's3', spec: '127.0.0.1:9000/bucket/prefix' });
    expect(parseBackendUrl('rclone:remote:path')).toEqual({ kind: 'rclone', spec: 'remote:path' });
    expect(parseBackendUrl('rest:http://127.0.0.1:8000/')).toEqual({ kind: 'rest', spec: 'http://127.0.0.1:8000/' });
  });

  it('refuses a scheme with nothing after it, naming the location', () => {
    let error: unknown;
    try {
      parseBackendUrl('sftp:');
    } catch (e) {
      error = e;
    }
    expect(isCairnError(error, 'ERR_USAGE')).toBe(true);
    expect((error as Error).message).toContain('"sftp:"');
  });
});
