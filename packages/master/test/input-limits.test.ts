/**
 * What the master does with input that is too big or not quite MMOP/1, over real ZeroMQ sockets: a version near-miss
 * gets ERROR 505; a frame over `maxFrameBytes` costs the sender its connection (ZeroMQ's ZMQ_MAXMSGSIZE), with no
 * answer; a message of the wrong frame count is dropped unread. After each, the master answers PING as before.
 */
import { Dealer } from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, MmopCodec, encode } from '@monomyth/mmop';
import type { MmopMessage } from '@monomyth/mmop';
import { DEFAULT_MAX_FRAME_BYTES, compileMasterOptions } from '../src/index.js';
import { Harness } from './helpers.js';

let harness: Harness;
const sockets: Dealer[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await harness?.close();
});

function dealer(): Dealer {
  const socket = new Dealer({ linger: 0, receiveTimeout: 2000 });
  socket.connect(harness.master.endpoint);
  sockets.push(socket);
  return socket;
}

/** The next message on `socket`, or undefined if none comes within `ms`. */
async function next(socket: Dealer, ms: number): Promise<MmopMessage | undefined> {
  socket.receiveTimeout = ms;
  try {
    return new MmopCodec().decode(await socket.receive());
  } catch (error) {
    if ((error as { code?: string }).code === 'EAGAIN') return undefined;
    throw error;
  }
}

/** A PING on a fresh connection is answered with PONG: the master is up and serving. */
async function expectServing(): Promise<void> {
  const socket = dealer();
  await socket.send(encode({ kind: 'PING', requestId: 'still-there' }));
  expect(await next(socket, 2000)).toMatchObject({ kind: 'PONG', requestId: 'still-there' });
}

describe('master - input limits', () => {
  it('limits - maxFrameBytes defaults to 1 MiB and refuses less than 4096', () => {
    expect(compileMasterOptions().maxFrameBytes).toBe(DEFAULT_MAX_FRAME_BYTES);
    expect(DEFAULT_MAX_FRAME_BYTES).toBe(1024 * 1024);
    expect(() => compileMasterOptions({ maxFrameBytes: 4095 })).toThrow(InvalidOptionError);
    expect(() => compileMasterOptions({ maxFrameBytes: 1.5e4 + 0.5 })).toThrow(InvalidOptionError);
    expect(compileMasterOptions({ maxFrameBytes: 4096 }).maxFrameBytes).toBe(4096);
  });

  it.each(['MMOP/1 ', 'mmop/1', 'MMOP/1.0', 'MMOP/2'])(
    'limits - the version frame %j is answered with ERROR 505 UNSUPPORTED_VERSION',
    async (version) => {
      harness = await Harness.start();
      const socket = dealer();
      const [, kind, body] = encode({ kind: 'PING', requestId: 'r' });
      await socket.send([Buffer.from(version, 'latin1'), kind!, body!]);
      const reply = await next(socket, 2000);
      expect(reply).toMatchObject({ kind: 'ERROR', status: 505, code: 'UNSUPPORTED_VERSION' });
      expect((reply as { reason: string }).reason).toMatch(
        /^peer speaks .*; this side speaks MMOP\/1$/,
      );
      expect(harness.master.state).toBe('running');
    },
  );

  it('limits - a frame over maxFrameBytes is never answered, and its sender is disconnected', async () => {
    harness = await Harness.start({ maxFrameBytes: 64 * 1024 });
    const socket = dealer();
    // One byte over the limit, and ZeroMQ drops the connection before the master sees anything.
    await socket.send(encode({ kind: 'PING', requestId: 'warm-up' }));
    expect(await next(socket, 2000)).toMatchObject({ kind: 'PONG', requestId: 'warm-up' });
    const [version, kind] = encode({ kind: 'PING', requestId: 'r' });
    const disconnected = new Promise<void>((resolve) => {
      socket.events.on('disconnect', () => resolve());
    });
    await socket.send([version!, kind!, Buffer.alloc(64 * 1024 + 1)]);
    // ZeroMQ, not the codec, refused it: the connection is gone (the codec alone would drop the frame and keep it).
    await disconnected;
    expect(await next(socket, 500)).toBeUndefined();
    await expectServing();
    expect(harness.master.state).toBe('running');
  });

  it('limits - a frame just within maxFrameBytes is read and answered', async () => {
    harness = await Harness.start({ maxFrameBytes: 64 * 1024 });
    const socket = dealer();
    // { requestId: 'big', padding: <bytes> }, exactly 64 KiB: extra fields are allowed within MMOP/1, so this PING is
    // answered; the limit, not the content, is under test.
    const head = Buffer.from('82a9726571756573744964a3626967a770616464696e67c5', 'hex');
    const length = Buffer.alloc(2);
    length.writeUInt16BE(64 * 1024 - head.byteLength - 2);
    const body = Buffer.concat([head, length, Buffer.alloc(length.readUInt16BE())]);
    expect(body.byteLength).toBe(64 * 1024);
    const [version, kind] = encode({ kind: 'PING', requestId: 'big' });
    await socket.send([version!, kind!, body]);
    expect(await next(socket, 2000)).toMatchObject({ kind: 'PONG', requestId: 'big' });
  });

  it('limits - a multipart message of many frames is dropped unread, with no answer', async () => {
    harness = await Harness.start({ maxFrameBytes: 64 * 1024 });
    const socket = dealer();
    const [version, kind, body] = encode({ kind: 'PING', requestId: 'many' });
    const frame = Buffer.alloc(60 * 1024);
    for (let i = 0; i < 20; i++)
      await socket.send([version!, kind!, body!, ...Array<Buffer>(100).fill(frame)]);
    expect(await next(socket, 500)).toBeUndefined();
    // The same connection is still served: the flood cost it nothing but its own messages.
    await socket.send(encode({ kind: 'PING', requestId: 'after' }));
    expect(await next(socket, 2000)).toMatchObject({ kind: 'PONG', requestId: 'after' });
    await expectServing();
  });
});
