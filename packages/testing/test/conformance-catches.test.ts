/**
 * Tests of the conformance suite itself: it runs the suite (in a vitest of its own) against adapters with a seeded
 * bug and against one without optional capabilities, and checks what the suite reports for each case: the case that
 * owns a bug fails and every other passes; a capability the adapter lacks shows as skipped, never as passed.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { startVitest } from 'vitest/node';
import { Lacks } from '../src/conformance/context.js';
import { FAILED_MESSAGES_CASES } from '../src/conformance/failed-messages-cases.js';

type State = 'passed' | 'failed' | 'skipped' | 'pending';

/** Each fixture file's cases: name (without the describe block's) to state, and skip notes. */
const runs = new Map<string, { states: Map<string, State>; notes: Map<string, string> }>();

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
/** As in the root vitest.config.ts, which the inner run does not load: workspace packages from their sources. */
const conditions = ['@monomyth/source', 'module', 'node', 'development|production'];

beforeAll(async () => {
  const exitCode = process.exitCode;
  // Runs the fixtures and closes (no watch): what it leaves is its state.
  const vitest = await startVitest(
    'test',
    [],
    {
      config: false,
      root: fixtures,
      include: ['*.conformance.ts'],
      watch: false,
      // No reporter: this file's assertions say what the inner run reported.
      reporters: [{}],
      testTimeout: 30_000,
      maxWorkers: 1,
    },
    { resolve: { conditions }, ssr: { resolve: { conditions } } },
  );
  // The inner run's failures are expected (it sets the exit code when a test fails); they are this file's to judge.
  process.exitCode = exitCode;
  for (const module of vitest.state.getTestModules()) {
    const name = module.moduleId.slice(fixtures.length).replace(/\.conformance\.ts$/, '');
    const states = new Map<string, State>();
    const notes = new Map<string, string>();
    for (const test of module.children.allTests()) {
      const result = test.result();
      states.set(test.name, result.state);
      if (result.state === 'skipped' && result.note !== undefined)
        notes.set(test.name, result.note);
    }
    runs.set(name, { states, notes });
  }
}, 120_000);

function run(name: string): { states: Map<string, State>; notes: Map<string, string> } {
  const found = runs.get(name);
  if (found === undefined) throw new Error(`the fixture ${name} did not run`);
  return found;
}

/** Names of the cases in `state`. */
function casesIn(name: string, state: State): string[] {
  return [...run(name).states].filter(([, s]) => s === state).map(([test]) => test);
}

const DRAIN_CASE =
  'close - while it drains, consumers hand out nothing new: neither to a pull begun before it, nor to one begun during it';
const STORED_CASE =
  'publish - resolves once stored: the moment it resolves, queueStats through another adapter counts every message';
/** The cases that need `refusedMessage`, which the fixtures leave out. */
const REFUSED_CASES = [
  'lane - a refused message is named in its own call, by its index there; the calls around it resolve',
  'publish - messages refused for themselves are named by index and reason; the others of the call are stored, in order',
  'publish - a call of refused messages only stores nothing, and the adapter goes on publishing',
];
const LANE_CASES = [
  'lane - calls made without waiting are stored in call order, each resolving once its own messages are durable',
  'lane - a call after close still publishes, like the adapter',
];

describe('the conformance suite', () => {
  it('fails an adapter that hands out deliveries while close() drains, in the drain case only', () => {
    expect(casesIn('drain-leaking', 'failed')).toEqual([DRAIN_CASE]);
    expect(casesIn('drain-leaking', 'skipped')).toEqual(REFUSED_CASES);
    expect(casesIn('drain-leaking', 'passed').length).toBeGreaterThan(25);
  });

  it('fails an adapter whose publish resolves before the messages are stored, in the stored case only', () => {
    expect(casesIn('write-behind', 'failed')).toEqual([STORED_CASE]);
    expect(casesIn('write-behind', 'skipped')).toEqual(REFUSED_CASES);
    expect(casesIn('write-behind', 'passed').length).toBeGreaterThan(25);
  });

  it('fails an adapter whose ordered lanes store calls out of order, in the lane order case only', () => {
    expect(casesIn('lane-reordering', 'failed')).toEqual([LANE_CASES[0]]);
    expect(casesIn('lane-reordering', 'skipped')).toEqual(REFUSED_CASES);
    expect(casesIn('lane-reordering', 'passed').length).toBeGreaterThan(25);
  });

  it('reports the cases of capabilities an adapter lacks as skipped, with the reason, never as passed', () => {
    const { notes } = run('bare');
    expect(casesIn('bare', 'failed')).toEqual([]);
    expect(Object.fromEntries(notes)).toEqual({
      'retryLater - the copy comes back after its delay with the new headers, and the original is acked by the caller':
        Lacks.retryLater,
      'retryLater - a retry copy outlives the adapter that stored it': Lacks.retryLater,
      'queueStats - counts ready and unacked messages and consumers': Lacks.queueStats,
      [STORED_CASE]: Lacks.queueStats,
      // A lane case checks for the capability before it asks for a refused message.
      [REFUSED_CASES[0] as string]: Lacks.publishLane,
      [REFUSED_CASES[1] as string]: Lacks.refusedMessage,
      [REFUSED_CASES[2] as string]: Lacks.refusedMessage,
      ...Object.fromEntries(LANE_CASES.map((name) => [name, Lacks.publishLane])),
      'deadLetter - the original moves unchanged to the fail queue, and never comes back to its queue':
        Lacks.deadLetter,
      'redeliveryCount - when reported, it goes up by one each time a message comes back from a consumer that went away':
        Lacks.redeliveryCount,
      ...Object.fromEntries(FAILED_MESSAGES_CASES.map((name) => [name, Lacks.failedMessages])),
    });
    expect(casesIn('bare', 'skipped')).toEqual([...notes.keys()]);
    // The same cases pass on the in-memory adapter, which has every capability: the skips come from the adapter.
    for (const test of notes.keys()) {
      if (!REFUSED_CASES.includes(test))
        expect([test, run('drain-leaking').states.get(test)]).toEqual([test, 'passed']);
    }
  });
});
