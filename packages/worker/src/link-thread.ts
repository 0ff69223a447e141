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
 *
 * A worker never stays cut off: when the master has said nothing for a liveness window, the thread closes its DEALER
 * and opens a new one, under a new routing id (same process instance), and registers again. A DEALER that reconnects
 * by itself would keep its old id, which the master's ROUTER may still hold for a connection it has not seen die.
 */
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { Dealer } from 'zeromq';
import {
  MmopCodec,
  OrderedSender,
  ReplyCode,
  describeError,
  newInstance,
  routingIdFor,
} from '@monomyth/mmop';
import type { Frames, MessageOf, MmopMessage, NodeStatus, QueueCounts } from '@monomyth/mmop';
import { SLOT0, TICK, TICK_MS } from './link-protocol.js';
import type { FromLink, LinkConfig, RunningNode, StalledNode, ToLink } from './link-protocol.js';
import { HeartbeatReports } from './heartbeat-reports.js';
import { UnreachableWarning } from './unreachable-warning.js';

if (!parentPort) throw new Error('link-thread.ts runs as a worker thread');
const port: MessagePort = parentPort;
const config = workerData as LinkConfig;
const shared = new BigInt64Array(config.shared);
const codec = new MmopCodec();
/** This worker process's instance: every socket it opens carries it, so the master knows them for the same worker. */
const instance = newInstance();

let state: 'registering' | 'registered' = 'registering';
let leaving = false;
let closed = false;
let masterEpoch = '';
let heartbeatIntervalMs = 0;
let heartbeatMisses = 0;
/** The bytes each heartbeat goes out as: the last report again while only counters changed (heartbeat-reports.ts). */
const reports = new HeartbeatReports(codec);
/** When the master last said anything. */
let lastHeardAt = Date.now();
/** New connections opened since the master last said anything. */
let replacements = 0;
/** The longest a socket is kept without an answer once several have gone unanswered. */
const MAX_SOCKET_SILENCE_MS = 60_000;
/** The shortest: time for a connection, a handshake and a round trip on a busy machine. */
const MIN_SOCKET_SILENCE_MS = 1_000;
let running: readonly RunningNode[] = [];
let statuses: readonly NodeStatus[] = [];
/** The latest queue counts from the main thread; undefined while it has sent none (an adapter without them). */
let queues: readonly QueueCounts[] | undefined;
let slots: readonly (readonly [string, number])[] = [];
let heartbeat: NodeJS.Timeout | undefined;
let registerRetry: NodeJS.Timeout | undefined;
/** How often an unreachable master is said again while the worker keeps trying. */
const UNREACHABLE_WARNING_MS = 30_000;
const unreachable = new UnreachableWarning(UNREACHABLE_WARNING_MS, (forMs, error) =>
  log(
    'warn',
    { master: config.master, forMs, reason: describeError(error) },
    `the master at ${config.master} is not reachable: READY not sent; still trying`,
  ),
);
/** The stall being watched: the longest lag seen, the nodes seen in flight, and the lag at which to warn next. */
let stall: { maxLagMs: number; nodes: Map<string, number>; warnAtMs: number } | undefined;
// Opened after the state above exists: a socket that cannot be opened fails the link, which clears its timers.
let dealer = openDealer();
let dealerOpenedAt = Date.now();
const sender = new OrderedSender((frames) => dealer.send(frames));

/**
 * A DEALER to the master, under a fresh routing id. immediate: nothing is queued for a master that is not connected;
 * sendTimeout 0: a send goes now or fails now, so a master that is away never blocks the link (READY and heartbeats
 * are simply tried again).
 */
function openDealer(): Dealer {
  const curve = config.curve;
  const socket = new Dealer({
    linger: 0,
    // zeromq.js takes a Buffer for a binary id, though its type says string.
    routingId: routingIdFor(instance, curve) as unknown as string,
    immediate: true,
    sendTimeout: 0,
    ...(curve && {
      curvePublicKey: curve.publicKey,
      curveSecretKey: curve.secretKey,
      curveServerKey: curve.serverKey,
    }),
  });
  try {
    // Throws for an endpoint libzmq cannot use (an ipc path longer than the system allows, ...).
    socket.connect(config.master);
  } catch (error) {
    fail(`could not connect to ${config.master}: ${describeError(error)}`);
    return socket;
  }
  void receive(socket);
  return socket;
}

