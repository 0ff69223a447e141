/** Every scenario, in the order a full run takes them. */
import type { Scenario } from '../scenario.js';
import { brokerKillClassic, brokerKillQuorum } from './broker-kill.js';
import { masterKill } from './master-kill.js';
import { poison, poisonClassic } from './poison.js';
import { pause, stall } from './stall.js';
import { workerKillLoop } from './worker-kill-loop.js';

export const SCENARIOS: readonly Scenario[] = [
  brokerKillClassic,
  brokerKillQuorum,
  workerKillLoop,
  masterKill,
  poison,
  poisonClassic,
  stall,
  pause,
];
