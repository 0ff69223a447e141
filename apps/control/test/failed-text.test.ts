import { describe, expect, it } from 'vitest';
import { inspectedText } from '../src/failed-commands.js';

describe('failed - text', () => {
  it('failed - says how many peeked messages did not fit the answer', () => {
    const base = {
      type: 'CHECK',
      action: 'inspect',
      queue: 'CHECK-fail',
      count: 50,
      workerId: 'w-1',
    } as const;
    const message = { bodyBytes: 2, preview: '{}', headers: [], reason: 'poison 0' };
    const cut = inspectedText({ ...base, messages: [message], omitted: 49 });
    expect(cut).toContain('CHECK-fail: 50 messages (read by w-1)');
    expect(cut).toContain('poison 0');
    expect(cut.split('\n').at(-1)).toBe(
      "49 messages not shown (peeked, but the answer would be over the master's frame limit, --max-frame-bytes)",
    );
    expect(inspectedText({ ...base, messages: [message] })).not.toContain('not shown');
  });
});