/**
 * The link cannot go on: no more registering or heartbeats, and the main thread is told, so the worker stops (its
 * run() rejects) rather than waiting forever for a master it can no longer hear. The main thread then posts 'close'.
 */
function fail(reason: string): void {
  if (closed) return;
  closed = true;
  leaving = true;
  clearTimeout(registerRetry);
  clearInterval(heartbeat);
  post({ type: 'failed', reason });
}

/** How long the master may say nothing before the socket is replaced: its liveness window, once known. */
function silenceLimitMs(): number {
  return heartbeatIntervalMs > 0
    ? heartbeatIntervalMs * heartbeatMisses
    : Math.max(3 * config.registerRetryMs, 3000);
}

/** The master has said nothing for a liveness window: a new socket, in case this one is cut off for good. */
function replaceSocketIfSilent(): void {
  const now = Date.now();
  const limit = silenceLimitMs();
  // Each new socket gets twice as long as the one before to hear back, so a master that is slow to come back (or
  // refuses this worker's key) does not see a new connection every window, and one that is merely slow is not lost by
  // replacing the connection it was about to answer on.
  const socketLimit = Math.min(
    Math.max(limit * 2 ** replacements, MIN_SOCKET_SILENCE_MS),
    MAX_SOCKET_SILENCE_MS,
  );
  if (now - lastHeardAt <= limit || now - dealerOpenedAt <= socketLimit) return;
  // Once per silence at warn: not worth a line a window. Not at all while READY finds no connection: the master is
  // not reachable, which the unreachable warning already says.
  log(
    replacements > 0 || unreachable.active ? 'debug' : 'warn',
    { silentMs: now - lastHeardAt },
    'no answer from the master; opening a new connection',
  );
  replacements += 1;
  const old = dealer;
  dealer = openDealer();
  dealerOpenedAt = now;
  old.close();
}

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
  replaceSocketIfSilent();
  void send({
    kind: 'READY',
    workerId: config.workerId,
    host: config.host,
    pid: config.pid,
    capacity: config.capacity,
    recipes: config.recipes.map((recipe) => ({ ...recipe })),
    nodes: running.map((node) => ({ name: node.name, type: node.type, recipe: node.recipe })),
  }).then(
    () => unreachable.reached(),
    (error: unknown) => unreachable.failed(error),
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
  reports.registered(heartbeatIntervalMs, registered.countersIntervalMs);
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
  const now = Date.now();
  let frames: Frames;
  try {
    frames = reports.frames({ masterEpoch, nodes: statuses, lagMs: lagMs(now), queues }, now);
  } catch {
    return;
  }
  sender.send(frames).catch(() => {});
}

function reRegister(): void {
  if (state === 'registered')
    post({ type: 'state', state: 'registering', masterEpoch, heartbeatIntervalMs });
  register();
}

function onMessage(message: MmopMessage): void {
  lastHeardAt = Date.now();
  replacements = 0;
  switch (message.kind) {
    case 'REGISTERED':
      return onRegistered(message);
    case 'HEARTBEAT-ACK':
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
      if (message.code === ReplyCode.NameTaken && state === 'registering') {
        // Another worker holds this name: trying again would not change that. The worker stops.
        leaving = true;
        clearTimeout(registerRetry);
        post({ type: 'refused', code: message.code, reason: message.reason });
        return;
      }
      if (message.code === ReplyCode.NotRegistered) {
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

async function receive(socket: Dealer): Promise<void> {
  try {
    for await (const frames of socket) {
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
    if (!closed && socket === dealer)
      fail(`the socket to the master failed: ${describeError(error)}`);
    return;
  }
  // The loop ends when the socket is closed: by 'close', by a replacement (then it is no longer `dealer`), or by a
  // fault; only the last leaves the link without a socket.
  if (!closed && socket === dealer) fail('the socket to the master closed unexpectedly');
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
    case 'queues':
      queues = message.queues;
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

register();
