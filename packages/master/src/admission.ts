/**
 * READY's gate: whether this peer may register under the name it gives (name-claims.ts decides), probing the current
 * holder's connection when the clock alone cannot tell. A refused peer gets ERROR 409 NAME_TAKEN and nothing changes.
 */
import { ReplyCode, Status, plainInstance } from '@monomyth/mmop';
import type { MessageOf } from '@monomyth/mmop';
import type { MasterContext } from './context.js';
import { NameClaims } from './name-claims.js';
import type { Claimant } from './name-claims.js';
import { livenessWindowMs } from './node-placement.js';
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
  // send to it tells. A worker that crashed and restarted at once is admitted; a live one keeps its name.
  context
    .send(claim.holder.identity, { kind: 'HEARTBEAT-ACK', masterEpoch: admission.masterEpoch })
    .then(
      () => refuse(context, claimant, NameClaims.liveHolder(claimant.name, claim.holder)),
      () => {
        if (!admission.isRunning()) return;
        const now = context.cluster.worker(claimant.name);
        if (now === undefined || now === claim.holder) admission.admit(claimant);
        else refuse(context, claimant, NameClaims.liveHolder(claimant.name, now));
      },
    );
}

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
