/**
 * The master SIGKILLed twice while inputs flow, started again on the same endpoint a second later each time. The data
 * plane must not notice; the restarted master learns the cluster from the workers' READY.
 */
import { sleep } from '../cluster.js';
import { KILL_LOAD, publishWithFaults } from '../scenario.js';
import type { Scenario, ScenarioContext } from '../scenario.js';

async function killMaster(context: ScenarioContext, which: string): Promise<void> {
  context.fault(`master SIGKILL ${which}`);
  await context.cluster.killMaster();
  await sleep(1_000);
  context.cluster.startMaster();
}

export const masterKill: Scenario = {
  name: 'master-kill',
  summary:
    'SIGKILL of the master at a quarter and at 60% of the load, each time started again on the same endpoint 1 s later',
  load: KILL_LOAD,
  async act(context) {
    await publishWithFaults(context, [
      { atFraction: 0.25, run: () => killMaster(context, '1') },
      { atFraction: 0.6, run: () => killMaster(context, '2') },
    ]);
  },
};
