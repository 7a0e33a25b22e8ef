/**
 * @cairn/transport/device — MicroPython boards as a backup Source and a restore Target,
 * over the raw REPL on a serial port, a TCP bridge, or a MicroPython simulated in this
 * process. Kept apart from the package root: it loads `serialport` and the MicroPython
 * WebAssembly build, lazily, only when a port of that kind is opened.
 */
export { openDevice, connectDevice } from './open-device.js';
export type { Device, DeviceOptions } from './open-device.js';
export { createDeviceSource, resolveBoardPath } from './device-source.js';
export type { DeviceSource, DeviceSourceOptions, DeviceScan } from './device-source.js';
export { createDeviceTarget, deviceTempName } from './device-target.js';
export type { DeviceTargetOptions } from './device-target.js';
export { createSimBoard } from './sim-board.js';
export type { SimBoard, SimBoardOptions, SimFault } from './sim-board.js';
export { RawRepl } from './raw-repl.js';
export type { RawReplOptions, RawPasteMode } from './raw-repl.js';
export { ByteChannel } from './byte-channel.js';
export type { WireCounts } from './byte-channel.js';
export { BoardFs } from './board-fs.js';
export type { BoardFsOptions } from './board-fs.js';
export type { BoardInfo } from './board-helper.js';
export type { BoardEntry } from './board-stat.js';
