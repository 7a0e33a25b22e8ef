import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const cache = createRequire(import.meta.url).cache;
const serialportLoaded = (): boolean => Object.keys(cache).some((path) => path.includes('@serialport'));
const micropythonLoaded = (): boolean => 'loadMicroPython' in globalThis;

describe('@cairn/device', () => {
  it('loads neither serialport nor MicroPython on import (nor does its sim entry), only when such a port is opened', async () => {
    const device = await import('@cairn/device');
    const sim = await import('@cairn/device/sim');
    expect(typeof device.openDevice).toBe('function');
    expect(typeof sim.createSimBoard).toBe('function');
    expect(serialportLoaded()).toBe(false);
    expect(micropythonLoaded()).toBe(false);

    await device.openDevice({ port: '/dev/ttyNOSUCHPORT3' }).catch(() => undefined);
    expect(serialportLoaded()).toBe(true);
    expect(micropythonLoaded()).toBe(false);
    const board = await device.openDevice({ port: 'sim' });
    await board.close();
    expect(micropythonLoaded()).toBe(true);
  });
});
