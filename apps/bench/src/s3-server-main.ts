/**
 * The bench's S3 server process: s3rver on a free 127.0.0.1 port, objects in the folder given as
 * argv[2], one bucket "bench". Forked with --openssl-legacy-provider (s3rver's list continuation
 * tokens use DES). Answers "bytes" messages with the bytes it has written to client connections.
 */
import type { Socket } from 'node:net';
// @ts-expect-error s3rver ships no type declarations
import S3rver from 's3rver';

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  httpServer: { on(event: 'connection', listener: (socket: Socket) => void): void };
}

const server = new (S3rver as new (options: object) => S3rverInstance)({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[2], configureBuckets: [{ name: 'bench' }] });
const { port } = await server.run();
const sockets = new Set<Socket>();
let closedBytes = 0;
server.httpServer.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => {
    closedBytes += socket.bytesWritten;
    sockets.delete(socket);
  });
});
process.on('message', (message) => {
  if (message === 'bytes') process.send!({ bytes: closedBytes + [...sockets].reduce((sum, s) => sum + s.bytesWritten, 0) });
});
process.on('disconnect', () => process.exit(0));
process.send!({ port });
