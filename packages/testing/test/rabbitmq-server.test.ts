import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { describe, expect, inject, it } from 'vitest';
import { RabbitMqServer, RabbitMqStartError } from '../src/index.js';

async function publishDurably(url: string, queue: string, body: string): Promise<void> {
  const connection = await connect(url);
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true });
    channel.sendToQueue(queue, Buffer.from(body), { persistent: true });
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}

async function take(url: string, queue: string): Promise<string | undefined> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    await channel.assertQueue(queue, { durable: true });
    const message = await channel.get(queue, { noAck: true });
    return message ? message.content.toString() : undefined;
  } finally {
    await connection.close();
  }
}

describe('rabbitmq launcher', () => {
  it('launcher - the shared test broker accepts durable, confirmed messages', async () => {
    const url = inject('amqpUrl');
    const queue = `launcher-${Date.now()}`;
    await publishDurably(url, queue, 'hello');
    expect(await take(url, queue)).toBe('hello');
    expect(await take(url, queue)).toBeUndefined();
  });

  it('launcher - halted and restarted, a broker keeps its durable messages; killed, it comes back; stop removes its data', async () => {
    const server = await RabbitMqServer.start();
    try {
      await publishDurably(server.url, 'survives-restart', 'still here');
      await server.halt();
      await expect(connect(server.url)).rejects.toThrow();
      await server.restart();
      expect(await take(server.url, 'survives-restart')).toBe('still here');
      // A crash: SIGKILL to the whole process group. (What a crash keeps is RabbitMQ's business, not the launcher's.)
      await server.kill();
      await expect(connect(server.url)).rejects.toThrow();
      await server.restart();
      await publishDurably(server.url, 'after-crash', 'back');
      expect(await take(server.url, 'after-crash')).toBe('back');
    } finally {
      await server.stop();
      await server.stop(); // idempotent
    }
    expect(existsSync(server.dataDir)).toBe(false);
  });

  it('launcher - a server that exits while starting fails with its output, not a hang', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fake-rabbit-'));
    const fake = join(dir, 'rabbitmq-server');
    writeFileSync(
      fake,
      '#!/bin/sh\necho "ERROR: epmd error for host localhost: address (cannot connect to host/port)"\nexit 1\n',
    );
    chmodSync(fake, 0o755);
    const started = RabbitMqServer.start({ serverPath: fake, startTimeoutMs: 10_000 });
    await expect(started).rejects.toBeInstanceOf(RabbitMqStartError);
    await expect(started).rejects.toThrow(/exited \(1\) while starting[\s\S]*epmd error/);
  });
});
