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

/**
 * `count` choices of chooseWorker at once, in the same order it would make them one by one, for a cost of one pass over
 * the workers and a heap of the candidates (chooseWorker costs a pass per node: placing 10,000 nodes on 10,000 workers
 * made 10^8 comparisons). Fewer come back when fewer places have room.
 */
export function chooseWorkers(
  workers: Iterable<WorkerRecord>,
  type: string,
  count: number,
  now: number,
  livenessWindowMs = Infinity,
): WorkerRecord[] {
  const heap: Candidate[] = [];
  let order = 0;
  for (const worker of workers) {
    if (worker.state !== 'active' || worker.stalled(livenessWindowMs) || !worker.canRun(type))
      continue;
    const load = worker.load();
    if (load >= worker.capacity) continue;
    heap.push({
      worker,
      avoided: worker.avoids(type, now),
      ofType: worker.runningOf(type) + worker.outstandingOf(type),
      load,
      lastAssignedAt: worker.lastAssignedAt,
      // chooseWorker keeps the first of equals in scan order: so does the heap.
      order: order++,
    });
  }
  if (heap.length === 0 || count <= 0) return [];
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(heap, i);
  const chosen: WorkerRecord[] = [];
  for (let top = heap[0]; top !== undefined && chosen.length < count; top = heap[0]) {
    top.worker.addOutstanding(type, 1);
    top.worker.lastAssignedAt = now;
    chosen.push(top.worker);
    top.ofType += 1;
    top.load += 1;
    top.lastAssignedAt = now;
    if (top.load >= top.worker.capacity) {
      // Full: the last leaf takes its place (or the heap is empty and the loop ends).
      const last = heap.pop();
      if (heap.length === 0 || last === undefined) break;
      heap[0] = last;
    }
    siftDown(heap, 0);
  }
  return chosen;
}

interface Candidate {
  readonly worker: WorkerRecord;
  readonly avoided: boolean;
  ofType: number;
  load: number;
  lastAssignedAt: number;
  order: number;
}

/** chooseWorker's preference as an order: not avoided, fewest of the type, fewest in all, longest idle, first seen. */
function precedes(a: Candidate, b: Candidate): boolean {
  if (a.avoided !== b.avoided) return !a.avoided;
  if (a.ofType !== b.ofType) return a.ofType < b.ofType;
  if (a.load !== b.load) return a.load < b.load;
  if (a.lastAssignedAt !== b.lastAssignedAt) return a.lastAssignedAt < b.lastAssignedAt;
  return a.order < b.order;
}

function siftDown(heap: Candidate[], from: number): void {
  const moving = heap[from];
  if (moving === undefined) return;
  let at = from;
  for (;;) {
    const left = heap[2 * at + 1];
    const right = heap[2 * at + 2];
    let best = moving;
    let bestAt = at;
    if (left && precedes(left, best)) {
      best = left;
      bestAt = 2 * at + 1;
    }
    if (right && precedes(right, best)) {
      best = right;
      bestAt = 2 * at + 2;
    }
    if (bestAt === at) break;
    heap[at] = best;
    at = bestAt;
  }
  heap[at] = moving;
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
