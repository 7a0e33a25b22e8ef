#!/usr/bin/env python3
"""Restore a cairn snapshot using only docs/FORMAT.md: Python's standard library and the
`zstd` command, no cairn code. It proves the format document is enough to read a
repository, and tests run it against fixtures/golden-v1, fixtures/golden-delta (format
version 2: delta blobs, decompressed with `zstd -D <the base's plaintext>`) and
fixtures/golden-group (format version 3: small blobs grouped in one zstd frame).

    python3 docs/read_cairn.py REPO SNAPSHOT-ID OUT-DIR
"""
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile


def unpack(buf, pos=0):
    """Decodes one msgpack value at pos; returns (value, next position)."""
    b = buf[pos]
    pos += 1
    if b <= 0x7F:
        return b, pos
    if b >= 0xE0:
        return b - 0x100, pos
    if 0x80 <= b <= 0x8F:
        return unpack_map(buf, pos, b & 0x0F)
    if 0x90 <= b <= 0x9F:
        return unpack_array(buf, pos, b & 0x0F)
    if 0xA0 <= b <= 0xBF:
        n = b & 0x1F
        return buf[pos:pos + n].decode('utf-8'), pos + n
    fixed = {0xCC: '>B', 0xCD: '>H', 0xCE: '>I', 0xCF: '>Q', 0xD0: '>b', 0xD1: '>h', 0xD2: '>i', 0xD3: '>q', 0xCA: '>f', 0xCB: '>d'}
    if b in fixed:
        size = struct.calcsize(fixed[b])
        return struct.unpack_from(fixed[b], buf, pos)[0], pos + size
    if b == 0xC0:
        return None, pos
    if b in (0xC2, 0xC3):
        return b == 0xC3, pos
    lengths = {0xC4: '>B', 0xC5: '>H', 0xC6: '>I', 0xD9: '>B', 0xDA: '>H', 0xDB: '>I', 0xDC: '>H', 0xDD: '>I', 0xDE: '>H', 0xDF: '>I'}
    if b in lengths:
        size = struct.calcsize(lengths[b])
        n = struct.unpack_from(lengths[b], buf, pos)[0]
        pos += size
        if b in (0xC4, 0xC5, 0xC6):
            return bytes(buf[pos:pos + n]), pos + n
        if b in (0xD9, 0xDA, 0xDB):
            return buf[pos:pos + n].decode('utf-8'), pos + n
        if b in (0xDC, 0xDD):
            return unpack_array(buf, pos, n)
        return unpack_map(buf, pos, n)
    raise ValueError(f'msgpack type 0x{b:02x} is not used by cairn')


def unpack_array(buf, pos, n):
    out = []
    for _ in range(n):
        value, pos = unpack(buf, pos)
        out.append(value)
    return out, pos


def unpack_map(buf, pos, n):
    out = {}
    for _ in range(n):
        key, pos = unpack(buf, pos)
        out[key], pos = unpack(buf, pos)
    return out, pos


def read_msgpack_file(path, versions=(1,)):
    data = open(path, 'rb').read()
    if hashlib.sha256(data).hexdigest() != os.path.basename(path):
        raise ValueError(f'{path}: content does not hash to its name')
    value, end = unpack(data)
    if end != len(data) or value.get('v') not in versions:
        raise ValueError(f'{path}: not a file of version {versions}')
    return value


def main(repo, snapshot_id, out):
    config = json.load(open(os.path.join(repo, 'config')))
    assert config['version'] in (1, 2, 3) and config['encryption'] == 'none', config
    # Index: blob id -> (pack, offset, length, rawLength, codec, extra); a delta's entry has a 7th
    # field, its base; a group member's entry (codec 3) has two more, groupAt and groupRaw.
    where = {}
    for name in os.listdir(os.path.join(repo, 'index')):
        for pack in read_msgpack_file(os.path.join(repo, 'index', name), tuple(range(1, config['version'] + 1)))['packs']:
            for entry in pack['blobs']:
                _type, blob_id, offset, length, raw_length, codec = entry[:6]
                extra = entry[6] if codec == 2 else (entry[6], entry[7]) if codec == 3 else None
                where.setdefault(blob_id, (pack['id'].hex(), offset, length, raw_length, codec, extra))

    def blob(blob_id):
        pack, offset, length, raw_length, codec, extra = where[blob_id]
        with open(os.path.join(repo, 'data', pack[:2], pack), 'rb') as f:
            f.seek(offset)
            stored = f.read(length)
        if codec == 3:
            # A group member: the stored range is its group's one zstd frame; the member is
            # rawLength bytes at groupAt of the frame's groupRaw bytes of plaintext.
            group_at, group_raw = extra
            group = subprocess.run(['zstd', '-d', '-c', '-q'], input=stored, capture_output=True, check=True).stdout
            if len(group) != group_raw:
                raise ValueError(f'the group of blob {blob_id.hex()} in pack {pack} is damaged')
            plain = group[group_at:group_at + raw_length]
        elif codec == 2:
            base = extra
            # A delta: one zstd frame whose dictionary is the base's plaintext (raw content).
            with tempfile.NamedTemporaryFile() as dictionary:
                dictionary.write(blob(base))
                dictionary.flush()
                plain = subprocess.run(['zstd', '-d', '-c', '-q', '-D', dictionary.name], input=stored, capture_output=True, check=True).stdout
        else:
            plain = stored if codec == 0 else subprocess.run(['zstd', '-d', '-c', '-q'], input=stored, capture_output=True, check=True).stdout
        if len(plain) != raw_length or hashlib.sha256(plain).digest() != blob_id:
            raise ValueError(f'blob {blob_id.hex()} in pack {pack} is damaged')
        return plain

    def tree(tree_id):
        value, _ = unpack(blob(tree_id))
        assert value['v'] == 1
        return value['nodes']

    hardlinks = {}

    def restore(tree_id, folder):
        os.makedirs(folder, exist_ok=True)
        for node in tree(tree_id):
            name = node['name']
            assert name not in ('', '.', '..') and '/' not in name and '\0' not in name, name
            path = os.path.join(folder, name)
            kind = node['type']
            if kind == 'dir':
                restore(node['subtree'], path)
            elif kind == 'symlink':
                os.symlink(node['target'], path)
                continue
            elif kind == 'file':
                key = (node['dev'], node['ino'])
                if node['nlink'] > 1 and key in hardlinks:
                    os.link(hardlinks[key], path)
                    continue
                with open(path, 'wb') as f:
                    for blob_id in node['content']:
                        f.write(blob(blob_id))
                if node['nlink'] > 1:
                    hardlinks[key] = path
            else:
                continue
            os.chmod(path, node['mode'])
            os.utime(path, ns=(node['mtime'], node['mtime']))

    snapshot = read_msgpack_file(os.path.join(repo, 'snapshots', snapshot_id))
    restore(snapshot['tree'], out)


if __name__ == '__main__':
    main(*sys.argv[1:4])
