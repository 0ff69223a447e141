/**
 * Worker names belong to one worker at a time: a second process registering under a live worker's name is refused
 * with ERROR 409 NAME_TAKEN and takes nothing over; the same worker on a new socket, or a worker that restarts after
 * its old session was lost, registers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { newInstance, routingIdFor } from '@monomyth/mmop';
import type { FakeWorker } from './fake-worker.js';
import { Harness } from './helpers.js';

let harness: Harness;

afterEach(async () => {
  await harness?.close();
});

function fake(id: string, instance = newInstance()): FakeWorker {
  return harness.unregistered({ types: ['A'], id, routingId: routingIdFor(instance) });
}

describe('master - worker names', () => {
  it('names - a second live worker under a taken name is refused and takes nothing over', async () => {
    harness = await Harness.start();
    const first = fake('alpha');
    await first.register();
    await harness.client().startNode('A', 1);
    const second = fake('alpha');
    void second.register();
    const refusal = await second.next('ERROR');
    expect(refusal).toMatchObject({ status: 409, code: 'NAME_TAKEN' });
    expect(refusal.reason).toContain('alpha');
    // The first keeps its entry, its node, and gets its heartbeats answered.
    const [info] = harness.master.workers();
    expect(info).toMatchObject({ workerId: 'alpha', pid: process.pid });
    expect(info?.nodes).toHaveLength(1);
    first.received.length = 0;
    await first.next('HEARTBEAT-ACK');
    expect(harness.master.recipes()).toMatchObject([{ type: 'A', running: 1, workers: 1 }]);
  });

  it('names - a worker that restarts under its name after its old process ended registers at once', async () => {
    harness = await Harness.start({ heartbeatMisses: 50 });
    const first = fake('beta');
    await first.register();
    first.close();
    // Heard from 0 ms ago by the clock, but its connection is gone: the name is free.
    const restarted = fake('beta');
    await restarted.register();
    expect(harness.master.workers().map((info) => info.workerId)).toEqual(['beta']);
  });

  it('names - a worker whose session was lost (silent past the window) may be replaced', async () => {
    harness = await Harness.start();
    const first = fake('gamma');
    await first.register();
    first.silence();
    await new Promise((resolve) => setTimeout(resolve, 600));
    const second = fake('gamma');
    await second.register();
    expect(harness.master.workers()).toHaveLength(1);
  });

  it('names - the same process on a new socket registers again under its name', async () => {
    harness = await Harness.start({ heartbeatMisses: 50 });
    const instance = newInstance();
    const first = fake('delta', instance);
    await first.register();
    // Its old socket still open (cut off, as the master sees it): the new one carries the same instance.
    const again = fake('delta', instance);
    await again.register();
    expect(harness.master.workers().map((info) => info.workerId)).toEqual(['delta']);
  });

  it('names - a peer connecting under a routing id in use takes nothing over: the first keeps working', async () => {
    harness = await Harness.start();
    const id = routingIdFor(newInstance());
    const first = harness.unregistered({ types: ['A'], id: 'epsilon', routingId: id });
    await first.register();
    // Another peer, same routing id: with handover off the ROUTER refuses its connection.
    const usurper = harness.unregistered({ types: ['A'], id: 'epsilon', routingId: id });
    void usurper.register();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(usurper.received).toEqual([]);
    // The first still gets its answers, and the master still reaches it.
    first.received.length = 0;
    await first.next('HEARTBEAT-ACK');
    await harness.client().startNode('A', 1);
    expect(first.nodes.size).toBe(1);
  });
});
