/** Bodies and headers between Monomyth's types and amqplib's. */
import { NO_HEADERS } from '@monomyth/node/adapter';
import type { HeaderValue, MessageHeaders } from '@monomyth/node/adapter';

/** amqplib takes Buffers only: a Uint8Array is wrapped (same memory, no copy); a Buffer passes as is. */
export function toBuffer(body: Uint8Array): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (!(body instanceof Uint8Array)) throw new TypeError('a message body must be a Uint8Array');
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * Headers RabbitMQ adds when a retry queue dead-letters a message back: they describe the adapter's own plumbing (and
 * `x-death` is a list of tables, which no `HeaderValue` can carry), so deliveries do not show them.
 */
function isBrokerDeathHeader(name: string): boolean {
  return (
    name === 'x-death' || name.startsWith('x-first-death-') || name.startsWith('x-last-death-')
  );
}

function isHeaderValue(value: unknown): value is HeaderValue {
  const type = typeof value;
  return type === 'string' || type === 'boolean' || (type === 'number' && Number.isFinite(value));
}

/**
 * A delivery's headers as `MessageHeaders`: strings, numbers and booleans kept, anything else (tables, arrays, byte
 * arrays, the broker's death records) left out. The object amqplib decoded is reused when nothing needs leaving out.
 */
export function fromAmqpHeaders(headers: Record<string, unknown> | undefined): MessageHeaders {
  if (headers === undefined || headers === null) return NO_HEADERS;
  let clean = true;
  let any = false;
  for (const name in headers) {
    any = true;
    if (!isHeaderValue(headers[name]) || isBrokerDeathHeader(name)) {
      clean = false;
      break;
    }
  }
  if (!any) return NO_HEADERS;
  if (clean) return headers as MessageHeaders;
  const kept: Record<string, HeaderValue> = {};
  for (const name in headers) {
    const value = headers[name];
    if (isHeaderValue(value) && !isBrokerDeathHeader(name)) kept[name] = value;
  }
  return kept;
}
