/**
 * `pnpm bench orchestration`: the control plane's costs.
 * 1. Control round trips per second with 100 in flight (ControlClient.ping through the master), beside raw zeromq.js
 *    ROUTER/DEALER round trips with 100 in flight, in the same run and process. Goal: ratio >= 0.5. The same again
 *    with CURVE on both (the master with its key and a controllers directory, the raw pair with curveServer): goal
 *    `curveRatio` >= 0.5.
 * 2. The time to start 200 nodes across 4 workers with one start request.
 * 3. The master's CPU and memory (it runs as its own process, the monomyth-master app) while 200 simulated workers,
 *    each with 4 nodes, heartbeat every second: in plain text, then with CURVE (each worker its own key), then with
 *    --http scraped every second (/metrics and /api/cluster).
 * 4. At scale (orchestration-scale.ts): 10,000 simulated workers x 8 nodes; the last line's `scale10k`. Goals: under 50%
 *    of a core and 1 GB, heartbeat p99 under 50 ms, 10,000 nodes placed in under 10 s, 1,000 lost workers detected
 *    within the liveness window plus one heartbeat. MONOMYTH_BENCH_SCALE_ONLY=1 runs this part alone.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Context, Dealer, Router } from 'zeromq';
import { ControlClient } from '@monomyth/control';
import { Master } from '@monomyth/master';
import {
  MmopCodec,
  OrderedSender,
  freshNodeStatus,
  generateCurveKeyPair,
  newInstance,
  routingIdFor,
} from '@monomyth/mmop';
import type { CurveKeyPair, NodeStatus } from '@monomyth/mmop';
import { defineSystem } from '@monomyth/node';
import { MemoryBroker, MemoryStreamAdapter } from '@monomyth/node/memory';
import { Worker } from '@monomyth/worker';
import { formatRate, round } from './measure.js';
import { curveClientOptions, curveServerOptions, curveSetup } from './orchestration-curve.js';
import type { CurveSetup } from './orchestration-curve.js';
import { describeScale, scaleScenario } from './orchestration-scale.js';
import type { ScaleFigures } from './orchestration-scale.js';

const IN_FLIGHT = 100;
/** Round trips per contender and round. */
const ROUND_TRIPS = 10_000;
/**
 * The four round-trip contenders run in turn this many times and each keeps its median: the machine's speed drifts
 * (other processes share its cores), and turns spread the drift over all of them alike.
 */
const ROUNDS = 3;
const WARM_UP_ROUND_TRIPS = 3_000;

