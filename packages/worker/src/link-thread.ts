/**
 * The worker's link to the master, in a thread of its own: the DEALER, registration (READY until REGISTERED, again
 * when the master restarts or forgets the worker) and heartbeats. It runs no user code, so a node whose transform
 * blocks the main thread's event loop for a minute does not silence the worker: heartbeats go on, carrying the
 * latest node statuses the main thread posted and how long the main thread has not answered (its lag). While the
 * main thread is blocked past `stallWarningMs` this thread also writes a warning naming the nodes with a batch in
 * flight, straight to a file descriptor, because the logger lives on the blocked thread.
 *
 * Everything else the master sends (START-NODE, STOP-NODE, SHUTDOWN) is passed to the main thread, which answers
 * through 'send'.
 */
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { Dealer } from 'zeromq';
import { MmopCodec, OrderedSender } from '@monomyth/mmop';
import type { Frames, MessageOf, MmopMessage, NodeStatus } from '@monomyth/mmop';
import { SLOT0, TICK, TICK_MS } from './link-protocol.js';
import type { FromLink, LinkConfig, RunningNode, StalledNode, ToLink } from './link-protocol.js';

if (!parentPort) throw new Error('link-thread.ts runs as a worker thread');
const port: MessagePort = parentPort;
const config = workerData as LinkConfig;
const shared = new BigInt64Array(config.shared);
const codec = new MmopCodec();
// immediate: nothing is queued for a master that is not connected; sendTimeout 0: a send goes now or fails now, so a
// master that is away never blocks the link (READY and heartbeats are simply tried again).
const dealer = new Dealer({
  linger: 0,
  routingId: config.workerId,
  immediate: true,
  sendTimeout: 0,
});
const sender = new OrderedSender((frames) => dealer.send(frames));

let state: 'registering' | 'registered' = 'registering';
let leaving = false;
let closed = false;
let masterEpoch = '';
let heartbeatIntervalMs = 0;
let heartbeatMisses = 0;
let lastHeardAt = 0;
let running: readonly RunningNode[] = [];
let statuses: readonly NodeStatus[] = [];
let slots: readonly (readonly [string, number])[] = [];
let heartbeat: NodeJS.Timeout | undefined;
let registerRetry: NodeJS.Timeout | undefined;
/** The stall being watched: the longest lag seen, the nodes seen in flight, and the lag at which to warn next. */
let stall: { maxLagMs: number; nodes: Map<string, number>; warnAtMs: number } | undefined;

function post(message: FromLink): void {
  port.postMessage(message);
}

function log(
  level: 'debug' | 'info' | 'warn' | 'error',
  fields: Record<string, unknown>,
  msg: string,
): void {
  post({ type: 'log', level, fields, msg });
}

/** How long the main thread has not ticked, beyond its tick period: 0 while it answers. */
function lagMs(now = Date.now()): number {
  const tick = Number(Atomics.load(shared, TICK));
  return tick === 0 ? 0 : Math.max(0, now - tick - TICK_MS);
}

function send(message: MmopMessage): Promise<void> {
  let frames: Frames;
  try {
    frames = codec.encode(message);
  } catch (error) {
    return Promise.reject(error);
  }
  return sender.send(frames);
}

function register(): void {
  clearTimeout(registerRetry);
  if (leaving || closed) return;
  state = 'registering';
  void send({
    kind: 'READY',
    workerId: config.workerId,
    host: config.host,
    pid: config.pid,
    capacity: config.capacity,
    recipes: config.recipes.map((recipe) => ({ ...recipe })),
    nodes: running.map((node) => ({ name: node.name, type: node.type, recipe: node.recipe })),
  }).catch((error: unknown) =>
    log('debug', { err: String(error) }, 'READY not sent; the master is not connected'),
  );
  registerRetry = setTimeout(register, config.registerRetryMs);
}

function onRegistered(registered: MessageOf<'REGISTERED'>): void {
  if (leaving || closed) return;
  clearTimeout(registerRetry);
  state = 'registered';
  masterEpoch = registered.masterEpoch;
  heartbeatIntervalMs = registered.heartbeatIntervalMs;
  heartbeatMisses = registered.heartbeatMisses;
  lastHeardAt = Date.now();
  clearInterval(heartbeat);
  heartbeat = setInterval(beat, heartbeatIntervalMs);
  post({ type: 'state', state, masterEpoch, heartbeatIntervalMs });
}

function beat(): void {
  const silent = Date.now() - lastHeardAt > heartbeatIntervalMs * heartbeatMisses;
  if (silent && !leaving) {
    // The master has gone quiet: the nodes keep running; look for a master again.
    log('warn', { masterEpoch }, 'no answer from the master; registering again');
    clearInterval(heartbeat);
    reRegister();
    return;
  }
  void send({
    kind: 'HEARTBEAT',
    masterEpoch,
    nodes: [...statuses],
    eventLoopLagMs: lagMs(),
  }).catch(() => {});
}

