/**
 * Where a new node of a type goes. Among the active workers that can run the type and have room (a stalled worker,
 * whose event loop does not answer, has none): the fewest running +
 * outstanding nodes of that type, then the fewest nodes of all types, then the longest idle. Workers that recently
 * failed the type are used only when no other can take it. Choosing counts the start as outstanding in the same step,
 * so back-to-back choices spread out.
 */
import type { WorkerRecord } from './worker-record.js';

export function chooseWorker(
  workers: Iterable<WorkerRecord>,
  type: string,
  now: number,
  livenessWindowMs = Infinity,
): WorkerRecord | undefined {
  let best: WorkerRecord | undefined;
  let bestAvoided = true;
  for (const worker of workers) {
    if (
      worker.state !== 'active' ||
      worker.stalled(livenessWindowMs) ||
      !worker.canRun(type) ||
      worker.load() >= worker.capacity
    )
      continue;
    const avoided = worker.avoids(type, now);
    if (
      best === undefined ||
      (bestAvoided && !avoided) ||
      (avoided === bestAvoided && isBetter(worker, best, type))
    ) {
      best = worker;
      bestAvoided = avoided;
    }
  }
  if (best) {
    best.addOutstanding(type, 1);
    best.lastAssignedAt = now;
  }
  return best;
}

function isBetter(candidate: WorkerRecord, current: WorkerRecord, type: string): boolean {
  const ofType =
    candidate.runningOf(type) +
    candidate.outstandingOf(type) -
    (current.runningOf(type) + current.outstandingOf(type));
  if (ofType !== 0) return ofType < 0;
  const total = candidate.load() - current.load();
  if (total !== 0) return total < 0;
  return candidate.lastAssignedAt < current.lastAssignedAt;
}

/**
 * Which nodes of a type to stop: taken from the workers that run the most of that type, so what stays remains spread.
 */
export function chooseNodesToStop(
  workers: Iterable<WorkerRecord>,
  type: string,
  count: number,
): { worker: WorkerRecord; nodeName: string }[] {
  const counts = new Map<WorkerRecord, string[]>();
  for (const worker of workers) {
    const names = [...worker.nodes.values()]
      .filter((node) => node.type === type)
      .map((node) => node.name);
    if (names.length > 0) counts.set(worker, names);
  }
  const chosen: { worker: WorkerRecord; nodeName: string }[] = [];
  while (chosen.length < count) {
    let most: { worker: WorkerRecord; names: string[] } | undefined;
    for (const [worker, names] of counts) {
      if (names.length > 0 && (most === undefined || names.length > most.names.length))
        most = { worker, names };
    }
    const nodeName = most?.names.pop();
    if (!most || nodeName === undefined) break;
    chosen.push({ worker: most.worker, nodeName });
  }
  return chosen;
}
