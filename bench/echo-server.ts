/**
 * Child process: the plainest possible gRPC server, a grpc-js bidi stream that writes every
 * message back as it came (raw bytes, no protobuf), honouring backpressure. It prints
 * `{"msg":"echo is serving","port":N}` once it listens and stops on SIGTERM.
 */
import { type ServerDuplexStream, Server, ServerCredentials } from '@grpc/grpc-js';
import { ECHO_SERVICE, MAX_MESSAGE_BYTES } from './echo-service.js';

function echo(call: ServerDuplexStream<Buffer, Buffer>): void {
  call.on('data', (message: Buffer) => {
    if (!call.write(message)) {
      call.pause();
      call.once('drain', () => call.resume());
    }
  });
  call.on('end', () => call.end());
  call.on('error', () => undefined);
}

const server = new Server({ 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES, 'grpc.max_send_message_length': MAX_MESSAGE_BYTES });
server.addService(ECHO_SERVICE, { echo });
server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) => {
  if (err !== null) throw err;
  process.stdout.write(`${JSON.stringify({ msg: 'echo is serving', port })}\n`);
});
process.once('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
