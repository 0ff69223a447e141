import { freshNodeStatus } from '@monomyth/mmop';
import { describe, expect, it } from 'vitest';
import { ProcessingTotals } from './processing-rate.js';
import { WorkerRecord } from './worker-record.js';

function worker(id: string): WorkerRecord {
  return new WorkerRecord(id, Buffer.from(id), 'host', 1, 8, 0);
}

/** Sets what the worker's last heartbeat said of its nodes: [name, type, processed, restarts?]. */
function report(record: WorkerRecord, nodes: [string, string, number, number?][]): void {
  record.nodes.clear();
  for (const [name, type, processed, restarts = 0] of nodes) {
    record.nodes.set(name, {
      name,
      type,
      startedAt: 0,
      status: { ...freshNodeStatus(name, type, 'running'), processed, restarts },
    });
  }
}

describe('processing totals', () => {
  it('sums what the nodes of each type processed, and counts the nodes that reported', () => {
    const totals = new ProcessingTotals();
    const a = worker('a');
    const b = worker('b');
    report(a, [
      ['n1', 'SLOW', 10],
      ['n2', 'FAST', 5],
    ]);
    report(b, [['n1', 'SLOW', 7]]);
    expect(totals.update([a, b]).get('SLOW')).toEqual({ processed: 17, running: 2 });
    report(a, [
      ['n1', 'SLOW', 30],
      ['n2', 'FAST', 5],
    ]);
    report(b, [['n1', 'SLOW', 8]]);
    const now = totals.update([a, b]);
    expect(now.get('SLOW')).toEqual({ processed: 38, running: 2 });
    expect(now.get('FAST')).toEqual({ processed: 5, running: 1 });
  });

  it('only grows: a node that stops takes nothing away; a rebuilt node counts from 0 again', () => {
    const totals = new ProcessingTotals();
    const a = worker('a');
    report(a, [
      ['n1', 'SLOW', 100],
      ['n2', 'SLOW', 50],
    ]);
    totals.update([a]);
    // n2 drained and gone; n1 rebuilt after a failure (restarts moved): its 4 are new.
    report(a, [['n1', 'SLOW', 4, 1]]);
    expect(totals.update([a]).get('SLOW')).toEqual({ processed: 154, running: 1 });
    // A counter lower than last seen (its worker restarted, same node name) has started again too.
    report(a, [['n1', 'SLOW', 2, 1]]);
    expect(totals.update([a]).get('SLOW')).toEqual({ processed: 156, running: 1 });
  });

  it('a type with no node left keeps its total and shows 0 running; a node not yet reported is not counted', () => {
    const totals = new ProcessingTotals();
    const a = worker('a');
    report(a, [['n1', 'SLOW', 9]]);
    totals.update([a]);
    a.nodes.clear();
    a.nodes.set('n3', { name: 'n3', type: 'SLOW', startedAt: 0, status: undefined });
    expect(totals.update([a]).get('SLOW')).toEqual({ processed: 9, running: 0 });
  });

  it('a worker lost and back keeps its baseline: what its nodes counted before is not new work', () => {
    const totals = new ProcessingTotals();
    const a = worker('a');
    report(a, [['n1', 'SLOW', 500]]);
    totals.update([a]);
    expect(totals.update([]).get('SLOW')).toEqual({ processed: 500, running: 0 });
    report(a, [['n1', 'SLOW', 520]]);
    expect(totals.update([a]).get('SLOW')).toEqual({ processed: 520, running: 1 });
  });
});
