/**
 * @cairn/device — MicroPython boards as a backup Source and a restore Target, over the raw
 * REPL on a serial port, a TCP bridge, or a MicroPython simulated in this process. Importing
 * it loads neither `serialport` nor the MicroPython WebAssembly build: each is imported only
 * when a port of that kind is opened. It imports @cairn/core and nothing else of cairn's.
 *
 * Layout (each folder's README says what it owns and may import):
 * link/ (byte streams) ← repl/ (raw REPL) ← board/ (board filesystem); sim/ (the simulated
 * board, core only); this folder: openDevice and the device Source / Target.
 */
export { openDevice, connectDevice } from './open-device.js';
export type { Device, DeviceOptions } from './open-device.js';
export { createDeviceSource } from './device-source.js';
export type { DeviceSource, DeviceSourceOptions, DeviceScan } from './device-source.js';
export { createDeviceTarget } from './device-target.js';
export type { DeviceTargetOptions } from './device-target.js';
export type { SimBoard, SimBoardOptions, SimFault } from './sim/sim-board.js';
export type { RawRepl, RawReplOptions, RawPasteMode } from './repl/raw-repl.js';
export type { WireCounts } from './link/byte-channel.js';
export type { BoardFs, BoardFsOptions } from './board/board-fs.js';
export type { BoardInfo } from './board/board-helper.js';
export type { BoardEntry } from './board/board-stat.js';
