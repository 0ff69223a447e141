/**
 * `pnpm bench codec`: MMOP/1 encode + decode (validation included) of a HEARTBEAT-sized and a START-NODE-sized message,
 * beside JSON.stringify + JSON.parse of the same objects in the same run. Two JSON baselines: strings only (the bare
 * functions) and bytes (what a JSON wire protocol does: the string to a Buffer and back), since MMOP frames are bytes.
 */
import { MmopCodec } from '@monomyth/mmop';
import type { MessageOf, MmopMessage } from '@monomyth/mmop';
import { compare, formatRate, round } from './measure.js';

const heartbeat: MessageOf<'HEARTBEAT'> = {
  kind: 'HEARTBEAT',
  masterEpoch: 'epoch-3f9a1c',
  nodes: Array.from({ length: 4 }, (_, i) => ({
    name: `STAGE${i}:5f0c2d7e-8c1b-4d3e-9a4f-0b1c2d3e4f5${i}`,
    type: `STAGE${i}`,
    state: 'running',
    processed: 123_456 + i,
    failed: 3,
    retried: 7,
    inFlight: 10,
    batches: 12_345,
    restarts: 0,
    latencyP50Ms: 1.25,
    latencyP99Ms: 7.5,
  })),
};

const startNode: MessageOf<'START-NODE'> = {
  kind: 'START-NODE',
  requestId: 'req-000042',
  recipe: {
    type: 'TEST-NODE2',
    batchSize: 100,
    batchTimeoutMs: 50,
    source: 'TEST-NODE1-to-TEST-NODE2',
    dest: ['TEST-NODE2-to-TEST-NODE3'],
    retry: { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 10_000, multiplier: 2, jitter: 0.2 },
    codec: 'json',
    concurrency: 4,
  },
};

export function runCodecBench(): Record<string, unknown> {
  const codec = new MmopCodec();
  const results: Record<string, unknown> = { bench: 'codec' };
  for (const [name, message] of [
    ['heartbeat', heartbeat],
    ['startNode', startNode],
  ] as const satisfies readonly (readonly [string, MmopMessage])[]) {
    const bytes = codec.encode(message).reduce((sum, frame) => sum + frame.byteLength, 0);
    const rates = compare({
      mmop: () => codec.decode(codec.encode(message)),
      json: () => JSON.parse(JSON.stringify(message)),
      jsonBytes: () => JSON.parse(Buffer.from(JSON.stringify(message)).toString()),
    });
    console.log(
      `${message.kind} (${bytes} B on the wire as MMOP/1, ${JSON.stringify(message).length} B as JSON)`,
    );
    console.log(`  MMOP/1 encode+decode          ${formatRate(rates.mmop)}`);
    console.log(
      `  JSON stringify+parse          ${formatRate(rates.json)}   ratio ${round(rates.mmop / rates.json)}`,
    );
    console.log(
      `  JSON to bytes and back        ${formatRate(rates.jsonBytes)}   ratio ${round(rates.mmop / rates.jsonBytes)}`,
    );
    results[name] = {
      wireBytes: bytes,
      mmopOpsPerSec: Math.round(rates.mmop),
      jsonOpsPerSec: Math.round(rates.json),
      jsonBytesOpsPerSec: Math.round(rates.jsonBytes),
      ratio: round(rates.mmop / rates.json),
      ratioBytes: round(rates.mmop / rates.jsonBytes),
    };
  }
  return results;
}
