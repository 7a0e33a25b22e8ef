import { describe, expect, it } from 'vitest';
import { createPackBuilder, decodeBlob, decodeGroup, decodePack, encodeGroupInto } from '@cairn/pack';
import { loadNativeZstd } from '../src/zstd-native.js';
import { loadWasmZstd } from '../src/zstd-wasm.js';
import { expectCairnError, pseudoRandomBytes, sameBytes } from './helpers.js';

const id = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const text = (n: number, bytes: number): Uint8Array => new TextEncoder().encode(`#define LINE_${n} "${'some source text '.repeat(bytes / 17)}"\n`.slice(0, bytes));

describe('groups of small blobs (one zstd frame, an entry per member)', () => {
  it('a pack holds a group once; its members share the frame\'s range, and each is cut from the group\'s plaintext (native and WASM codecs)', async () => {
    for (const zstd of [await loadNativeZstd(), await loadWasmZstd()]) {
      const members = [text(1, 900), text(2, 3000), text(3, 40)];
      const raw = new Uint8Array(members.reduce((sum, m) => sum + m.length, 0));
      let at = 0;
      const places = members.map((m, i) => {
        raw.set(m, at);
        at += m.length;
        return { id: id(i + 1), at: at - m.length, rawLength: m.length };
      });
      const destination = new Uint8Array(raw.length + 1024);
      const frame = encodeGroupInto(raw, zstd, 3, destination);
      expect(frame).toBeGreaterThan(0);
      expect(frame).toBeLessThan(raw.length / 4);
      const builder = createPackBuilder();
      builder.add(id(9), 'data', { codec: 'none', data: new Uint8Array([1, 2, 3]), rawLength: 3 });
      builder.addGroup(destination.subarray(0, frame), raw.length, places);
      const pack = builder.finish();
      const bytes = new Uint8Array(pack.size);
      let o = 0;
      for (const part of pack.parts) {
        bytes.set(part, o);
        o += part.length;
      }
      const blobs = decodePack(bytes, 'pack g');
      expect(blobs).toHaveLength(4);
      for (const [i, blob] of blobs.slice(1).entries()) {
        expect(blob).toMatchObject({ codec: 'group', offset: 3, length: frame, rawLength: members[i]!.length, groupAt: places[i]!.at, groupRaw: raw.length });
        const group = decodeGroup(bytes.subarray(blob.offset, blob.offset + blob.length), blob.groupRaw!, zstd, 'group');
        expect(sameBytes(group.subarray(blob.groupAt!, blob.groupAt! + blob.rawLength), members[i]!)).toBe(true);
      }
      // A member is never decoded alone.
      expectCairnError(() => decodeBlob(bytes.subarray(3, 3 + frame), 'group', 900, zstd, 'blob m'), 'ERR_INTEGRITY', /blob m: a group member is read through its group/);
      // A damaged frame fails the whole group.
      const damaged = new Uint8Array(bytes.subarray(3, 3 + frame));
      damaged[Math.floor(frame / 2)]! ^= 0xff;
      let decoded: Uint8Array | undefined;
      try {
        decoded = decodeGroup(damaged, raw.length, zstd, 'group x');
      } catch {
        decoded = undefined; // a frame that no longer decodes (the native codec checks its checksum)
      }
      expect(decoded === undefined || !sameBytes(decoded, raw)).toBe(true); // else the members' ids refuse it
    }
  });

  it('keeps no group frame that does not compress (the members are then stored one by one), and refuses members outside their group', async () => {
    const zstd = await loadNativeZstd();
    const raw = pseudoRandomBytes(20_000, 8);
    expect(encodeGroupInto(raw, zstd, 3, new Uint8Array(30_000))).toBe(-1);
    const builder = createPackBuilder();
    expect(() => builder.addGroup(new Uint8Array(10), 100, [{ id: id(1), at: 90, rawLength: 20 }])).toThrow(RangeError);
    expect(() => builder.addGroup(new Uint8Array(10), 100, [])).toThrow(RangeError);
    expect(() => builder.add(id(2), 'data', { codec: 'group', data: new Uint8Array(3), rawLength: 3 })).toThrow(TypeError);
  });
});
