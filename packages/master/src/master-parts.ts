/**
 * The master's parts that its message handlers reach (worker-messages.ts, worker-loss.ts), beyond the MasterContext
 * that placement and control requests share: the reply path, the counts for `--http`, the name claims and the
 * master's own state. The Master makes one (createMasterParts) and hands it to every handler, so the handlers live in
 * files of their own while the state they read (running or not, recovering or not) stays in the Master. Internal to
 * the package.
 */
import type { MessageOf } from '@monomyth/mmop';
import type { MasterContext } from './context.js';
import type { DesiredState } from './desired-state.js';
import { FailQueueRouting } from './fail-queue-routing.js';
import type { MasterStats } from './http/master-stats.js';
import { LoopSaturation } from './loop-saturation.js';
import { NameClaims } from './name-claims.js';
import { BreachLog } from './peer-limits.js';
import type { Replies } from './replies.js';
import { Scaling } from './scaling.js';

export interface MasterParts {
  readonly context: MasterContext;
  /** The master's epoch, as HEARTBEAT-ACK, PONG and the answer to READY carry it. */
  readonly epoch: string;
  /** The one HEARTBEAT-ACK every heartbeat is answered with (it carries only the epoch), encoded once. */
  readonly heartbeatAck: MessageOf<'HEARTBEAT-ACK'>;
  readonly replies: Replies;
  /** Message totals from heartbeats and the master's own counts, for `--http`. */
  readonly stats: MasterStats;
  readonly claims: NameClaims;
  readonly failQueues: FailQueueRouting;
  /** Rate-limited log lines for messages over a peer limit. */
  readonly breaches: BreachLog;
  readonly saturation: LoopSaturation;
  readonly scaling: Scaling;
  /** Whether the master still serves (not closing, closed or failed). */
  isRunning(): boolean;
  /** Whether READYs may still raise desired counts (a restarted master recovering its picture). */
  learnsDesired(): boolean;
}

/** What the Master knows and the parts cannot: whether it still serves, and whether it is still recovering. */
export interface MasterHooks {
  isRunning(): boolean;
  learnsDesired(): boolean;
}

/** The parts of a master around this context; `restored` is the desired state read from its state file, if any. */
export function createMasterParts(
  context: MasterContext,
  shared: {
    readonly epoch: string;
    readonly replies: Replies;
    readonly stats: MasterStats;
    readonly restored: DesiredState | undefined;
  },
  hooks: MasterHooks,
): MasterParts {
  const { cluster, options, log } = context;
  return {
    context,
    epoch: shared.epoch,
    heartbeatAck: Object.freeze({ kind: 'HEARTBEAT-ACK', masterEpoch: shared.epoch }),
    replies: shared.replies,
    stats: shared.stats,
    claims: new NameClaims(),
    failQueues: new FailQueueRouting(),
    breaches: new BreachLog(log),
    saturation: new LoopSaturation(),
    scaling: new Scaling(context, {
      backlog: () => {
        const queues = cluster.queueBacklog();
        return (type) => {
          const counts = cluster.backlogOf(type, queues);
          return counts && counts.ready + counts.unacked;
        };
      },
      stateFile: options.stateFile,
      restored: shared.restored,
      inRecovery: () => hooks.learnsDesired(),
    }),
    isRunning: () => hooks.isRunning(),
    learnsDesired: () => hooks.learnsDesired(),
  };
}
