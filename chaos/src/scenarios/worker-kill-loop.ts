/**
 * One worker SIGKILLed again and again under a supervisor that starts it again each time (systemd's Restart=always):
 * it comes back under the same name, often before the master has noticed it was gone.
 */
import { sleep } from '../cluster.js';
import { publishWithFaults } from '../scenario.js';
import type { Scenario } from '../scenario.js';

export const workerKillLoop: Scenario = {
  name: 'worker-kill-loop',
  summary:
    'SIGKILL of one supervised worker every 2.5 s (3 times short, 6 times full) while inputs flow; the supervisor restarts it after 100 ms',
  load: (short) =>
    short
      ? { inputs: 4_000, ratePerSec: 400, limitMs: 40_000 }
      : { inputs: 12_000, ratePerSec: 600, limitMs: 120_000 },
  async act(context) {
    const victim = context.cluster.workers[1];
    if (!victim) throw new Error('the scenario needs two workers');
    const kills = context.short ? 3 : 6;
    await publishWithFaults(context, [
      {
        atFraction: 0.15,
        run: async () => {
          for (let kill = 1; kill <= kills; kill++) {
            context.fault(`worker SIGKILL ${kill}`);
            await victim.kill();
            await victim.restarted();
            await sleep(2_500);
          }
        },
      },
    ]);
    context.extras.restarts = victim.restarts;
  },
};