function reRegister(): void {
  if (state === 'registered')
    post({ type: 'state', state: 'registering', masterEpoch, heartbeatIntervalMs });
  register();
}

function onMessage(message: MmopMessage): void {
  switch (message.kind) {
    case 'REGISTERED':
      return onRegistered(message);
    case 'HEARTBEAT-ACK':
      lastHeardAt = Date.now();
      if (message.masterEpoch !== masterEpoch && !leaving) {
        log(
          'info',
          { masterEpoch: message.masterEpoch },
          'the master restarted; registering again',
        );
        reRegister();
      }
      return;
    case 'ERROR':
      if (message.code === 'NOT_REGISTERED') {
        if (leaving) return;
        log('info', {}, 'the master does not know this worker; registering again');
        reRegister();
        return;
      }
      log(
        'warn',
        { status: message.status, code: message.code, reason: message.reason },
        'error from the master',
      );
      return;
    default:
      post({ type: 'message', message });
  }
}

async function receive(): Promise<void> {
  try {
    for await (const frames of dealer) {
      let message: MmopMessage;
      try {
        message = codec.decode(frames);
      } catch (error) {
        log('warn', { err: String(error) }, 'malformed message from the master');
        continue;
      }
      onMessage(message);
    }
  } catch (error) {
    if (!closed) log('error', { err: String(error) }, 'worker socket failed');
  }
}

/** Watches the main thread's lag: warns while it is blocked, and reports the stall once it answers again. */
function watch(): void {
  const now = Date.now();
  const lag = lagMs(now);
  if (lag <= config.stallWarningMs) {
    if (stall && lag < TICK_MS) {
      const nodes: StalledNode[] = [...stall.nodes].map(([name, batchMs]) => ({ name, batchMs }));
      post({ type: 'stall', blockedMs: stall.maxLagMs, nodes });
      stall = undefined;
    }
    return;
  }
  stall ??= { maxLagMs: 0, nodes: new Map(), warnAtMs: config.stallWarningMs };
  stall.maxLagMs = Math.max(stall.maxLagMs, lag);
  for (const [name, slot] of slots) {
    const since = Number(Atomics.load(shared, SLOT0 + slot));
    if (since !== 0) stall.nodes.set(name, now - since);
  }
  if (lag >= stall.warnAtMs) {
    // Warn at the threshold, then each time the stall doubles: a transform that never yields keeps being named.
    stall.warnAtMs = lag * 2;
    writeWarning(lag, [...stall.nodes.keys()]);
  }
}

function writeWarning(lag: number, nodes: string[]): void {
  if (config.stallLogFd === undefined) return;
  const line = {
    level: 40,
    time: Date.now(),
    pid: config.pid,
    component: 'worker',
    workerId: config.workerId,
    blockedMs: lag,
    nodes,
    msg:
      `the event loop has been blocked for ${lag} ms` +
      (nodes.length > 0 ? `; nodes with a batch in flight: ${nodes.join(', ')}` : '') +
      ' (a transform that does not yield; heartbeats go on from the link thread)',
  };
  try {
    writeSync(config.stallLogFd, `${JSON.stringify(line)}\n`);
  } catch {
    // The descriptor is gone: nothing else to warn on.
  }
}

const watcher = setInterval(watch, TICK_MS);

// An error escaping this thread would end it, and zeromq.js aborts the whole process when a thread ends while its
// socket waits for a message: the worker and every node with it. Log it and go on instead.
process.on('uncaughtException', (error) => {
  log('error', { err: String(error) }, 'error in the link thread');
});
process.on('unhandledRejection', (error) => {
  log('error', { err: String(error) }, 'error in the link thread');
});

port.on('message', (message: ToLink) => {
  switch (message.type) {
    case 'nodes':
      running = message.running;
      slots = message.slots;
      return;
    case 'status':
      statuses = message.nodes;
      return;
    case 'send':
      send(message.message).then(
        () => post({ type: 'sent', id: message.id }),
        (error: unknown) => post({ type: 'sent', id: message.id, error: String(error) }),
      );
      return;
    case 'leaving':
      leaving = true;
      clearTimeout(registerRetry);
      return;
    case 'close':
      closed = true;
      leaving = true;
      clearTimeout(registerRetry);
      clearInterval(heartbeat);
      clearInterval(watcher);
      sender.close();
      dealer.close();
      post({ type: 'closed' });
      port.close();
  }
});

dealer.connect(config.master);
void receive();
register();
