/**
 * The in-memory adapter's ordered lanes (`OrderedPublishCapable`). A publish here stores its messages before it
 * returns, unless a bounded queue is full: then it waits for room, and a later call to another queue (or one that
 * found room meanwhile) could get ahead of it. A lane keeps its calls behind one another while any is unsettled, and
 * lets them straight through otherwise, so the common case costs nothing.
 */
import type { OutgoingMessage, PublishLane, StreamAdapter } from '../stream-adapter.js';

export class MemoryPublishLane implements PublishLane {
  /** The lane's last call, while some call of it is unsettled. */
  private last: Promise<void> | undefined;
  private unsettled = 0;

  constructor(private readonly adapter: StreamAdapter) {}

  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    const publish = (): Promise<void> => this.adapter.publish(messages);
    const call = this.last === undefined ? publish() : this.last.then(publish, publish);
    this.unsettled += 1;
    this.last = call;
    const settled = (): void => {
      this.unsettled -= 1;
      if (this.unsettled === 0) this.last = undefined;
    };
    call.then(settled, settled);
    return call;
  }

  /** Nothing held: a lane is only its order. */
  close(): void {}
}
