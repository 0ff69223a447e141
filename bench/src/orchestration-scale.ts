/**
 * The scale scenario of `pnpm bench orchestration`: a real monomyth-master process and 10,000 simulated workers
 * (sim-fleet.ts) in a few processes of their own, each worker with 8 running nodes of 1,000 types in all, heartbeating
 * every second, the master asking for new counters every COUNTERS_INTERVAL_MS. Measured: the master's CPU share and
 * resident memory over ten seconds of steady heartbeats from idle nodes (each worker repeating its last heartbeat),
 * then from busy ones reporting new counters in every heartbeat (as workers do for a master at the default), then
 * from busy ones reporting them as the master asks, with heartbeat-to-ack latency in each, the time to place 10,000 nodes with one start request, the time to detect 1,000 workers
 * lost at once and to place their nodes again, and how long `monomyth workers --json` takes.
 *
 * MONOMYTH_BENCH_CPU_PROF=<dir> runs the master under `node --cpu-prof` and leaves its profile there;
 * MONOMYTH_BENCH_MASTER_LOG=<file> keeps its log (warnings and above).
 */
import { fork, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Dealer } from 'zeromq';
import { ControlClient } from '@monomyth/control';
import { MmopCodec } from '@monomyth/mmop';
import { freePort } from '@monomyth/testing';
import type { FleetCommand, FleetEvent } from './sim-workers.js';

const MASTER_BIN = fileURLToPath(new URL('../../apps/master/dist/main.js', import.meta.url));
const CONTROL_BIN = fileURLToPath(new URL('../../apps/control/dist/main.js', import.meta.url));
const FLEET_BIN = fileURLToPath(new URL('./sim-workers.js', import.meta.url));
/** The master's --counters-interval-ms: new node counters at most every 5 s from a worker whose nodes change in nothing else. */
const COUNTERS_INTERVAL_MS = 5000;

export interface ScaleOptions {
  readonly workers: number;
  readonly processes: number;
  readonly typeCount: number;
  readonly lose: number;
  readonly heartbeatMs: number;
  readonly heartbeatMisses: number;
}

export interface ScaleFigures {
  workers: number;
  /** Workers the master held once registration settled (all of them, unless it fell behind). */
  registered: number;
  registerMs: number;
  cpuPercent: number;
  rssMiB: number;
  peakRssMiB: number;
  heartbeatP50Ms: number;
  heartbeatP99Ms: number;
  heartbeatsPerSec: number;
  /** The same three with every heartbeat reporting new counters (busy nodes). */
  busyCpuPercent: number;
  busyHeartbeatP50Ms: number;
  busyHeartbeatP99Ms: number;
  /** And with busy nodes reporting new counters every countersIntervalMs. */
  busyAtIntervalCpuPercent: number;
  busyAtIntervalHeartbeatP99Ms: number;
  countersIntervalMs: number;
  placeNodesMs: number;
  nodesPlaced: number;
  lost: number;
  detectLossMs: number;
  replaceLossMs: number;
  replaced: number;
  livenessWindowMs: number;
  workersJsonMs: number;
  workersTypeLimitMs: number;
}

