/**
 * What a chaos scenario is: a load (inputs, pace, time limit), the cluster it runs on, and the faults it injects while
 * the load runs. The runner (run-scenario.ts) does the rest the same way for every scenario: a fresh vhost, the
 * cluster, the counting, the end state.
 */
import type { ChaosBroker } from './broker.js';
import type { ChaosCluster, QueueType } from './cluster.js';
import type { Tally } from './tally.js';
import type { InputPublisher, QueueInspector } from './traffic.js';

export interface Load {
  readonly inputs: number;
  /** Inputs per second; all at once (within the confirm window) when undefined. */
  readonly ratePerSec?: number;
  /** From the first input to the last output expected; past it, what has not arrived is missing. */
  readonly limitMs: number;
}

/** A scenario's load, from its short (`--short`) and full versions. */
export function loads(short: Load, full: Load): (short: boolean) => Load {
  return (isShort) => (isShort ? short : full);
}

/** Inputs at a steady pace, long enough for faults at several points: the load of the scenarios that kill processes. */
export const KILL_LOAD = loads(
  { inputs: 4_000, ratePerSec: 400, limitMs: 40_000 },
  { inputs: 12_000, ratePerSec: 600, limitMs: 120_000 },
);

export interface Scenario {
  readonly name: string;
  /** One sentence: what is done to the cluster. */
  readonly summary: string;
  /** @default 'quorum', the project's default since the broker-kill figures (docs/rabbitmq.md) */
  readonly queueType?: QueueType;
  /**
   * Read outputs only once the faults are over (the scenario calls `startReading()`): for a broker kill, so that no
   * ack of the reader's own is in flight when the broker dies (a classic queue may bring such messages back, and they
   * would be counted as the system's duplicates).
   */
  readonly readAfterFaults?: boolean;
  load(short: boolean): Load;
  /** Extra environment for the workers. */
  workerEnv?(short: boolean): NodeJS.ProcessEnv;
  /** Runs the load and injects the faults, each recorded with `context.fault()`. */
  act(context: ScenarioContext): Promise<void>;
}

export interface ScenarioContext {
  readonly short: boolean;
  readonly load: Load;
  readonly inputs: readonly string[];
  readonly broker: ChaosBroker;
  /** The scenario's vhost on the broker. */
  readonly url: string;
  readonly cluster: ChaosCluster;
  readonly tally: Tally;
  readonly publisher: InputPublisher;
  readonly inspector: QueueInspector;
  /** When the scenario's time limit ends. */
  readonly deadline: number;
  /** Records a fault at this moment: recovery is measured from each one. */
  fault(label: string): void;
  /** Starts reading outputs (scenarios with `readAfterFaults`). */
  startReading(): Promise<void>;
  /** A progress line on stderr. */
  log(line: string): void;
  /** Figures of the scenario's own, reported with the rest. */
  readonly extras: Record<string, unknown>;
}

/** One fault at a point of the load: when `atFraction` of the inputs have been sent, `run` starts (not awaited). */
export interface TimedFault {
  readonly atFraction: number;
  readonly run: () => Promise<void>;
}

/** Publishes the scenario's inputs at its pace and starts each fault at its point; resolves once all are done. */
export async function publishWithFaults(
  context: ScenarioContext,
  faults: readonly TimedFault[],
): Promise<void> {
  const running: Promise<void>[] = [];
  const marks = faults.map((fault) =>
    Math.max(1, Math.floor(fault.atFraction * context.inputs.length)),
  );
  await context.publisher.publish(context.inputs, context.load.ratePerSec, (sent) => {
    faults.forEach((fault, index) => {
      if (sent === marks[index]) running.push(fault.run());
    });
  });
  await Promise.all(running);
}

/** `publishWithFaults` with one fault. */
export function publishWithFault(
  context: ScenarioContext,
  atFraction: number,
  run: () => Promise<void>,
): Promise<void> {
  return publishWithFaults(context, [{ atFraction, run }]);
}
