/**
 * Runs one scenario the way every scenario runs: in a vhost of its own, a master and two supervised workers with two
 * nodes of each four-stage type, the scenario's load and faults, then the count. After the last expected output (or
 * the time limit) a quiet period catches late duplicates; then the cluster gets a moment to converge and is read:
 * which types have no node running, how many nodes gave up, what the fail queues hold, what is stuck in the queues.
 */
import { fileURLToPath } from 'node:url';
import { randomInputs } from '@monomyth/example-four-stage/dist/inputs.js';
import type { ChaosBroker } from './broker.js';
import { ChaosCluster, sleep } from './cluster.js';
import type { ClusterWatch } from './cluster.js';
import { POISON_BODY } from './poison.js';
import type { ScenarioResult } from './report.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import { Tally } from './tally.js';
import { InputPublisher, OutputReader, QueueInspector } from './traffic.js';

export const TYPES = ['TEST-NODE1', 'TEST-NODE2', 'TEST-NODE3', 'TEST-NODE4'] as const;
export const INPUT_QUEUE = 'START-to-TEST-NODE1';
export const OUTPUT_QUEUE = 'TEST-NODE4-to-END';
/** Where messages wait between stages: what is left in them at the end is stuck. */
const INNER_QUEUES = [
  INPUT_QUEUE,
  'TEST-NODE1-to-TEST-NODE2',
  'TEST-NODE2-to-TEST-NODE3',
  'TEST-NODE3-to-TEST-NODE4',
];
const SYSTEM = fileURLToPath(new URL('./chaos-system.js', import.meta.url));

/**
 * Liveness in the chaos run: a worker silent for 4 x 500 ms is lost. The faults last well past these 2 s; a busy
 * two-core machine does not trip it by accident.
 */
const HEARTBEAT_MS = 500;
const HEARTBEAT_MISSES = 4;
/** How long reading outputs is tried again after a broker restart. */
const READER_RETRY_MS = 30_000;

export function vhostOf(scenario: Scenario): string {
  return `chaos-${scenario.name}`;
}

export async function runScenario(
  scenario: Scenario,
  broker: ChaosBroker,
  short: boolean,
  log: (line: string) => void,
): Promise<ScenarioResult> {
  const load = scenario.load(short);
  const queueType = scenario.queueType ?? 'quorum';
  const url = broker.url(vhostOf(scenario));
  const tally = new Tally();
  const faults: { label: string; at: number }[] = [];
  const extras: Record<string, unknown> = {};
  const inspector = new QueueInspector(url);
  const started = Date.now();
  let cluster: ChaosCluster | undefined;
  let publisher: InputPublisher | undefined;
  let reader: OutputReader | undefined;
  let error: string | undefined;
  let timedOut = false;
  let allInAt: number | undefined;
  let watch: ClusterWatch | undefined;
  const say = (line: string): void => log(`${scenario.name}: ${line}`);
  try {
    cluster = await ChaosCluster.start({
      amqpUrl: url,
      queueType,
      system: SYSTEM,
      types: TYPES,
      workers: 2,
      perType: 2,
      heartbeatMs: HEARTBEAT_MS,
      heartbeatMisses: HEARTBEAT_MISSES,
      workerEnv: scenario.workerEnv?.(short),
    });
    say(`cluster up in ${Date.now() - started} ms; ${load.inputs} inputs`);
    publisher = await InputPublisher.open(url, INPUT_QUEUE, tally);
    // After a broker restart its queues come back one by one (a quorum queue elects its leader first): a consume that
    // comes too early ends its channel. Try again for a while rather than count the run's own haste as the system's.
    const startReading = async (): Promise<void> => {
      const giveUpAt = Date.now() + READER_RETRY_MS;
      while (reader === undefined) {
        try {
          reader = await OutputReader.open(url, OUTPUT_QUEUE, tally);
        } catch (caught) {
          if (Date.now() > giveUpAt) throw caught;
          await sleep(500);
        }
      }
    };
    if (!scenario.readAfterFaults) await startReading();
    const watcher = cluster.watch();
    const loadStarted = Date.now();
    const deadline = loadStarted + load.limitMs;
    const context: ScenarioContext = {
      short,
      load,
      inputs: randomInputs(load.inputs),
      broker,
      url,
      cluster,
      tally,
      publisher,
      inspector,
      deadline,
      fault: (label) => {
        faults.push({ label, at: Date.now() });
        say(`${label} at ${((Date.now() - loadStarted) / 1000).toFixed(1)} s`);
      },
      startReading,
      log: say,
      extras,
    };
    timedOut = !(await within(scenario.act(context), deadline));
    await startReading();
    while (tally.counts().missing > 0 && Date.now() < deadline) await sleep(100);
    if (tally.counts().missing === 0) allInAt = Date.now();
    else timedOut = true;
    await sleep(short ? 2_000 : 3_000);
    watch = await watcher.stop();
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
    say(`error: ${error}`);
    if (cluster) log(cluster.logs());
  }

  const end = allInAt ?? Date.now();
  const state = cluster ? await cluster.settle(short ? 8_000 : 15_000) : undefined;
  await reader?.close();
  await publisher?.close();
  if (tally.wrongSamples.length > 0) extras.wrongSamples = tally.wrongSamples;
  if (tally.counts().missing > 0) extras.missingSamples = tally.missingSamples();
  const failQueues: Record<string, number> = {};
  let poisonInFail = 0;
  for (const type of TYPES) {
    const { messages, poison } = await inspector.drain(`${type}-fail`, POISON_BODY);
    if (messages > 0) failQueues[`${type}-fail`] = messages;
    poisonInFail += poison;
  }
  // Stuck is counted once the workers are gone: what a node still held unacknowledged is back in its queue by then.
  await cluster?.close();
  await sleep(500);
  let stuck = 0;
  for (const queue of INNER_QUEUES) stuck += await inspector.depth(queue);
  const unread = await inspector.depth(OUTPUT_QUEUE);
  await inspector.close();

  const counts = tally.counts();
  const recoveryMs = tally.recoveryMs(faults.map((fault) => fault.at));
  const firstFault = faults[0]?.at;
  return {
    scenario: scenario.name,
    queueType,
    ...counts,
    recoveryMs: recoveryMs ?? null,
    slowestMs: tally.slowestMs(),
    longestGapMs: firstFault === undefined ? null : tally.longestGapMs(firstFault, end),
    faults: faults.map((fault) => ({ label: fault.label, atMs: fault.at - started })),
    failQueues,
    poisonInFail,
    stuck,
    unread,
    stoppedTypes: state?.stoppedTypes ?? [...TYPES],
    gaveUp: state?.gaveUp ?? 0,
    crashes: state?.crashes ?? 0,
    workerExits: state?.workerExits ?? 0,
    converged: state?.converged ?? false,
    peakRunning: watch?.peakRunning ?? 0,
    statesSeen: watch?.statesSeen ?? [],
    workerLosses: watch?.workerLosses ?? 0,
    recipes: state?.recipes ?? [],
    workers: state?.workers ?? [],
    timedOut,
    durationMs: Date.now() - started,
    ...(error === undefined ? {} : { error }),
    extras,
  };
}

/** Whether `work` settled by `deadline`; its failure is the scenario's error. */
async function within(work: Promise<void>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
    // A scenario still running past its limit ends with the cluster; its late failure says nothing more.
    work.catch(() => {});
  }
}