/** CPU seconds (user + system), resident and peak resident memory of a process, from /proc. */
function processUsage(pid: number): { cpuSeconds: number; rssBytes: number; peakBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const peakKiB = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return {
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100,
    rssBytes: Number(fields[21]) * 4096,
    peakBytes: peakKiB * 1024,
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

/** How long the fleets get to register. */
const REGISTER_WAIT_MS = 60_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class FleetProcess {
  readonly child: ChildProcess;
  readonly #waiters = new Map<FleetEvent['event'], (event: FleetEvent) => void>();

  constructor() {
    this.child = fork(FLEET_BIN, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (event: FleetEvent) => {
      const waiter = this.#waiters.get(event.event);
      this.#waiters.delete(event.event);
      waiter?.(event);
    });
  }

  tell(command: FleetCommand): void {
    this.child.send(command);
  }

  next<E extends FleetEvent['event']>(event: E): Promise<Extract<FleetEvent, { event: E }>> {
    return new Promise((resolve) =>
      this.#waiters.set(event, (got) => resolve(got as Extract<FleetEvent, { event: E }>)),
    );
  }

  async report(): Promise<Extract<FleetEvent, { event: 'report' }>> {
    const answer = this.next('report');
    this.tell({ cmd: 'report' });
    return answer;
  }
}

/** The number of workers registered, from one WORKER-INFO page of one entry (its `total`). */
async function registeredCount(dealer: Dealer, codec: MmopCodec, id: number): Promise<number> {
  await dealer.send(
    codec.encode({ kind: 'WORKER-INFO', requestId: `count-${id}`, offset: 0, limit: 1 }),
  );
  for (;;) {
    const reply = codec.decode(await dealer.receive());
    if (reply.kind === 'INFO-RESPONSE' && reply.requestId === `count-${id}`)
      return reply.total ?? -1;
  }
}

/** Runs the CLI as an operator would: how long it took and how many entries it listed (-1: it exited non-zero). */
function timeCli(endpoint: string, args: string[]): Promise<{ ms: number; listed: number }> {
  return new Promise((resolve) => {
    const begin = performance.now();
    const cli = spawn(process.execPath, [CONTROL_BIN, '--master', endpoint, '--json', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    cli.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    cli.on('exit', (code) => {
      const ms = performance.now() - begin;
      if (code !== 0) return resolve({ ms, listed: -1 });
      resolve({ ms, listed: (JSON.parse(out) as unknown[]).length });
    });
  });
}

export async function scaleScenario(
  options: ScaleOptions,
  log: (line: string) => void,
): Promise<ScaleFigures> {
  // A port free now: a random one can be in use, as the local end of one of the fleet's connections of a run before.
  const port = await freePort();
  const endpoint = `tcp://127.0.0.1:${port}`;
  const profileDir = process.env.MONOMYTH_BENCH_CPU_PROF;
  const master = spawn(
    process.execPath,
    [
      ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
      MASTER_BIN,
      '--bind',
      endpoint,
      '--heartbeat-ms',
      String(options.heartbeatMs),
      '--heartbeat-misses',
      String(options.heartbeatMisses),
      '--counters-interval-ms',
      String(COUNTERS_INTERVAL_MS),
      // The workers' running nodes set the desired counts while they register (as with a master that restarted).
      '--recovery-window-ms',
      '600000',
      '--log-level',
      'warn',
    ],
    {
      stdio: [
        'ignore',
        process.env.MONOMYTH_BENCH_MASTER_LOG
          ? openSync(process.env.MONOMYTH_BENCH_MASTER_LOG, 'w')
          : 'ignore',
        'inherit',
      ],
    },
  );
  const perProcess = Math.ceil(options.workers / options.processes);
  const fleets: FleetProcess[] = [];
  const codec = new MmopCodec();
  const probe = new Dealer({ linger: 0 });
  probe.connect(endpoint);
  const control = new ControlClient({ master: endpoint, timeoutMs: 60_000 });
  try {
    await control.ping();
    const registerBegin = performance.now();
    for (let p = 0; p < options.processes; p++) {
      const fleet = new FleetProcess();
      fleet.tell({
        cmd: 'start',
        options: {
          endpoint,
          first: p * perProcess,
          count: Math.min(perProcess, options.workers - p * perProcess),
          typeCount: options.typeCount,
          heartbeatMs: options.heartbeatMs,
        },
      });
      fleets.push(fleet);
    }
    // A master that cannot keep up loses workers while others register: the figures then say how many it holds.
    await Promise.race([
      Promise.all(fleets.map((fleet) => fleet.next('registered'))),
      sleep(REGISTER_WAIT_MS),
    ]);
    const registerMs = performance.now() - registerBegin;
    const registered = await registeredCount(probe, codec, 0);
    log(
      `  ${registered} of ${options.workers} workers registered after ${Math.round(registerMs)} ms`,
    );

    // Steady heartbeats: settle, then measure the master's CPU and the acks' latency; idle nodes, then busy ones.
    await sleep(3000);
    const idle = await steadyWindow(master.pid!, fleets);
    for (const fleet of fleets) fleet.tell({ cmd: 'load', load: 'busy' });
    await sleep(2000);
    const busy = await steadyWindow(master.pid!, fleets);
    for (const fleet of fleets) fleet.tell({ cmd: 'load', load: 'busy-at-interval' });
    await sleep(2000);
    const busyAtInterval = await steadyWindow(master.pid!, fleets);
    for (const fleet of fleets) fleet.tell({ cmd: 'load', load: 'idle' });

    // One start request for 10,000 nodes of the type every worker offers.
    for (const fleet of fleets) fleet.tell({ cmd: 'reset-starts' });
    const placeBegin = performance.now();
    // A master that fell behind may place none: the figures say so rather than the run stopping here.
    const placed = await control
      .startNode('PLACE', options.workers, { timeoutMs: 120_000 })
      .catch((error: unknown) => {
        log(`  start PLACE -n ${options.workers} failed: ${String(error).slice(0, 200)}`);
        return { type: 'PLACE', started: [], failures: [] };
      });
    const placeNodesMs = performance.now() - placeBegin;
    log(
      `  ${placed.started.length} of ${options.workers} nodes placed, ${placed.failures.length} failures`,
    );

    const workersJson = await timeCli(endpoint, ['workers']);
    const typeLimit = await timeCli(endpoint, ['workers', '--type', 'T7', '--limit', '20']);
    log(
      `  monomyth workers --json listed ${workersJson.listed}; --type T7 --limit 20 listed ${typeLimit.listed}`,
    );

    // A tenth of the workers lost at once: when does the master notice, and when are their nodes running elsewhere?
    for (const fleet of fleets) fleet.tell({ cmd: 'reset-starts' });
    const perFleet = Math.ceil(options.lose / fleets.length);
    const lossBegin = performance.now();
    for (const fleet of fleets) fleet.tell({ cmd: 'kill', count: perFleet });
    const lost = perFleet * fleets.length;
    const beforeLoss = await registeredCount(probe, codec, 1);
    let detectLossMs = Number.NaN;
    for (let i = 2; performance.now() - lossBegin < 60_000; i++) {
      if ((await registeredCount(probe, codec, i)) <= beforeLoss - lost) {
        detectLossMs = performance.now() - lossBegin;
        break;
      }
      await sleep(50);
    }
    // Each lost worker ran its 8 nodes and one PLACE node.
    const toReplace = lost * 9;
    let replaced = 0;
    let replaceLossMs = Number.NaN;
    while (performance.now() - lossBegin < 60_000) {
      replaced = (await Promise.all(fleets.map((fleet) => fleet.report()))).reduce(
        (sum, report) => sum + report.startsReceived,
        0,
      );
      if (replaced >= toReplace) {
        replaceLossMs = performance.now() - lossBegin;
        break;
      }
      await sleep(100);
    }
    const end = processUsage(master.pid!);
    return {
      workers: options.workers,
      registered,
      registerMs,
      cpuPercent: idle.cpuPercent,
      rssMiB: idle.rssBytes / 1024 / 1024,
      peakRssMiB: end.peakBytes / 1024 / 1024,
      heartbeatP50Ms: percentile(idle.latencies, 0.5),
      heartbeatP99Ms: percentile(idle.latencies, 0.99),
      heartbeatsPerSec: idle.latencies.length / idle.seconds,
      busyCpuPercent: busy.cpuPercent,
      busyHeartbeatP50Ms: percentile(busy.latencies, 0.5),
      busyHeartbeatP99Ms: percentile(busy.latencies, 0.99),
      busyAtIntervalCpuPercent: busyAtInterval.cpuPercent,
      busyAtIntervalHeartbeatP99Ms: percentile(busyAtInterval.latencies, 0.99),
      countersIntervalMs: COUNTERS_INTERVAL_MS,
      placeNodesMs,
      nodesPlaced: placed.started.length,
      lost,
      detectLossMs,
      replaceLossMs,
      replaced,
      livenessWindowMs: options.heartbeatMs * options.heartbeatMisses,
      workersJsonMs: workersJson.ms,
      workersTypeLimitMs: typeLimit.ms,
    };
  } finally {
    control.close();
    probe.close();
    for (const fleet of fleets) {
      if (fleet.child.connected) fleet.tell({ cmd: 'close' });
    }
    await sleep(500);
    for (const fleet of fleets) fleet.child.kill('SIGKILL');
    // SIGTERM: the master closes and exits, writing its CPU profile if asked for one.
    const exited = new Promise((resolve) => master.once('exit', resolve));
    master.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    master.kill('SIGKILL');
  }
}

/** Ten seconds of heartbeats: the master's CPU share and resident size, and every heartbeat's time to its ack. */
async function steadyWindow(
  pid: number,
  fleets: readonly FleetProcess[],
): Promise<{ cpuPercent: number; rssBytes: number; latencies: number[]; seconds: number }> {
  for (const fleet of fleets) fleet.tell({ cmd: 'measure', on: true });
  const before = processUsage(pid);
  const begin = performance.now();
  await sleep(10_000);
  const seconds = (performance.now() - begin) / 1000;
  const after = processUsage(pid);
  for (const fleet of fleets) fleet.tell({ cmd: 'measure', on: false });
  const latencies = (await Promise.all(fleets.map((fleet) => fleet.report())))
    .flatMap((report) => report.latencies)
    .sort((a, b) => a - b);
  return {
    cpuPercent: ((after.cpuSeconds - before.cpuSeconds) / seconds) * 100,
    rssBytes: after.rssBytes,
    latencies,
    seconds,
  };
}

export function describeScale(figures: ScaleFigures): string[] {
  const ms = (value: number): string => `${Math.round(value)} ms`;
  return [
    `master with ${figures.workers} simulated workers x 8 nodes heartbeating every second (${figures.registered} registered):`,
    `  ${figures.cpuPercent.toFixed(1)}% of a core, ${figures.rssMiB.toFixed(0)} MiB resident (peak ${figures.peakRssMiB.toFixed(0)} MiB), ${Math.round(figures.heartbeatsPerSec)} heartbeats/s acked`,
    `  heartbeat to ack: p50 ${figures.heartbeatP50Ms.toFixed(1)} ms, p99 ${figures.heartbeatP99Ms.toFixed(1)} ms (idle nodes: every heartbeat repeats the last)`,
    `  busy nodes (new counters in every heartbeat): ${figures.busyCpuPercent.toFixed(1)}% of a core, heartbeat to ack p50 ${figures.busyHeartbeatP50Ms.toFixed(1)} ms, p99 ${figures.busyHeartbeatP99Ms.toFixed(1)} ms`,
    `  busy nodes, new counters every ${figures.countersIntervalMs} ms (--counters-interval-ms): ${figures.busyAtIntervalCpuPercent.toFixed(1)}% of a core, heartbeat to ack p99 ${figures.busyAtIntervalHeartbeatP99Ms.toFixed(1)} ms`,
    `  start PLACE -n ${figures.nodesPlaced}: ${ms(figures.placeNodesMs)}`,
    `  monomyth workers --json: ${ms(figures.workersJsonMs)}; workers --type T7 --limit 20: ${ms(figures.workersTypeLimitMs)}`,
    `  ${figures.lost} workers lost at once: detected after ${ms(figures.detectLossMs)} (liveness window ${figures.livenessWindowMs} ms), ${figures.replaced} nodes placed again after ${ms(figures.replaceLossMs)}`,
  ];
}
