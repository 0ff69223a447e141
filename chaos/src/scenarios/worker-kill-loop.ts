/**
 * Workers SIGKILLed again and again under a supervisor that starts each again when it dies (systemd's Restart=always):
 * a worker comes back under the same name, often before the master has noticed it was gone. Each kill takes the worker
 * running the most nodes at that moment (a worker that just came back runs none, and killing it would test nothing).
 */
import { sleep } from '../cluster.js';
import { KILL_LOAD, publishWithFault } from '../scenario.js';
import type { Scenario } from '../scenario.js';

export const workerKillLoop: Scenario = {
  name: 'worker-kill-loop',
  summary:
    'SIGKILL of the supervised worker running the most nodes, every 2.5 s (3 times short, 6 times full) while inputs flow; its supervisor restarts it after 100 ms',
  load: KILL_LOAD,
  async act(context) {
    const kills = context.short ? 3 : 6;
    const killed: string[] = [];
    await publishWithFault(context, 0.15, async () => {
      for (let kill = 1; kill <= kills; kill++) {
        const workers = await context.cluster.control.workers().catch(() => []);
        const busiest = workers.reduce<(typeof workers)[number] | undefined>(
          (best, worker) =>
            best === undefined || worker.nodes.length > best.nodes.length ? worker : best,
          undefined,
        );
        const index = Math.max(0, context.cluster.workerIds.indexOf(busiest?.workerId ?? ''));
        const victim = context.cluster.workers[index];
        if (!victim) throw new Error('no worker to kill');
        killed.push(`${context.cluster.workerIds[index]} (${busiest?.nodes.length ?? 0} nodes)`);
        context.fault(`worker SIGKILL ${kill}: ${killed.at(-1)}`);
        await victim.kill();
        await victim.restarted();
        await sleep(2_500);
      }
    });
    context.extras.killed = killed;
  },
};
