import { describe, expect, it } from 'vitest';
import { RabbitMqOptionsError, compileOptions, redactUrl } from './options.js';
import { retryBucketMs } from './retry-topology.js';

describe('rabbitmq options', () => {
  it('redactUrl - hides the password and nothing else', () => {
    expect(redactUrl('amqp://user:pa55@host:5672/vhost?heartbeat=5')).toBe(
      'amqp://user:***@host:5672/vhost?heartbeat=5',
    );
    expect(redactUrl('amqps://host')).toBe('amqps://host');
  });

  it('compileOptions - fills defaults and refuses what cannot work', () => {
    const options = compileOptions({ url: 'amqp://a:b@h' });
    expect(options).toMatchObject({
      redactedUrl: 'amqp://a:***@h',
      reconnect: { minDelayMs: 100, maxDelayMs: 5000, maxAttempts: Number.POSITIVE_INFINITY },
      heartbeatSeconds: 30,
    });
    expect(() => compileOptions({ url: 'http://h' })).toThrow(RabbitMqOptionsError);
    expect(() =>
      compileOptions({ url: 'amqp://h', reconnect: { minDelayMs: 500, maxDelayMs: 100 } }),
    ).toThrow(/maxDelayMs/);
    expect(() => compileOptions({ url: 'amqp://h', deadLetterExchange: '' })).toThrow(
      /deadLetterExchange/,
    );
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
