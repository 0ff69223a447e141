/**
 * FAIL-QUEUE-REQUEST through the master, with fake workers that answer as the test says: which worker is asked, what
 * comes back to the control client (the worker's answer with its id, or its failure as it is), and what a worker lost
 * before it answers leaves the client with. The master never looks at the messages themselves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ControlRequestError } from '@monomyth/control';
import { rejectionOf } from '@monomyth/testing';
import { Harness } from './helpers.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The control request's failure (ControlRequestError); the test fails if it succeeds. */
function failureOf(promise: Promise<unknown>): Promise<ControlRequestError> {
  return rejectionOf(promise, ControlRequestError);
}

describe('master - fail queue requests', () => {
  it('fail queue - goes to a worker that runs the type (not one that only offers it), and its answer comes back with its id', async () => {
    harness = await Harness.start();
    // Registered first, so the first the master meets; without room, so the node runs on the other.
    const idle = await harness.worker({ types: ['CHECK'], id: 'idle', capacity: 0 });
    const runner = await harness.worker({ types: ['CHECK'], id: 'running' });
    const client = harness.client();
    await client.startNode('CHECK');
    expect(runner.nodes.size).toBe(1);
    const pending = client.redrive('CHECK', { limit: 7, to: 'START-to-CHECK' });
    const asked = await runner.next('FAIL-QUEUE');
    expect(asked).toMatchObject({
      type: 'CHECK',
      action: 'redrive',
      limit: 7,
      to: 'START-to-CHECK',
    });
    await runner.send({
      kind: 'FAIL-QUEUE-SUCCESS',
      requestId: asked.requestId,
      type: 'CHECK',
      action: 'redrive',
      queue: 'CHECK-fail',
      count: 3,
      moved: 7,
      to: 'START-to-CHECK',
    });
    expect(await pending).toEqual({
      type: 'CHECK',
      action: 'redrive',
      queue: 'CHECK-fail',
      count: 3,
      moved: 7,
      to: 'START-to-CHECK',
      workerId: runner.id,
    });
    expect(idle.received.some((message) => message.kind === 'FAIL-QUEUE')).toBe(false);
  });

  it("fail queue - a worker's failure is passed on as it is", async () => {
    harness = await Harness.start();
    const worker = await harness.worker({ types: ['CHECK'] });
    const pending = failureOf(harness.client().failedMessages('CHECK', { peek: 5 }));
    const asked = await worker.next('FAIL-QUEUE');
    expect(asked).toMatchObject({ action: 'inspect', peek: 5 });
    await worker.send({
      kind: 'FAIL-QUEUE-FAILURE',
      requestId: asked.requestId,
      type: 'CHECK',
      status: 501,
      code: 'NOT_CAPABLE',
      reason: 'no capability here',
    });
    expect(await pending).toMatchObject({
      status: 501,
      code: 'NOT_CAPABLE',
      reason: 'no capability here',
    });
  });

  it('fail queue - a worker lost before it answers: 503 WORKER_LOST, at once, not at the timeout', async () => {
    harness = await Harness.start();
    const worker = await harness.worker({ types: ['CHECK'] });
    const started = Date.now();
    const pending = failureOf(harness.client().redrive('CHECK'));
    await worker.next('FAIL-QUEUE');
    worker.silence();
    const failure = await pending;
    expect(failure).toMatchObject({ status: 503, code: 'WORKER_LOST' });
    expect(failure.reason).toContain('nothing moved is lost');
    // The liveness window (5 x 100 ms) and slack, far below the redrive's 10 minutes.
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
