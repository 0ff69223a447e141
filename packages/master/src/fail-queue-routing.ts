/**
 * FAIL-QUEUE-REQUEST: an operator asks to inspect, redrive or purge a node type's fail queue. The master never
 * touches data: it passes the request on as FAIL-QUEUE to one worker that offers the type (whose recipe says where
 * the type's messages come from, and whose adapter reaches the queues), and passes the worker's answer back.
 *
 *   control --FAIL-QUEUE-REQUEST--> master --FAIL-QUEUE--> worker --(its adapter)--> broker
 *   control <--...-SUCCESS/FAILURE-- master <--FAIL-QUEUE-SUCCESS/FAILURE-- worker
 *
 * The worker chosen: an active one (not draining, not stalled) that runs a node of the type if there is one (its
 * adapter has the queues declared already), else any active one that offers it.
 */
import { ReplyCode, Status, describeError } from '@monomyth/mmop';
import type { FailQueueAction, MessageOf, MmopMessage } from '@monomyth/mmop';
import type { MasterContext } from './context.js';
import { livenessWindowMs } from './node-placement.js';
import { PendingReplies } from './pending-replies.js';
import type { WorkerRecord } from './worker-record.js';

export type FailQueueAnswer = MessageOf<'FAIL-QUEUE-SUCCESS'> | MessageOf<'FAIL-QUEUE-FAILURE'>;

/**
 * How long the master waits for the worker's answer. A redrive moves messages one confirmed batch at a time and may
 * take minutes for a large queue; the others take a round trip to the broker or a few.
 */
export const FAIL_QUEUE_TIMEOUT_MS: Readonly<Record<FailQueueAction, number>> = {
  inspect: 30_000,
  redrive: 600_000,
  purge: 30_000,
};

/** More than CURVE adds to a frame (a 16-byte MAC, an 8-byte nonce and the MESSAGE command's header). */
const CURVE_FRAME_OVERHEAD_BYTES = 64;

export class FailQueueRouting {
  readonly #pending = new PendingReplies<FailQueueAnswer>();

  /** Passes the request to a worker and resolves with the answer for the control client. */
  async request(
    context: MasterContext,
    request: MessageOf<'FAIL-QUEUE-REQUEST'>,
  ): Promise<MmopMessage> {
    const { requestId, type, action } = request;
    const fail = (status: number, code: string, reason: string): MmopMessage => ({
      kind: 'FAIL-QUEUE-REQUEST-FAILURE',
      requestId,
      status,
      code,
      reason,
    });
    const { cluster } = context;
    if (cluster.workerCount === 0)
      return fail(
        Status.Unavailable,
        ReplyCode.NoWorkers,
        'no worker is registered with the master',
      );
    const worker = chooseWorker(context, type);
    if (!worker) {
      if (!cluster.recipe(type)) {
        const known = cluster.knownTypes();
        return fail(
          Status.BadRequest,
          ReplyCode.UnknownType,
          `no worker offers node type ${type}; known types: ${known.length > 0 ? known.join(', ') : 'none'}`,
        );
      }
      return fail(
        Status.Unavailable,
        ReplyCode.NoWorkers,
        `no active worker offers ${type} (those that do are draining or stalled)`,
      );
    }
    const workerRequestId = context.nextRequestId();
    const settled = this.#pending.expect(workerRequestId, worker.id, FAIL_QUEUE_TIMEOUT_MS[action]);
    const { kind: _kind, requestId: _requestId, ...ask } = request;
    context
      .send(worker.identity, {
        ...ask,
        kind: 'FAIL-QUEUE',
        requestId: workerRequestId,
        // A larger answer would be over the master's frame limit: ZeroMQ would drop the worker's connection for it.
        // With CURVE the limit applies to the encrypted frame, a few dozen bytes longer than the body: room for it.
        maxBytes:
          Math.min(context.options.maxFrameBytes, context.options.codecLimits.maxBodyBytes) -
          CURVE_FRAME_OVERHEAD_BYTES,
      })
      .catch((error: unknown) => {
        this.#pending.fail(
          workerRequestId,
          'send-failed',
          `could not send FAIL-QUEUE to ${worker.id}: ${describeError(error)}`,
        );
      });
    context.log.info(
      { type, action, workerId: worker.id },
      'fail queue request passed to a worker',
    );
    const settlement = await settled;
    if (settlement.outcome === 'answered') {
      const answer = settlement.answer;
      if (answer.kind === 'FAIL-QUEUE-FAILURE') {
        return fail(answer.status, answer.code, answer.reason);
      }
      const { kind: _answerKind, requestId: _workerRequestId, ...outcome } = answer;
      return {
        ...outcome,
        kind: 'FAIL-QUEUE-REQUEST-SUCCESS',
        requestId,
        workerId: worker.id,
      };
    }
    switch (settlement.outcome) {
      case 'timeout':
        return fail(Status.Timeout, ReplyCode.Timeout, settlement.reason);
      case 'send-failed':
        return fail(Status.Unavailable, ReplyCode.SendFailed, settlement.reason);
      case 'worker-lost':
        // A redrive may have moved some messages before the worker went: none is lost, some may be in both queues.
        return fail(
          Status.Unavailable,
          ReplyCode.WorkerLost,
          `${settlement.reason}; it did not answer the ${action} (ask again: nothing moved is lost)`,
        );
      case 'closed':
        return fail(Status.Unavailable, ReplyCode.Closed, settlement.reason);
    }
  }

  /** A worker's answer; false when nothing waits for it (late, or unknown). */
  answer(message: FailQueueAnswer): boolean {
    return this.#pending.answer(message.requestId, message);
  }

  failWorker(workerId: string, reason: string): void {
    this.#pending.failWorker(workerId, reason);
  }

  closeAll(reason: string): void {
    this.#pending.closeAll(reason);
  }
}

function chooseWorker(context: MasterContext, type: string): WorkerRecord | undefined {
  const windowMs = livenessWindowMs(context);
  let offering: WorkerRecord | undefined;
  for (const worker of context.cluster.workers()) {
    if (worker.state !== 'active' || !worker.canRun(type) || worker.stalled(windowMs)) continue;
    if (worker.runningOf(type) > 0) return worker;
    offering ??= worker;
  }
  return offering;
}
