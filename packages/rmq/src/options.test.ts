import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '@monomyth/mmop';
import { compileRabbitMqOptions, redactUrl } from './options.js';
import type { RabbitMqAdapterOptions } from './options.js';
import { retryBucketMs } from './retry-topology.js';

describe('rabbitmq options', () => {
  it('redactUrl - hides the password and nothing else', () => {
    expect(redactUrl('amqp://user:pa55@host:5672/vhost?heartbeat=5')).toBe(
      'amqp://user:***@host:5672/vhost?heartbeat=5',
    );
    expect(redactUrl('amqps://host')).toBe('amqps://host');
  });

  it('compileRabbitMqOptions - fills defaults and refuses what cannot work', () => {
    const options = compileRabbitMqOptions({ url: 'amqp://a:b@h' });
    expect(options).toMatchObject({
      redactedUrl: 'amqp://a:***@h',
      reconnect: { minDelayMs: 100, maxDelayMs: 5000, maxAttempts: Number.POSITIVE_INFINITY },
      heartbeatSeconds: 30,
    });
    expect(() => compileRabbitMqOptions({ url: 'http://h' })).toThrow(InvalidOptionError);
    expect(() =>
      compileRabbitMqOptions({ url: 'amqp://h', reconnect: { minDelayMs: 500, maxDelayMs: 100 } }),
    ).toThrow(/maxDelayMs/);
    expect(() => compileRabbitMqOptions({ url: 'amqp://h', deadLetterExchange: '' })).toThrow(
      /deadLetterExchange/,
    );
  });

  it('compileRabbitMqOptions - a bad option is an InvalidOptionError of rmq, naming the option, never the password', () => {
    const url = 'amqp://u:secret-pw@h';
    const cases: [Partial<RabbitMqAdapterOptions>, string, RegExp][] = [
      [{ url: 'http://u:secret-pw@h' }, 'url', /expected amqp:\/\/\.\.\. or amqps/],
      [{ heartbeatSeconds: 70_000 }, 'heartbeatSeconds', /from 0 to 65535/],
      [{ connectTimeoutMs: Number.POSITIVE_INFINITY }, 'connectTimeoutMs', /milliseconds/],
      [{ reconnect: { minDelayMs: -1 } }, 'reconnect.minDelayMs', /got -1/],
      [{ deliveryLimit: 0 }, 'deliveryLimit', /whole number >= 1/],
      [{ queueType: 'stream' as never }, 'queueType', /"quorum" or "classic", got "stream"/],
      [{ tls: { rejectUnauthorized: 'no' as never } }, 'tls.rejectUnauthorized', /true or false/],
    ];
    for (const [options, option, reason] of cases) {
      let error: unknown;
      try {
        compileRabbitMqOptions({ url, ...options });
      } catch (thrown) {
        error = thrown;
      }
      expect(error, option).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ component: 'rmq', option });
      expect((error as InvalidOptionError).reason).toMatch(reason);
      expect((error as Error).message).not.toContain('secret-pw');
    }
    // "No limit", where the option documents it.
    const unlimited = compileRabbitMqOptions({
      url,
      deliveryLimit: Number.POSITIVE_INFINITY,
      nackRetryMs: Number.POSITIVE_INFINITY,
      reconnect: { maxAttempts: Number.POSITIVE_INFINITY, minDelayMs: 0.5 },
    });
    expect(unlimited).toMatchObject({
      deliveryLimit: Number.POSITIVE_INFINITY,
      nackRetryMs: Number.POSITIVE_INFINITY,
    });
  });

  it('retryBucketMs - never early, at most 26% late, and few buckets for jittered delays', () => {
    for (const delay of [1, 7, 10, 11, 99, 100, 101, 333, 1000, 1001, 59_999, 86_400_000]) {
      const bucket = retryBucketMs(delay);
      expect(bucket).toBeGreaterThanOrEqual(delay);
      expect(bucket).toBeLessThanOrEqual(Math.ceil(delay * 1.26));
    }
    const buckets = new Set(Array.from({ length: 400 }, (_, i) => retryBucketMs(800 + i)));
    expect([...buckets].sort((a, b) => a - b)).toEqual([800, 1000, 1250]);
  });
});
