import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ResultHeader, decodeResultFrame, encodeResultFrame } from '../../web-bridge/index.js';
import { SocketSender } from '../../web-bridge/ws/socket-sender.js';

const header: ResultHeader = {
  type: 'result',
  activity: 'watch',
  session: 'cam-ü',
  response: { id: '7', model: 'tiny-cnn', prediction: { classes: [{ label: 'red', score: 0.9 }] } },
  width: 2,
  height: 1,
  hasImage: true,
  counters: { frames: 0, framesForwarded: 0, framesWaiting: 0, framesDropped: 0, framesDroppedByServer: 0, results: 1, resultsDropped: 0 },
};

test('a result message is a length-prefixed JSON header followed by the image', () => {
  const image = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
  const bytes = encodeResultFrame(header, image);
  const length = new DataView(bytes.buffer).getUint32(0, false);
  assert.equal(JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length))).session, 'cam-ü');
  const decoded = decodeResultFrame(bytes);
  assert.deepEqual(decoded.header, header);
  assert.deepEqual([...decoded.image], [...image]);
  assert.equal(decodeResultFrame(encodeResultFrame({ ...header, hasImage: false })).image.byteLength, 0);
  assert.throws(() => decodeResultFrame(bytes.subarray(0, 10)), /overruns/);
});

/** The part of a ws socket the sender touches, with a send buffer the test controls. */
function fakeSocket() {
  const sent: (string | Uint8Array)[] = [];
  const closes: [number, string][] = [];
  return {
    sent,
    closes,
    readyState: 1 as 0 | 1 | 2 | 3,
    bufferedAmount: 0,
    send(data: string | Uint8Array) {
      sent.push(data);
    },
    close(code: number, reason: string) {
      closes.push([code, reason]);
    },
  };
}

test('results are dropped while the socket holds more than the limit; control messages are not', () => {
  const socket = fakeSocket();
  const sender = new SocketSender(socket as never, 1000);
  assert.equal(sender.result(header), true);
  socket.bufferedAmount = 1001;
  assert.equal(sender.result(header), false);
  assert.equal(sender.result(header), false);
  sender.control({ type: 'watching', session: 'x' });
  assert.equal(socket.sent.length, 2);
  assert.equal(typeof socket.sent[1], 'string');
  socket.bufferedAmount = 0;
  assert.equal(sender.result(header), true);
  assert.equal(socket.sent.length, 3);
  assert.deepEqual(socket.closes, []);
});

test('a client that lets control messages pile up is disconnected (1013)', () => {
  const socket = fakeSocket();
  const sender = new SocketSender(socket as never, 1000);
  socket.bufferedAmount = 8001;
  sender.control({ type: 'error', code: 'BAD_JSON', message: 'x' });
  assert.equal(socket.sent.length, 0);
  assert.deepEqual(socket.closes, [[1013, 'client is not reading']]);
});

test('nothing is sent on a socket that is not open', () => {
  const socket = fakeSocket();
  socket.readyState = 2;
  const sender = new SocketSender(socket as never, 1000);
  assert.equal(sender.result(header), false);
  sender.control({ type: 'watching', session: 'x' });
  assert.equal(socket.sent.length, 0);
});
