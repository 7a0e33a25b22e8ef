import { CairnError } from '@cairn/core';
import type { ByteChannel } from '../link/byte-channel.js';

/** The raw-REPL request for raw-paste mode: Ctrl-E, 'A', Ctrl-A. */
export const RAW_PASTE_REQUEST = Buffer.from([0x05, 0x41, 0x01]);
/** The raw REPL's banner, sent on entering it (and by old firmware on Ctrl-A). */
export const RAW_BANNER = 'raw REPL; CTRL-B to exit\r\n';

/** How a board answered the raw-paste request. */
export type RawPasteAnswer = 'entered' | 'refused' | 'unknown';

/**
 * Asks for raw-paste mode at the raw prompt. 'entered' (`R\x01`): the window size has been
 * read and the caller must send with `sendWindowed`. 'refused' (`R\x00`, then `>`) and
 * 'unknown' (old firmware, which treats the request as Ctrl-A and prints the banner and `>`)
 * leave the board at the raw prompt again.
 */
export async function requestRawPaste(channel: ByteChannel): Promise<{ answer: RawPasteAnswer; window: number }> {
  await channel.write(RAW_PASTE_REQUEST);
  const reply = await channel.readExactly(2, 'the answer to the raw-paste request (R\\x01 or R\\x00)');
  if (reply[0] === 0x52 && reply[1] === 0x01) {
    const window = (await channel.readExactly(2, 'the raw-paste window size')).readUInt16LE(0);
    if (window === 0) throw new CairnError('ERR_IO', `the board at ${channel.port} offered a raw-paste window of 0 bytes`);
    return { answer: 'entered', window };
  }
  if (reply[0] === 0x52 && reply[1] === 0x00) {
    await channel.readUntil('>', 'the raw prompt after refusing raw-paste');
    return { answer: 'refused', window: 0 };
  }
  channel.unread(reply);
  await channel.readUntil(`${RAW_BANNER}>`, 'the raw REPL banner (the board did not understand the raw-paste request)');
  return { answer: 'unknown', window: 0 };
}

/**
 * Sends `code` in raw-paste mode under the board's flow control: at most `window` bytes
 * ahead, one more window per `\x01` the board sends; a `\x04` from the board ends the
 * upload early (it is acknowledged). Ends with `\x04` and waits for the board's `\x04`.
 */
export async function sendWindowed(channel: ByteChannel, code: Uint8Array, window: number): Promise<void> {
  // The window size itself grants one window; the board's first \x01 (sent with it) a second.
  let allowed = window;
  let sent = 0;
  const absorb = (bytes: Uint8Array): boolean => {
    for (let i = 0; i < bytes.byteLength; i++) {
      const byte = bytes[i];
      if (byte === 0x01) allowed += window;
      else if (byte === 0x04) {
        channel.unread(bytes.subarray(i + 1));
        return true;
      } else {
        throw new CairnError('ERR_IO', `the board at ${channel.port} sent 0x${(byte ?? 0).toString(16).padStart(2, '0')} during a raw-paste upload (expected flow-control bytes)`);
      }
    }
    return false;
  };
  while (sent < code.byteLength) {
    if (absorb(channel.takeBuffered())) {
      await channel.write(Uint8Array.of(0x04)); // the board ended the upload: acknowledge
      return;
    }
    if (allowed === 0) {
      if (absorb(await channel.readSome('a raw-paste flow-control byte'))) {
        await channel.write(Uint8Array.of(0x04));
        return;
      }
      continue;
    }
    const piece = code.subarray(sent, sent + allowed);
    await channel.write(piece);
    sent += piece.byteLength;
    allowed -= piece.byteLength;
  }
  await channel.write(Uint8Array.of(0x04));
  // Grants still on their way precede the board's end acknowledgement.
  const before = await channel.readUntil(Uint8Array.of(0x04), 'the end of the raw-paste upload to be acknowledged');
  if (before.some((byte) => byte !== 0x01)) {
    throw new CairnError('ERR_IO', `the board at ${channel.port} answered the end of a raw-paste upload with unexpected bytes: ${JSON.stringify(before.toString('latin1'))}`);
  }
}
