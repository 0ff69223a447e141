/**
 * Publishes the poison message: a body that is not JSON with a 100 KB header. RabbitMQ accepts it (its frame_max is
 * 128 KB), but amqplib cannot encode a header table over 64 KB, so it is published from outside, with Python's pika
 * (Debian's python3-pika; scripts/lib/setup.sh installs it), and confirmed by the broker.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The poison's body: not JSON, recognisable in a fail queue. */
export const POISON_BODY = Buffer.from('{chaos poison: not JSON', 'utf8');

const SCRIPT = `
import sys, pika
url, queue, size, body = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].encode('utf-8')
connection = pika.BlockingConnection(pika.URLParameters(url))
channel = connection.channel()
channel.confirm_delivery()
channel.basic_publish(exchange='', routing_key=queue, body=body, mandatory=True,
    properties=pika.BasicProperties(delivery_mode=2, headers={'x-chaos-padding': 'p' * size}))
connection.close()
`;

/** Debian's python3 first: pika is installed for it, not for a python3 earlier on PATH (pyenv's, say). */
function python(): string {
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

export function publishPoison(url: string, queue: string, headerBytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      python(),
      ['-c', SCRIPT, url, queue, String(headerBytes), POISON_BODY.toString('utf8')],
      { timeout: 30_000 },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        const hint = stderr.includes("No module named 'pika'")
          ? ' (install python3-pika: apt-get install python3-pika)'
          : '';
        reject(
          new Error(
            `publishing the poison message failed${hint}: ${stderr.trim() || error.message}`,
          ),
        );
      },
    );
  });
}
