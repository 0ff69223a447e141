/**
 * READY: whether this peer may register under the name it gives (name-claims.ts decides), probing the current
 * holder's connection when the clock alone cannot tell, and the registration itself. A refused peer gets ERROR 409
 * NAME_TAKEN and nothing changes.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ReplyCode, Status, plainInstance } from '@monomyth/mmop';
import type { MessageOf } from '@monomyth/mmop';
import type { MasterContext } from './context.js';
import { NameClaims } from './name-claims.js';
import type { Claimant } from './name-claims.js';
import { livenessWindowMs } from './node-placement.js';
import { reconcileSoon } from './reconcile-soon.js';
import type { PeerRoles } from './security.js';

export interface Admission {
  /** Registers the claimant (the name is free, or the holder is the same worker, or gone). */
  admit(claimant: Claimant): void;
  masterEpoch: string;
  isRunning(): boolean;
}

export function admitReady(
  context: MasterContext,
  claims: NameClaims,
  identity: Buffer,
  ready: MessageOf<'READY'>,
  peer: PeerRoles | undefined,
  admission: Admission,
): void {
  const claimant: Claimant = {
    name: ready.workerId,
    identity,
    instance: peer?.instance ?? plainInstance(identity),
    publicKey: peer?.publicKey,
  };
  const holder = context.cluster.worker(ready.workerId);
  const claim = claims.decide(claimant, holder, context.now(), livenessWindowMs(context));
  if (claim.verdict === 'accept') return admission.admit(claimant);
  if (claim.verdict === 'refuse') return refuse(context, claimant, claim.reason);
  // Heard from lately: is it still connected? A ROUTER with `mandatory` refuses to route to a peer that is gone, so a
  // send to it tells. A worker that crashed and restarted at once may send READY before the master's I/O thread has
  // seen its old connection close, so a holder that still answers is asked once more after PROBE_AGAIN_MS before the
  // claimant is refused. A worker that restarted is admitted; a live one keeps its name.
  const probe = (): Promise<void> =>
    context.send(claim.holder.identity, {
      kind: 'HEARTBEAT-ACK',
      masterEpoch: admission.masterEpoch,
    });
  probe()
    .then(() => delay(PROBE_AGAIN_MS))
    .then(() => (admission.isRunning() ? probe() : undefined))
    .then(
      () => {
        if (admission.isRunning())
          refuse(context, claimant, NameClaims.liveHolder(claimant.name, claim.holder));
      },
      () => {
        if (!admission.isRunning()) return;
        const now = context.cluster.worker(claimant.name);
        if (now === undefined || now === claim.holder) admission.admit(claimant);
        else refuse(context, claimant, NameClaims.liveHolder(claimant.name, now));
      },
    );
}

/** How long after a first answered probe the holder of a claimed name is probed again. */
const PROBE_AGAIN_MS = 250;

function refuse(context: MasterContext, claimant: Claimant, reason: string): void {
  context.log.warn(
    { workerId: claimant.name, publicKey: claimant.publicKey, reason },
    'refused a worker registering under a name in use',
  );
  context
    .send(claimant.identity, {
      kind: 'ERROR',
      status: Status.Conflict,
      code: ReplyCode.NameTaken,
      reason,
    })
    .catch(() => {});
}

/**
 * Registers (or registers again) an admitted worker and answers REGISTERED. With `learnDesired` (a restarted master in
 * its recovery window) the nodes it runs raise the desired counts; otherwise nodes beyond them are drained (in the
 * reconciliation that follows the burst of messages this one came in).
 */
export function registerWorker(
  context: MasterContext,
  claims: NameClaims,
  claimant: Claimant,
  ready: MessageOf<'READY'>,
  {
    learnDesired,
    masterEpoch,
    isRunning,
  }: { learnDesired: boolean; masterEpoch: string; isRunning: () => boolean },
): void {
  const { identity } = claimant;
  const { worker, again } = context.cluster.register(ready, identity, context.now(), learnDesired);
  worker.instance = claimant.instance;
  worker.publicKey = claimant.publicKey;
  claims.bind(worker.id, claimant.publicKey);
  context.log.info(
    {
      workerId: worker.id,
      host: worker.host,
      types: [...worker.recipes.keys()],
      nodes: ready.nodes.length,
      // false: desired counts stay as requested, and nodes beyond them are drained.
      learnDesired,
    },
    again ? 'worker registered again' : 'worker registered',
  );
  context
    .send(identity, {
      kind: 'REGISTERED',
      workerId: worker.id,
      heartbeatIntervalMs: context.options.heartbeatIntervalMs,
      heartbeatMisses: context.options.heartbeatMisses,
      masterEpoch,
      countersIntervalMs: context.options.countersIntervalMs,
    })
    .catch((error: unknown) =>
      context.log.warn({ workerId: worker.id, err: error }, 'could not send REGISTERED'),
    );
  reconcileSoon(context, isRunning);
}
