import { describe, expect, it } from 'vitest';
import { MmopCodec, freshNodeStatus } from '@monomyth/mmop';
import { HeartbeatReports } from './heartbeat-reports.js';
import type { HeartbeatContent } from './heartbeat-reports.js';

function content(processed: number, changes: Partial<HeartbeatContent> = {}): HeartbeatContent {
  return {
    masterEpoch: 'e-1',
    nodes: [{ ...freshNodeStatus('A-1', 'A', 'running'), processed }],
    lagMs: 0,
    queues: [{ queue: 'A.in', ready: processed, unacked: 0, consumers: 1 }],
    ...changes,
  };
}

describe('heartbeat reports', () => {
  it('reports - between counter reports, new counters repeat the last report; when due, they go', () => {
    const reports = new HeartbeatReports(new MmopCodec());
    reports.registered(1000, 5000);
    const first = reports.frames(content(1), 0);
    expect(reports.frames(content(2), 1000)).toBe(first);
    expect(reports.frames(content(3), 4000)).toBe(first);
    // Due half a heartbeat early at most: 4.5 s after the last report.
    const due = reports.frames(content(5), 5000);
    expect(due).not.toBe(first);
    expect(new MmopCodec().decode(due)).toMatchObject({ nodes: [{ processed: 5 }] });
  });

  it('reports - anything but counters goes at once: a state, a node, the epoch, a lag moved by a heartbeat', () => {
    const reports = new HeartbeatReports(new MmopCodec());
    reports.registered(1000, 60_000);
    let last = reports.frames(content(1), 0);
    const changes: Partial<HeartbeatContent>[] = [
      { nodes: [freshNodeStatus('A-1', 'A', 'draining')] },
      { nodes: [freshNodeStatus('A-1', 'A', 'running'), freshNodeStatus('A-2', 'A', 'running')] },
      { masterEpoch: 'e-2' },
      { masterEpoch: 'e-2', lagMs: 1500 },
      { masterEpoch: 'e-2', lagMs: 1500, queues: undefined },
    ];
    changes.forEach((change, i) => {
      const frames = reports.frames(content(1, change), (i + 1) * 1000);
      expect(frames).not.toBe(last);
      last = frames;
    });
    // A lag that moves within the interval is not news.
    expect(
      reports.frames(content(1, { masterEpoch: 'e-2', lagMs: 1900, queues: undefined }), 7000),
    ).toBe(last);
  });

  it('reports - a master that asks for nothing, or for every heartbeat, gets new counters every heartbeat', () => {
    for (const countersIntervalMs of [undefined, 1000]) {
      const reports = new HeartbeatReports(new MmopCodec());
      reports.registered(1000, countersIntervalMs);
      const first = reports.frames(content(1), 0);
      expect(reports.frames(content(1), 1000)).not.toBe(first);
    }
  });
});
