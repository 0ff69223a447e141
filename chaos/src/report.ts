/**
 * A scenario's figures, the one line printed for it, and the verdict: a scenario passes when nothing confirmed is
 * missing, nothing wrong came out, and no stage stopped (no type with 0 nodes running at the end, no node that gave
 * up). Duplicates, recovery and the rest are reported, not judged: they are the figures to compare runs by.
 */
import type { QueueType } from './cluster.js';

export interface ScenarioResult {
  readonly scenario: string;
  readonly queueType: QueueType;
  readonly inputs: number;
  readonly outputs: number;
  readonly missing: number;
  readonly wrong: number;
  readonly duplicates: number;
  /** How long after a fault outputs still came late (the worst fault); null while an input is missing. */
  readonly recoveryMs: number | null;
  /** The longest any input took from confirm to output. */
  readonly slowestMs: number;
  /** The longest time with no output at all, from the first fault to the last expected output. */
  readonly longestGapMs: number | null;
  readonly faults: readonly { label: string; atMs: number }[];
  /** Messages found in each fail queue at the end (the poison included). */
  readonly failQueues: Readonly<Record<string, number>>;
  /** Fail-queue messages that are the poison message. */
  readonly poisonInFail: number;
  /** Messages left in the input and inner queues at the end. */
  readonly stuck: number;
  /** Outputs that came after the run stopped reading (past the time limit and the quiet period). */
  readonly unread: number;
  readonly stoppedTypes: readonly string[];
  readonly gaveUp: number;
  readonly crashes: number;
  readonly workerExits: number;
  /** Every type back at the count started, desired unchanged. */
  readonly converged: boolean;
  /** The most nodes of one type running at once while the scenario ran (2 were started). */
  readonly peakRunning: number;
  /** Worker states the master reported while the scenario ran. */
  readonly statesSeen: readonly string[];
  /** Times a worker vanished from the master's list. */
  readonly workerLosses: number;
  readonly recipes: readonly { type: string; desired: number; running: number }[];
  readonly workers: readonly { workerId: string; state: string }[];
  readonly timedOut: boolean;
  readonly durationMs: number;
  readonly error?: string;
  readonly extras: Readonly<Record<string, unknown>>;
}

export function stopped(result: ScenarioResult): boolean {
  return result.stoppedTypes.length > 0 || result.gaveUp > 0;
}

export function passed(result: ScenarioResult): boolean {
  return (
    result.error === undefined && result.missing === 0 && result.wrong === 0 && !stopped(result)
  );
}

function seconds(ms: number | null): string {
  return ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s`;
}

/** The scenario's line: the judged figures first, then the ones that explain them. */
export function formatLine(result: ScenarioResult): string {
  const stoppedText = stopped(result)
    ? `yes (${[
        ...result.stoppedTypes.map((type) => `${type} 0 running`),
        ...(result.gaveUp > 0 ? [`${result.gaveUp} gave up`] : []),
      ].join(', ')})`
    : 'no';
  const failed = Object.entries(result.failQueues)
    .map(([queue, count]) => `${queue} ${count}`)
    .join(', ');
  const notes = [
    `fail queues: ${failed || 'empty'}${result.poisonInFail > 0 ? ` (poison ${result.poisonInFail})` : ''}`,
    `stuck ${result.stuck}`,
    ...(result.unread > 0 ? [`unread outputs ${result.unread}`] : []),
    `crashes ${result.crashes}`,
    `worker exits ${result.workerExits}`,
    `converged ${result.converged ? 'yes' : `no (${result.recipes.map((recipe) => `${recipe.type} ${recipe.running}/${recipe.desired}`).join(' ')})`}`,
    `peak running ${result.peakRunning}`,
    `worker losses ${result.workerLosses}`,
    `states ${result.statesSeen.join('/') || 'none'}`,
    `slowest ${seconds(result.slowestMs)}`,
    `gap ${seconds(result.longestGapMs)}`,
    ...(result.timedOut ? ['TIME LIMIT'] : []),
    ...(result.error === undefined ? [] : [`error: ${result.error.split('\n')[0]}`]),
  ];
  return [
    passed(result) ? 'PASS' : 'FAIL',
    result.scenario.padEnd(20),
    `${result.queueType.padEnd(7)}`,
    `inputs ${result.inputs}`,
    `missing ${result.missing}`,
    `wrong ${result.wrong}`,
    `duplicates ${result.duplicates}`,
    `recovery ${seconds(result.recoveryMs)}`,
    `stopped ${stoppedText}`,
    `[${notes.join('; ')}]`,
  ].join('  ');
}