/** Keeps `inFlight` requests going until `total` have completed; returns completions per second. */
async function pipelined(
  total: number,
  inFlight: number,
  request: () => Promise<unknown>,
): Promise<number> {
  let started = 0;
  const begin = performance.now();
  const lane = async (): Promise<void> => {
    while (started < total) {
      started += 1;
      await request();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return (total / (performance.now() - begin)) * 1000;
}

/**
 * The best plain zeromq.js loop for the same exchange: an echo ROUTER, and a DEALER that keeps 100 requests in flight
 * by sending the next one as each reply arrives, from its receive loop (no queue, no per-request promise). With
 * `curve`, both sockets encrypt (no ZAP handler: it runs once per connection, not per message), and the ROUTER gets a
 * ZeroMQ context of its own, as a CURVE master's ROUTER has (for its ZAP handler): an I/O thread of its own, which the
 * plain master and the plain raw pair do not get, so the CURVE pair is compared with like.
 */
async function rawRoundTrips(
  curve:
    | {
        server: CurveKeyPair;
        client: CurveKeyPair;
      }
    | undefined,
  total = ROUND_TRIPS,
): Promise<number> {
  const router = new Router({
    linger: 0,
    ...(curve && { ...curveServerOptions(curve.server), context: new Context() }),
  });
  await router.bind('tcp://127.0.0.1:*');
  const dealer = new Dealer({
    linger: 0,
    ...(curve && curveClientOptions(curve.client, curve.server.publicKey)),
  });
  dealer.connect(router.lastEndpoint!);
  const serving = (async () => {
    for await (const frames of router) await router.send(frames);
  })();
  const request = [Buffer.from('MMOP/1'), Buffer.from('PING'), Buffer.from('request')];
  const begin = performance.now();
  for (let i = 0; i < IN_FLIGHT; i++) await dealer.send(request);
  let sent = IN_FLIGHT;
  let received = 0;
  for await (const _reply of dealer) {
    received += 1;
    if (received === total) break;
    if (sent < total) {
      sent += 1;
      await dealer.send(request);
    }
  }
  const rate = (total / (performance.now() - begin)) * 1000;
  dealer.close();
  router.close();
  await serving.catch(() => {});
  return rate;
}

async function controlRoundTrips(curve?: CurveSetup, total = ROUND_TRIPS): Promise<number> {
  const master = await Master.create({
    bind: 'tcp://127.0.0.1:*',
    ...(curve && {
      curveSecretKey: curve.master.secretKey,
      controllersKeysDir: curve.controllersDir,
    }),
  });
  const client = new ControlClient({
    master: master.endpoint,
    timeoutMs: 30_000,
    ...(curve && { curveSecretKey: curve.controller.secretKey, masterKey: curve.master.publicKey }),
  });
  await client.ping();
  const rate = await pipelined(total, IN_FLIGHT, () => client.ping());
  client.close();
  await master.close();
  return rate;
}

async function startManyNodes(): Promise<number> {
  const system = defineSystem({
    name: 'idle',
    nodes: [{ name: 'IDLE', transform: (value: unknown) => value }],
  });
  const broker = new MemoryBroker();
  const master = await Master.create({ bind: 'tcp://127.0.0.1:*' });
  const workers: Worker[] = [];
  const adapters: MemoryStreamAdapter[] = [];
  for (let i = 0; i < 4; i++) {
    const adapter = new MemoryStreamAdapter({ broker });
    await adapter.open();
    const worker = new Worker({
      master: master.endpoint,
      system,
      adapter,
      capacity: 100,
      registerRetryMs: 100,
    });
    worker.start();
    workers.push(worker);
    adapters.push(adapter);
  }
  const client = new ControlClient({ master: master.endpoint });
  while ((await client.workers()).length < 4)
    await new Promise((resolve) => setTimeout(resolve, 20));
  const begin = performance.now();
  const result = await client.startNode('IDLE', 200);
  const ms = performance.now() - begin;
  if (result.started.length !== 200)
    throw new Error(`only ${result.started.length} of 200 nodes started`);
  client.close();
  await Promise.all(workers.map((worker) => worker.close({ drainTimeoutMs: 1000 })));
  await Promise.all(adapters.map((adapter) => adapter.close()));
  await master.close();
  return ms;
}

/** CPU seconds (user + system) and resident memory of a process, from /proc. */
function processUsage(pid: number): { cpuSeconds: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssPages = Number(fields[21]);
  return { cpuSeconds: ticks / 100, rssBytes: rssPages * 4096 };
}

interface HeartbeatLoad {
  cpuPercent: number;
  rssMiB: number;
  heartbeatsPerSec: number;
  registered: number;
}

/**
 * With `scraped`, the master serves --http and is scraped as Prometheus and the dashboard would: /metrics and
 * /api/cluster once a second each, while the CPU is measured.
 */
export async function heartbeatLoad(curve?: CurveSetup, scraped = false): Promise<HeartbeatLoad> {
  const masterBin = fileURLToPath(new URL('../../apps/master/dist/main.js', import.meta.url));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const endpoint = `tcp://127.0.0.1:${port}`;
  const http = `127.0.0.1:${port + 1}`;
  const curveFlags = curve
    ? [
        '--curve-secret-key',
        curve.master.secretFile,
        '--workers-keys',
        curve.workersDir,
        '--controllers-keys',
        curve.controllersDir,
      ]
    : [];
  const child = spawn(
    process.execPath,
    [
      ...[masterBin, '--bind', endpoint, '--heartbeat-ms', '1000', '--log-level', 'warn'],
      ...curveFlags,
      ...(scraped ? ['--http', http] : []),
    ],
    {
      stdio: 'ignore',
    },
  );
  const codec = new MmopCodec();
  const sockets: { dealer: Dealer; sender: OrderedSender; nodes: NodeStatus[] }[] = [];
  for (let i = 0; i < 200; i++) {
    const id = `sim-worker-${i}`;
    const keys = curve?.workers[i];
    const dealer = new Dealer({
      linger: 0,
      // Under CURVE the routing id must name the worker's key and prove it, as the worker's own link does.
      routingId:
        curve && keys
          ? (routingIdFor(newInstance(), {
              ...keys,
              serverKey: curve.master.publicKey,
            }) as unknown as string)
          : id,
      ...(curve && keys && curveClientOptions(keys, curve.master.publicKey)),
    });
    dealer.connect(endpoint);
    const sender = new OrderedSender((frames) => dealer.send(frames));
    const nodes = Array.from({ length: 4 }, (_, n) =>
      freshNodeStatus(`STAGE${n}:${id}-${n}`, `STAGE${n}`, 'running'),
    );
    void sender.send(
      codec.encode({
        kind: 'READY',
        workerId: id,
        host: 'sim',
        pid: i,
        capacity: 16,
        recipes: nodes.map((node) => ({ type: node.type })),
        nodes: nodes.map((node) => ({
          name: node.name,
          type: node.type,
          recipe: { type: node.type },
        })),
      }),
    );
    // Replies are not needed: drain them so the sockets do not fill up.
    void (async () => {
      for await (const frames of dealer) void frames;
    })().catch(() => {});
    sockets.push({ dealer, sender, nodes });
  }
  let beats = 0;
  const beat = setInterval(() => {
    for (const socket of sockets) {
      for (const node of socket.nodes) node.processed += 100;
      beats += 1;
      void socket.sender
        .send(codec.encode({ kind: 'HEARTBEAT', masterEpoch: '', nodes: socket.nodes }))
        .catch(() => {});
    }
  }, 1000);
  let scrapes = 0;
  const scraper =
    scraped &&
    setInterval(() => {
      for (const path of ['/metrics', '/api/cluster'])
        void fetch(`http://${http}${path}`)
          .then((response) => response.text())
          .then(
            () => (scrapes += 1),
            () => {},
          );
    }, 1000);
  // Let the registrations settle, then measure over ten seconds of steady heartbeats.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const before = processUsage(child.pid!);
  const beatsBefore = beats;
  const begin = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const seconds = (performance.now() - begin) / 1000;
  const after = processUsage(child.pid!);
  clearInterval(beat);
  if (scraper) clearInterval(scraper);
  if (scraped && scrapes === 0) {
    child.kill('SIGTERM');
    throw new Error(`the master's --http on ${http} answered no scrape`);
  }
  // Every simulated worker must have registered, or the figure would flatter a master that refused them.
  const client = new ControlClient({
    master: endpoint,
    timeoutMs: 10_000,
    ...(curve && { curveSecretKey: curve.controller.secretKey, masterKey: curve.master.publicKey }),
  });
  const registered = (await client.workers()).length;
  client.close();
  if (registered !== sockets.length) {
    child.kill('SIGTERM');
    throw new Error(
      `only ${registered} of ${sockets.length} simulated workers registered${curve ? ' under CURVE' : ''}`,
    );
  }
  for (const socket of sockets) {
    socket.sender.close();
    socket.dealer.close();
  }
  child.kill('SIGTERM');
  return {
    cpuPercent: ((after.cpuSeconds - before.cpuSeconds) / seconds) * 100,
    rssMiB: after.rssBytes / 1024 / 1024,
    heartbeatsPerSec: (beats - beatsBefore) / seconds,
    registered,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function describeLoad(label: string, load: HeartbeatLoad): string {
  return `master with 200 workers x 4 nodes heartbeating every second${label}: ${load.cpuPercent.toFixed(1)}% of a core, ${load.rssMiB.toFixed(0)} MiB resident (${Math.round(load.heartbeatsPerSec)} heartbeats/s, ${load.registered} registered)`;
}

interface RoundTrips {
  raw: number;
  control: number;
  rawCurve: number;
  controlCurve: number;
}

/** The four round-trip contenders, in turns; prints each one's median and turns, and returns the medians. */
async function roundTrips(curve: CurveSetup): Promise<RoundTrips> {
  const serverKeys = generateCurveKeyPair();
  const clientKeys = generateCurveKeyPair();
  const runs: Record<keyof RoundTrips, number[]> = {
    raw: [],
    control: [],
    rawCurve: [],
    controlCurve: [],
  };
  // A short turn of each first, uncounted: the first runs of a process are slower while the JIT warms up.
  await rawRoundTrips(undefined, WARM_UP_ROUND_TRIPS);
  await controlRoundTrips(undefined, WARM_UP_ROUND_TRIPS);
  await rawRoundTrips({ server: serverKeys, client: clientKeys }, WARM_UP_ROUND_TRIPS);
  await controlRoundTrips(curve, WARM_UP_ROUND_TRIPS);
  for (let turn = 0; turn < ROUNDS; turn++) {
    runs.raw.push(await rawRoundTrips(undefined));
    runs.control.push(await controlRoundTrips());
    // The master's ZAP handler lives in its own zeromq context, so it never sees the raw pair's handshake.
    runs.rawCurve.push(await rawRoundTrips({ server: serverKeys, client: clientKeys }));
    runs.controlCurve.push(await controlRoundTrips(curve));
  }
  const medians: RoundTrips = {
    raw: median(runs.raw),
    control: median(runs.control),
    rawCurve: median(runs.rawCurve),
    controlCurve: median(runs.controlCurve),
  };
  const line = (label: string, key: keyof RoundTrips, base?: keyof RoundTrips): void => {
    const turns = runs[key].map((value) => Math.round(value)).join(', ');
    const ratio = base === undefined ? '' : `   ratio ${round(medians[key] / medians[base])}`;
    console.log(`  ${label.padEnd(38)} ${formatRate(medians[key])}${ratio}   (turns: ${turns})`);
  };
  console.log(
    `round trips, ${IN_FLIGHT} in flight (median of ${ROUNDS} turns of ${ROUND_TRIPS} each)`,
  );
  line('raw zeromq.js ROUTER/DEALER', 'raw');
  line('control client -> master PING', 'control', 'raw');
  line('raw zeromq.js ROUTER/DEALER, CURVE', 'rawCurve');
  line('control client -> master PING, CURVE', 'controlCurve', 'rawCurve');
  return medians;
}

/** The scale scenario's figures as the last line's `scale10k`. */
async function scale10k(): Promise<Record<string, unknown>> {
  const figures: ScaleFigures = await scaleScenario(
    {
      // MONOMYTH_BENCH_SCALE_WORKERS runs it smaller (on a machine that cannot hold 10,000); the key stays scale10k.
      workers: Number(process.env.MONOMYTH_BENCH_SCALE_WORKERS ?? 10_000),
      processes: 4,
      typeCount: 1000,
      lose: Math.round(Number(process.env.MONOMYTH_BENCH_SCALE_WORKERS ?? 10_000) / 10),
      heartbeatMs: 1000,
      heartbeatMisses: 3,
    },
    (line) => console.log(line),
  );
  for (const line of describeScale(figures)) console.log(line);
  return {
    scale10k: {
      workers: figures.workers,
      cpuPercent: round(figures.cpuPercent, 1),
      rssMiB: round(figures.rssMiB, 1),
      peakRssMiB: round(figures.peakRssMiB, 1),
      heartbeatP50Ms: round(figures.heartbeatP50Ms, 1),
      heartbeatP99Ms: round(figures.heartbeatP99Ms, 1),
      busyCpuPercent: round(figures.busyCpuPercent, 1),
      busyHeartbeatP99Ms: round(figures.busyHeartbeatP99Ms, 1),
      busyAtIntervalCpuPercent: round(figures.busyAtIntervalCpuPercent, 1),
      busyAtIntervalHeartbeatP99Ms: round(figures.busyAtIntervalHeartbeatP99Ms, 1),
      placeNodesMs: Math.round(figures.placeNodesMs),
      detectLossMs: Math.round(figures.detectLossMs),
      replaceLossMs: Math.round(figures.replaceLossMs),
      workersJsonMs: Math.round(figures.workersJsonMs),
      workersTypeLimitMs: Math.round(figures.workersTypeLimitMs),
      registerMs: Math.round(figures.registerMs),
      registered: figures.registered,
      nodesPlaced: figures.nodesPlaced,
      replaced: figures.replaced,
    },
  };
}

export async function runOrchestrationBench(): Promise<Record<string, unknown>> {
  if (process.env.MONOMYTH_BENCH_SCALE_ONLY === '1')
    return { bench: 'orchestration', ...(await scale10k()) };
  const curve = await curveSetup(200);
  try {
    const { raw, control, rawCurve, controlCurve } = await roundTrips(curve);
    const startMs = await startManyNodes();
    console.log(`start 200 nodes across 4 workers: ${Math.round(startMs)} ms`);
    const load = await heartbeatLoad();
    console.log(describeLoad('', load));
    const curveLoad = await heartbeatLoad(curve);
    console.log(describeLoad(', CURVE', curveLoad));
    const scrapedLoad = await heartbeatLoad(undefined, true);
    console.log(describeLoad(', --http scraped every second', scrapedLoad));
    return {
      bench: 'orchestration',
      rawRoundTripsPerSec: Math.round(raw),
      controlRoundTripsPerSec: Math.round(control),
      ratio: round(control / raw),
      rawCurveRoundTripsPerSec: Math.round(rawCurve),
      controlCurveRoundTripsPerSec: Math.round(controlCurve),
      curveRatio: round(controlCurve / rawCurve),
      start200NodesMs: Math.round(startMs),
      masterCpuPercentAt200Workers: round(load.cpuPercent, 1),
      masterRssMiBAt200Workers: round(load.rssMiB, 1),
      masterCpuPercentAt200CurveWorkers: round(curveLoad.cpuPercent, 1),
      masterRssMiBAt200CurveWorkers: round(curveLoad.rssMiB, 1),
      registeredCurveWorkers: curveLoad.registered,
      masterCpuPercentAt200WorkersScraped: round(scrapedLoad.cpuPercent, 1),
      masterRssMiBAt200WorkersScraped: round(scrapedLoad.rssMiB, 1),
      ...(await scale10k()),
    };
  } finally {
    rmSync(curve.dir, { recursive: true, force: true });
  }
}
