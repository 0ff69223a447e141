/**
 * The backlog of the cluster's queues, as the workers' heartbeats report it (each worker reads the source queues of the
 * nodes it runs from its adapter, once per heartbeat). A queue is read by every worker that runs a node on it, so the
 * reports overlap: `ready` and `consumers` are the queue's own counts, taken from the newest report; `unacked` counts
 * what each worker's consumers hold (RabbitMQ adapter), so it is summed over the workers' latest reports.
 */
import type { QueueCounts } from '@monomyth/mmop';

export interface QueueBacklog {
  readonly queue: string;
  /** Messages waiting in the queue, from the newest report. */
  readonly ready: number;
  /** Messages delivered and not yet settled, summed over the workers reading the queue. */
  readonly unacked: number;
  /** Consumers attached, from the newest report. */
  readonly consumers: number;
  /** When the newest report was received (the master's clock, ms). */
  readonly reportedAt: number;
}

/** What one worker last reported: its queue counts, and when. */
export interface QueueReport {
  readonly queues: readonly QueueCounts[];
  readonly at: number;
}

/** The backlog per queue, from every worker's latest report; queues no worker reports are absent. */
export function queueBacklog(reports: Iterable<QueueReport>): Map<string, QueueBacklog> {
  const backlog = new Map<string, QueueBacklog>();
  for (const { queues, at } of reports) {
    for (const counts of queues) {
      const known = backlog.get(counts.queue);
      const newer = known === undefined || at >= known.reportedAt;
      backlog.set(counts.queue, {
        queue: counts.queue,
        ready: newer ? counts.ready : known.ready,
        unacked: (known?.unacked ?? 0) + counts.unacked,
        consumers: newer ? counts.consumers : known.consumers,
        reportedAt: newer ? at : known.reportedAt,
      });
    }
  }
  return backlog;
}
