/**
 * @cairn/device/sim — a real MicroPython (the WebAssembly port) behind a byte stream, as a
 * board for tests and for trying cairn out without hardware. `openDevice({ port: 'sim' })`
 * uses it too. The WebAssembly build is loaded when a board is created, not on import.
 */
export { createSimBoard } from './sim-board.js';
export type { SimBoard, SimBoardOptions, SimFault } from './sim-board.js';
