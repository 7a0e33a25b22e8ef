// The S3 test server's process: s3rver on a free 127.0.0.1 port, objects in the folder given as
// argv[2], one bucket "cairn". Started by s3-server.ts with --openssl-legacy-provider, because
// s3rver's list continuation tokens use DES. Answers "bytes" messages with the bytes it has sent.
import S3rver from 's3rver';

const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[2], configureBuckets: [{ name: 'cairn' }] });
const { port } = await server.run();
const sockets = new Set();
let closedBytes = 0;
server.httpServer.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => {
    closedBytes += socket.bytesWritten;
    sockets.delete(socket);
  });
});
process.on('message', (message) => {
  if (message === 'bytes') process.send({ bytes: closedBytes + [...sockets].reduce((sum, s) => sum + s.bytesWritten, 0) });
});
process.on('disconnect', () => process.exit(0));
process.send({ port });
