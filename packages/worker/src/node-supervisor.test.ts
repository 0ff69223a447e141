import type { Logger, Node, NodeStats } from '@monomyth/node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NodeSupervisor } from './node-supervisor.js';

const ignore = (): void => {};
const quiet: Logger = {
  trace: ignore,
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
  child: () => quiet,
};

/**
 * A stand-in for a node, for the supervisor's timing rules: `run()` settles when the test says (`crash`, `finish`).
 * The supervisor only starts, runs, drains and reads the stats of its node.
 */
class FakeNode {
  readonly type = 'T';
  started = false;
  drained = false;
  #end: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  readonly #ended: Promise<void>;

  constructor(readonly name: string) {
    this.#ended = new Promise<void>((resolve, reject) => {
      this.#end = { resolve, reject };
    });
  }

  start(): Promise<void> {
    this.started = true;
    return Promise.resolve();
  }

  run(): Promise<void> {
    return this.#ended;
  }

  drain(): Promise<void> {
    this.drained = true;
    this.#end?.resolve();
    return Promise.resolve();
  }

  crash(message = 'boom'): void {
    this.#end?.reject(new Error(message));
  }

  finish(): void {
    this.#end?.resolve();
  }

  stats(): NodeStats {
    return {
      name: this.name,
      type: this.type,
      state: 'running',
      processed: 0,
      failed: 0,
      retried: 0,
      inFlight: 0,
      batches: 0,
      published: 0,
      latencyP50Ms: 0,
      latencyP99Ms: 0,
    };
  }
}

const policy = { initialDelayMs: 100, maxDelayMs: 1000, maxRestarts: 3, windowMs: 10_000 };

interface Exit {
  readonly reason: string;
  readonly restarting: boolean;
  readonly completed: boolean;
  readonly at: number;
}

async function supervise(overrides: Partial<typeof policy> = {}): Promise<{
  supervisor: NodeSupervisor;
  nodes: FakeNode[];
  exits: Exit[];
}> {
  const nodes = [new FakeNode('T:1')];
  const exits: Exit[] = [];
  const build = (name: string): Node => {
    const node = new FakeNode(name);
    nodes.push(node);
    return node as unknown as Node;
  };
  const supervisor = await NodeSupervisor.start(
    nodes[0] as unknown as Node,
    { type: 'T' },
    build,
    { ...policy, ...overrides },
    {
      exited: (_supervisor, reason, outcome) => exits.push({ reason, ...outcome, at: Date.now() }),
    },
    quiet,
  );
  return { supervisor, nodes, exits };
}

/** The newest node, once the supervisor built it. */
const last = (nodes: readonly FakeNode[]): FakeNode => nodes[nodes.length - 1] as FakeNode;

describe('node supervisor - backoff', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('restart - a crashed node is built again under its name after the initial delay, not before', async () => {
    const { supervisor, nodes, exits } = await supervise();
    nodes[0]?.crash('first');
    await vi.advanceTimersByTimeAsync(0);
    expect(exits).toEqual([{ reason: 'first', restarting: true, completed: false, at: 0 }]);
    expect(supervisor.state).toBe('restarting');
    expect(supervisor.status().state).toBe('restarting');
    await vi.advanceTimersByTimeAsync(99);
    expect(nodes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(nodes).toHaveLength(2);
    expect(last(nodes).name).toBe('T:1');
    expect(last(nodes).started).toBe(true);
    expect(supervisor.state).toBe('running');
    expect(supervisor.status().restarts).toBe(1);
  });

  it('backoff - doubles with each crash in the window, capped at maxDelayMs', async () => {
    const { nodes } = await supervise({ maxRestarts: 10, maxDelayMs: 500 });
    const delays: number[] = [];
    for (let crash = 0; crash < 5; crash++) {
      const before = nodes.length;
      last(nodes).crash();
      await vi.advanceTimersByTimeAsync(0);
      const crashedAt = Date.now();
      while (nodes.length === before) await vi.advanceTimersByTimeAsync(1);
      delays.push(Date.now() - crashedAt);
    }
    expect(delays).toEqual([100, 200, 400, 500, 500]);
  });

  it('window - crashes older than the window no longer count: the delay starts over', async () => {
    const { nodes, exits } = await supervise({ windowMs: 1000 });
    last(nodes).crash();
    await vi.advanceTimersByTimeAsync(100);
    last(nodes).crash();
    await vi.advanceTimersByTimeAsync(200);
    expect(nodes).toHaveLength(3);
    // Both crashes are now more than the window ago.
    await vi.advanceTimersByTimeAsync(2000);
    last(nodes).crash();
    await vi.advanceTimersByTimeAsync(99);
    expect(nodes).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(nodes).toHaveLength(4);
    expect(exits.every((exit) => exit.restarting)).toBe(true);
  });

  it('give up - one crash past maxRestarts in the window: the node is reported exited, not restarted', async () => {
    const { supervisor, nodes, exits } = await supervise({ maxRestarts: 2 });
    for (let crash = 0; crash < 2; crash++) {
      last(nodes).crash();
      await vi.advanceTimersByTimeAsync(1000);
    }
    expect(nodes).toHaveLength(3);
    last(nodes).crash('third');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(nodes).toHaveLength(3);
    expect(supervisor.state).toBe('exited');
    expect(exits.at(-1)).toMatchObject({
      restarting: false,
      completed: false,
      reason: 'crashed 3 times in 10000 ms; last: third',
    });
  });

  it('completed - a node that stops on its own is reported completed, never restarted', async () => {
    const { supervisor, nodes, exits } = await supervise();
    nodes[0]?.finish();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(nodes).toHaveLength(1);
    expect(supervisor.state).toBe('exited');
    expect(exits).toEqual([{ reason: 'completed', restarting: false, completed: true, at: 0 }]);
  });

  it('stop - cancels a pending restart; a crash while stopping is not reported', async () => {
    const { supervisor, nodes, exits } = await supervise();
    nodes[0]?.crash();
    await vi.advanceTimersByTimeAsync(0);
    await supervisor.stop(1000);
    expect(supervisor.state).toBe('stopped');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(nodes).toHaveLength(1);
    expect(exits).toHaveLength(1);
  });

  it('build fails - a restart whose build throws counts as the next crash', async () => {
    let builds = 0;
    const first = new FakeNode('T:1');
    const exits: string[] = [];
    await NodeSupervisor.start(
      first as unknown as Node,
      { type: 'T' },
      () => {
        builds += 1;
        throw new Error(`build ${builds}`);
      },
      { ...policy, maxRestarts: 2 },
      { exited: (_s, reason, outcome) => exits.push(`${outcome.restarting}:${reason}`) },
      quiet,
    );
    first.crash('run');
    await vi.advanceTimersByTimeAsync(100);
    expect(exits).toEqual(['true:run', 'true:build 1']);
    await vi.advanceTimersByTimeAsync(200);
    expect(exits.at(-1)).toBe('false:crashed 3 times in 10000 ms; last: build 2');
  });
});
