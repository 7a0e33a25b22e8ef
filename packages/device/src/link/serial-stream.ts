import type { Duplex } from 'node:stream';
import { CairnError, importModule } from '@cairn/core';

/**
 * Opens the serial port at `path` with the `serialport` package (imported only here, so
 * nothing else of cairn loads its native addon). A missing port is ERR_NOT_FOUND, one the
 * user may not open ERR_PERMISSION.
 */
export async function openSerialStream(path: string, baudRate: number): Promise<Duplex> {
  if (!Number.isSafeInteger(baudRate) || baudRate <= 0) throw new RangeError(`baud rate must be a positive integer, got ${String(baudRate)}`);
  let serialport: typeof import('serialport');
  try {
    serialport = await importModule('serialport', () => import('serialport'));
  } catch (error) {
    throw new CairnError('ERR_UNSUPPORTED', `serial ports need the serialport package, which could not be loaded: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const port = new serialport.SerialPort({ path, baudRate, autoOpen: false });
  try {
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/no such file|not found|cannot find/i.test(message)) {
      throw new CairnError('ERR_NOT_FOUND', `there is no serial port ${path}`, {
        cause: error,
        hint: 'plug the board in and check its port (ls /dev/ttyACM* /dev/ttyUSB*), or use --port sim to try without one',
      });
    }
    if (/permission denied|access denied/i.test(message)) {
      throw new CairnError('ERR_PERMISSION', `cannot open the serial port ${path}: permission denied`, {
        cause: error,
        hint: 'add your user to the group that owns the port (often dialout), then log in again',
      });
    }
    if (/busy|lock/i.test(message)) {
      throw new CairnError('ERR_LOCKED', `the serial port ${path} is in use by another program`, { cause: error, hint: 'close the other program (a terminal, mpremote, an IDE) and try again' });
    }
    throw new CairnError('ERR_IO', `cannot open the serial port ${path}: ${message}`, { cause: error });
  }
  // SerialPortStream has no _destroy: destroy() would end the stream but keep the port (and its lock) open.
  port._destroy = (error, done) => {
    if (!port.isOpen) return done(error);
    port.close(() => done(error));
  };
  return port;
}
