/**
 * The ordered lane of an adapter without one of its own (not `OrderedPublishCapable`): one publish at a time, the
 * ones that wait sent together. How overlapped batches keep their outputs in order on any adapter without waiting a
 * confirm round trip each.
 *
 * While a publish waits for its confirms, the publishes of the next batches queue here; when it resolves (or rejects),
 * everything queued goes in one `publish` call, in call order, and each caller gets its own outcome back: resolved, a
 * `MessagesRejectedError` naming only its own refused messages (indexes into its own array), or the call's error when
 * the whole call failed. Calls never overlap at the adapter, so the contract's per-caller order holds across batches
 * (RabbitMQ keeps no order between two channels, and overlapping calls would go on two), and each confirm round trip
 * carries every batch that got ready meanwhile.
 */
import { MessagesRejectedError } from './errors.js';
import type { RejectedMessage } from './errors.js';
import type { OutgoingMessage, PublishLane, StreamAdapter } from './stream-adapter.js';

interface Waiting {
  readonly messages: readonly OutgoingMessage[];
  resolve(): void;
  reject(error: unknown): void;
}

/** A lane made of one-call-at-a-time publishing: see the file header. */
export class PublishQueue implements PublishLane {
  private busy = false;
  private waiting: Waiting[] = [];

  constructor(private readonly adapter: StreamAdapter) {}

  /** Nothing to free: calls still waiting are sent as usual. */
  close(): void {}

  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (!this.busy) {
      this.busy = true;
      const sent = this.adapter.publish(messages);
      sent.then(this.next, this.next);
      return sent;
    }
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ messages, resolve, reject });
    });
  }

  /** The publish in flight ended: send what waits, all in one call. */
  private readonly next = (): void => {
    const calls = this.waiting;
    if (calls.length === 0) {
      this.busy = false;
      return;
    }
    this.waiting = [];
    const all =
      calls.length === 1 ? (calls[0] as Waiting).messages : calls.flatMap((c) => c.messages);
    const sent = this.adapter.publish(all);
    sent.then(
      () => {
        for (const call of calls) call.resolve();
      },
      (error: unknown) => settleEach(calls, error),
    );
    sent.then(this.next, this.next);
  };
}

/** Gives each call its share of a failed combined publish. */
function settleEach(calls: readonly Waiting[], error: unknown): void {
  if (!(error instanceof MessagesRejectedError)) {
    for (const call of calls) call.reject(error);
    return;
  }
  let offset = 0;
  for (const call of calls) {
    const end = offset + call.messages.length;
    const own: RejectedMessage[] = [];
    for (const rejected of error.rejected) {
      if (rejected.index >= offset && rejected.index < end)
        own.push({ ...rejected, index: rejected.index - offset });
    }
    if (own.length === 0) call.resolve();
    else call.reject(new MessagesRejectedError('publish', own, call.messages.length));
    offset = end;
  }
}
