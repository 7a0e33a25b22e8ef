import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '@cairn/core';
import { connectDevice } from '@cairn/device';
import { createSimBoard } from '@cairn/device/sim';
import { ByteChannel } from '../src/link/byte-channel.js';
import { RawRepl } from '../src/repl/raw-repl.js';
import { simDevice } from './device-helpers.js';

/** Python that prints a checksum of a long string literal: more than one raw-paste window. */
function longCode(length: number): { code: string; expected: string } {
  const text = Array.from({ length }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
  let sum = 0;
  for (const char of text) sum = (sum * 31 + char.charCodeAt(0)) % 1_000_003;
  return { code: `s='${text}'\nh=0\nfor c in s:h=(h*31+ord(c))%1000003\nprint(len(s),h)`, expected: `${length} ${sum}` };
}

describe('raw REPL on a real MicroPython', () => {
  it('negotiates raw-paste with a board that has it and sends long code under its flow control', async () => {
    const device = await simDevice({ rawPaste: true, pasteWindow: 64 }, { rawPaste: 'auto' });
    const { code, expected } = longCode(3000);
    const before = device.sim?.counts.fromBoard ?? 0;
    expect((await device.repl.exec(code, 'a long program')).toString().trim()).toBe(expected);
    expect(device.repl.rawPasteSupported).toBe(true);
    // 3000+ bytes in 64-byte windows: the board granted dozens of windows, and nothing overflowed.
    expect((device.sim?.counts.fromBoard ?? 0) - before).toBeGreaterThan(40);
    expect(device.sim?.overflowed).toBe(0);
    // Short code stays classic: no negotiation round trip.
    expect((await device.repl.exec('print(6*7)', 'a short program')).toString().trim()).toBe('42');
  });

  it('falls back to classic mode when the board answers R\\x00, and does not ask again', async () => {
    const device = await simDevice({ rawPaste: false }, { rawPaste: 'auto' });
    const { code, expected } = longCode(2000);
    expect((await device.repl.exec(code, 'a long program')).toString().trim()).toBe(expected);
    expect(device.repl.rawPasteSupported).toBe(false);
    const sent = device.wire.sent;
    expect((await device.repl.exec(code, 'the same program')).toString().trim()).toBe(expected);
    // Classic: the code and one \x04, without another \x05A\x01.
    expect(device.wire.sent - sent).toBe(Buffer.byteLength(code) + 1);
  });

  it('is needed: a host that ignores the raw-paste window loses bytes on the board', async () => {
    const sim = await createSimBoard({ pasteWindow: 32 });
    try {
      const channel = new ByteChannel(sim.stream, 'sim', 3000);
      const repl = new RawRepl(channel);
      await repl.enter();
      await channel.write(Buffer.from('\x05A\x01', 'latin1'));
      expect((await channel.readExactly(4, 'the raw-paste answer')).subarray(0, 2).toString('latin1')).toBe('R\x01');
      await channel.write(Buffer.from(`print(${'1+'.repeat(200)}1)`));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(sim.overflowed).toBeGreaterThan(0);
    } finally {
      await sim.close();
    }
  });

  it('maps exceptions on the board to coded errors and stays usable', async () => {
    const device = await simDevice();
    const missing = await device.repl.exec("open('/nope/file')", 'opening /nope/file').catch((e: unknown) => e);
    expect(isCairnError(missing, 'ERR_NOT_FOUND')).toBe(true);
    expect((missing as Error).message).toBe('the board at sim: opening /nope/file: no such file or folder (ENOENT)');
    const zero = await device.repl.exec('1/0', 'dividing').catch((e: unknown) => e);
    expect(isCairnError(zero, 'ERR_IO')).toBe(true);
    expect((zero as Error).message).toContain('ZeroDivisionError');
    expect((await device.repl.exec('print("still here")', 'a check')).toString().trim()).toBe('still here');
  });

  it('leaves the board in the friendly REPL, without the helper, when done', async () => {
    const sim = await createSimBoard();
    try {
      const device = await connectDevice(sim.stream, { port: 'sim' });
      expect(sim.mode).toBe('raw');
      expect((await device.repl.exec("print(len([k for k in globals() if k[:2]=='_c']) > 10)", 'counting helper names')).toString().trim()).toBe('True');
      await device.fs.uninstall();
      expect((await device.repl.exec("print([k for k in globals() if k[:2]=='_c'])", 'counting helper names')).toString().trim()).toBe('[]');
      await device.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(sim.mode).toBe('friendly');
    } finally {
      await sim.close();
    }
  });

  it('soft-resets on request when connecting, and to a fresh interpreter on the same flash', async () => {
    const reset = await simDevice({}, { softReset: true });
    expect((await reset.repl.exec('print(1+1)', 'a check')).toString().trim()).toBe('2');
    const device = await simDevice();
    await device.repl.exec("x=5\nf=open('/kept.txt','w')\nf.write('kept')\nf.close()", 'setting up');
    await device.repl.softReset();
    const gone = await device.repl.exec('print(x)', 'reading x').catch((e: unknown) => e);
    expect((gone as Error).message).toContain('NameError');
    expect((await device.repl.exec("print(open('/kept.txt').read())", 'reading the file')).toString().trim()).toBe('kept');
  });

  it('says which port did not answer and what it waited for', async () => {
    const mute = new Duplex({ read: () => undefined, write: (_chunk, _encoding, done) => done() });
    const error = await connectDevice(mute, { port: '/dev/ttyMUTE', timeoutMs: 300 }).catch((e: unknown) => e);
    expect(isCairnError(error, 'ERR_TRANSIENT')).toBe(true);
    expect((error as Error).message).toBe('the board at /dev/ttyMUTE did not answer within 0.3 s: expected the raw REPL banner ("raw REPL; CTRL-B to exit")');
    expect(mute.destroyed).toBe(true);
  });

  it('refuses a device that answers but is not a MicroPython REPL', async () => {
    const echo: Duplex = new Duplex({ read: () => undefined, write: (chunk: Buffer, _encoding, done) => {
      echo.push(Buffer.from(`?${chunk.toString('latin1')}`, 'latin1'));
      done();
    } });
    const error = await connectDevice(echo, { port: '/dev/ttyECHO', timeoutMs: 300 }).catch((e: unknown) => e);
    expect(isCairnError(error, 'ERR_IO')).toBe(true);
    expect((error as Error).message).toMatch(/^could not enter the raw REPL of the board at \/dev\/ttyECHO: no raw REPL prompt came within 0.3 s; it sent \d+ bytes of other text, ending ".*"$/);
  });

  it('gives up entering within the timeout when a port keeps sending other text, however long it goes on', async () => {
    // A program that ignores Ctrl-C and prints on a slow line: 36 bytes every 20 ms, forever
    // (no read ever waits long enough to time out; 64 KiB of it takes half a minute).
    let timer: NodeJS.Timeout | undefined;
    const chatty = new Duplex({
      read: () => undefined,
      write: (_chunk, _encoding, done) => done(),
      destroy: (error, done) => {
        clearInterval(timer);
        done(error);
      },
    });
    timer = setInterval(() => chatty.push(Buffer.from('temperature 21.5 C, humidity 40 %\r\n', 'latin1')), 20);
    const started = Date.now();
    const error = await connectDevice(chatty, { port: '/dev/ttyCHATTY', timeoutMs: 700 }).catch((e: unknown) => e);
    const took = Date.now() - started;
    clearInterval(timer);
    expect(took).toBeLessThan(700 + 500);
    expect(isCairnError(error, 'ERR_IO')).toBe(true);
    expect((error as Error).message).toMatch(
      /^could not enter the raw REPL of the board at \/dev\/ttyCHATTY: no raw REPL prompt came within 0.7 s; it sent \d+ bytes of other text, ending ".*humidity 40 %\\r\\n"$/,
    );
    expect((error as Error).message.length).toBeLessThan(300);
    expect(chatty.destroyed).toBe(true);
  });
});
