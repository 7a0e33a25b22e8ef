import { describe, expect, it } from 'vitest';
import { boardError, parseTraceback } from '../src/repl/board-errors.js';
import { parseProbe } from '../src/board/board-helper.js';
import { parseListing, parseStatFields } from '../src/board/board-stat.js';

describe('what boards report, read on the host', () => {
  it('moves times of a board counting from 2000 to 1970, and tells a set clock from an unset one', () => {
    const esp32 = parseProbe('esp32 2000 800000000 1 1 0 1 1 a4cf12345678', 'COM3');
    expect(esp32).toMatchObject({ platform: 'esp32', epochYear: 2000, epochOffset: 946_684_800, clock: 1_746_684_800, clockSet: true, uniqueId: 'a4cf12345678' });
    const fresh = parseProbe('esp32 2000 5 1 1 0 1 1 -', 'COM3'); // 5 s after boot, never set
    expect(fresh.clockSet).toBe(false);
    const rp2 = parseProbe('rp2 0 1609459300 1 0 0 1 1 -', '/dev/ttyACM0'); // no time.gmtime: rp2 counts from 1970
    expect(rp2).toMatchObject({ epochYear: 1970, clockSet: false, hasHashlib: false, uniqueId: undefined });
    expect(() => parseProbe('garbage', 'COM3')).toThrow(/the board at COM3 answered the cairn helper with "garbage"/);

    const stat = parseStatFields(['32768', '12', '1', '=', '0'], esp32.epochOffset, '/x');
    expect(stat).toMatchObject({ type: 'file', mode: 0o644, size: 12, mtimeNs: 946_684_801_000_000_000n, ctimeNs: 946_684_801_000_000_000n, ino: 0n });
    expect(parseStatFields(['16384', '0', '0', '0', '0'], 0, '/d')).toMatchObject({ type: 'dir', mode: 0o755, mtimeNs: 0n });
  });

  it('reads OSErrors by the numbering of the port that raised them', () => {
    expect(parseTraceback('Traceback (most recent call last):\r\n  File "<stdin>", line 1\r\nOSError: [Errno 28] ENOSPC\r\n', 'esp32')).toMatchObject({ errno: 28, errnoName: 'ENOSPC' });
    expect(parseTraceback('OSError: 28\r\n', 'rp2')).toMatchObject({ errnoName: 'ENOSPC' });
    expect(parseTraceback('OSError: 51\r\n', 'webassembly')).toMatchObject({ errnoName: 'ENOSPC' });
    expect(parseTraceback('OSError: 44\r\n', 'webassembly')).toMatchObject({ errnoName: 'ENOENT' });
    expect(boardError('COM3', 'esp32', 'OSError: [Errno 2] ENOENT', 'reading /x')).toMatchObject({ code: 'ERR_NOT_FOUND', message: 'the board at COM3: reading /x: no such file or folder (ENOENT)' });
    expect(boardError('COM3', 'esp32', 'OSError: 30', 'writing /x').code).toBe('ERR_PERMISSION');
    expect(boardError('COM3', 'esp32', 'MemoryError: memory allocation failed', 'reading /x').hint).toContain('--chunk-size');
    expect(boardError('COM3', 'esp32', 'ValueError: cairn-verify: its sha256 differs from the data sent', 'writing /x').code).toBe('ERR_INTEGRITY');
  });

  it('reads listings with digests, errors and names holding line breaks', () => {
    const digest = Buffer.alloc(32, 7);
    const folders = parseListing([
      '>=/',
      `33206 3 10 = 5 ${digest.toString('base64')} =a b.py`,
      '16895 0 10 11 6 - =lib',
      `- 13 0 0 0 - %${Buffer.from('x\ny').toString('hex')}`,
      '>=/lib',
    ], 0, true);
    const root = folders.get('/') ?? [];
    expect(root.map((entry) => entry.name)).toEqual(['a b.py', 'lib', 'x\ny']);
    expect(root[0]?.digest).toEqual(digest);
    expect(root[1]?.stat?.type).toBe('dir');
    expect(root[2]?.errno).toBe(13);
    expect(folders.get('/lib')).toEqual([]);
  });
});
