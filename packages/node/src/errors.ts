/**
 * The errors of the data plane. Each class stands for one condition and carries a stable `code`; `cause` is kept.
 *
 * Every class extends `MonomythError` (@monomyth/mmop) and is branded with `brandError`, so `instanceof` holds when two
 * copies of this package are loaded (a user's system bundling its own copy, say). A subclass is an instance of its
 * parent (a `BodyCodecError` is also a `NonRetryableError`), never of its siblings or subclasses. The StreamAdapter
 * contract's own errors are in stream-errors.ts, re-exported here.
 */

import { InvalidOptionError, MonomythError, brandError, describeError } from '@monomyth/mmop';

export { InvalidOptionError, MonomythError, brandError, describeError };

export {
  AdapterClosedError,
  ConsumerBusyError,
  ConsumerClosedError,
  MessagesRejectedError,
  StreamErrorCode,
  UnknownDeliveryError,
  UnknownQueueError,
} from './stream-errors.js';
export type { RejectedMessage } from './stream-errors.js';

/**
 * Thrown by a transform (or a route) to say that retrying cannot help: the message goes straight to the node's fail
 * queue, whatever attempts remain.
 */
export class NonRetryableError extends MonomythError {
  static {
    brandError(this, '@monomyth/node.NonRetryableError');
  }

  readonly code: string = 'NON_RETRYABLE';
}

/** A body that the node's codec cannot decode (step `pull`) or an output it cannot encode (step `place`). */
export class BodyCodecError extends NonRetryableError {
  static {
    brandError(this, '@monomyth/node.BodyCodecError');
  }

  override readonly code = 'BODY_CODEC';
  /** The codec's name: `json`, `string`, `bytes`, `msgpack` or a custom codec's. */
  readonly codec: string;

  constructor(codec: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.codec = codec;
  }
}

/** A route chose a destination the node does not have. Retrying would choose it again. */
export class UnknownRouteError extends NonRetryableError {
  static {
    brandError(this, '@monomyth/node.UnknownRouteError');
  }

  override readonly code = 'UNKNOWN_ROUTE';
  readonly destination: string;
  readonly knownDestinations: readonly string[];

  constructor(destination: string, knownDestinations: readonly string[]) {
    super(
      `route chose ${JSON.stringify(destination)}, which is not one of this node's destinations: ` +
        (knownDestinations.length > 0 ? knownDestinations.join(', ') : '(none)'),
    );
    this.destination = destination;
    this.knownDestinations = [...knownDestinations];
  }
}

/**
 * A message that the stream refuses to store, so retrying cannot help: the failure of a delivery whose output (or
 * retry copy) a publish rejected. `reason` is the adapter's.
 */
export class MessageRefusedError extends NonRetryableError {
  static {
    brandError(this, '@monomyth/node.MessageRefusedError');
  }

  override readonly code = 'MESSAGE_REFUSED';
  readonly reason: string;

  constructor(what: string, reason: string, options?: { cause?: unknown }) {
    super(`the stream refused ${what}: ${reason}`, options);
    this.reason = reason;
  }
}

/**
 * A message came back more times than the node's `maxRedeliveries` (it keeps crashing or stalling whoever runs it):
 * it goes to the fail queue instead of being run again.
 */
export class RedeliveryLimitError extends NonRetryableError {
  static {
    brandError(this, '@monomyth/node.RedeliveryLimitError');
  }

  override readonly code = 'REDELIVERY_LIMIT';
  readonly redeliveries: number;
  readonly limit: number;

  constructor(redeliveries: number, limit: number) {
    super(
      `redelivered ${redeliveries} times, over the limit of ${limit}: the message keeps failing whoever runs it ` +
        '(a crash or a stall), so it is not run again',
    );
    this.redeliveries = redeliveries;
    this.limit = limit;
  }
}

/** The step of a node's iteration where something went wrong. */
export type NodeStep = 'pull' | 'transform' | 'place';

/**
 * What the errors that stop a node share: the node's name, and a cause described in the message
 * (`node <name>: <what>: <cause>`). Not exported from the package: callers catch the subclasses.
 */
export abstract class NodeStoppedError extends MonomythError {
  readonly nodeName: string;

  constructor(nodeName: string, what: string, cause: unknown) {
    super(`node ${nodeName}: ${what}: ${describeError(cause)}`, { cause });
    this.nodeName = nodeName;
  }
}

/**
 * The stream itself failed under a running node (pulling, publishing, acknowledging or setting up): not a message's
 * fault, so no attempt was burned. The node requeued what it held and stopped; `run()` rejects with this error and the
 * worker's supervisor decides whether to start it again.
 */
export class StreamFailureError extends NodeStoppedError {
  static {
    brandError(this, '@monomyth/node.StreamFailureError');
  }

  readonly code = 'STREAM_FAILURE';
  readonly step: NodeStep | 'start';

  constructor(step: NodeStep | 'start', nodeName: string, cause: unknown) {
    super(nodeName, `the stream failed at step ${step}`, cause);
    this.step = step;
  }
}

/** A node's `onStart` or `onStop` hook threw. */
export class NodeHookError extends NodeStoppedError {
  static {
    brandError(this, '@monomyth/node.NodeHookError');
  }

  readonly code = 'NODE_HOOK_FAILED';
  readonly hook: 'onStart' | 'onStop';

  constructor(hook: 'onStart' | 'onStop', nodeName: string, cause: unknown) {
    super(nodeName, `${hook} failed`, cause);
    this.hook = hook;
  }
}

/** A generator node's `generate` function (or its iterator) threw: the node stops with this error. */
export class GeneratorFailedError extends NodeStoppedError {
  static {
    brandError(this, '@monomyth/node.GeneratorFailedError');
  }

  readonly code = 'GENERATOR_FAILED';

  constructor(nodeName: string, cause: unknown) {
    super(nodeName, 'the generator threw', cause);
  }
}

/** A lifecycle call that the node's state does not allow, such as starting a node that has stopped. */
export class NodeStateError extends MonomythError {
  static {
    brandError(this, '@monomyth/node.NodeStateError');
  }

  readonly code = 'INVALID_NODE_STATE';
  readonly state: string;

  constructor(operation: string, state: string) {
    super(`cannot ${operation} a node that is ${state}`);
    this.state = state;
  }
}

/** Why a system definition was refused. */
export const SystemErrorCode = {
  /** Not an object with a name and a non-empty list of nodes. */
  InvalidSystem: 'INVALID_SYSTEM',
  /** Two nodes with one name (a node's name is its type). */
  DuplicateNodeType: 'DUPLICATE_NODE_TYPE',
  /** An option of a node is missing, of the wrong type, or out of bounds. */
  InvalidNodeOption: 'INVALID_NODE_OPTION',
  /** A route without named destinations, or named destinations without a route. */
  InvalidRoute: 'INVALID_ROUTE',
  /**
   * A linear chain is cut: a node reads its chain queue (`<previous>-to-<this>`) that no node writes, or writes its
   * chain queue (`<this>-to-<next>`) that no node reads, because a neighbour has an explicit source or dest.
   */
  BrokenChain: 'BROKEN_CHAIN',
} as const;

export type SystemErrorCode = (typeof SystemErrorCode)[keyof typeof SystemErrorCode];

/** `defineSystem` refused a definition; `nodeType` and `field` say where, when it is about one node. */
export class SystemDefinitionError extends MonomythError {
  static {
    brandError(this, '@monomyth/node.SystemDefinitionError');
  }

  readonly code: SystemErrorCode;
  readonly nodeType: string | undefined;
  readonly field: string | undefined;

  constructor(
    code: SystemErrorCode,
    message: string,
    details: { nodeType?: string; field?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.nodeType = details.nodeType;
    this.field = details.field;
  }
}

/** A recipe (or a request) names a node type the system does not define. */
export class UnknownNodeTypeError extends MonomythError {
  static {
    brandError(this, '@monomyth/node.UnknownNodeTypeError');
  }

  readonly code = 'UNKNOWN_NODE_TYPE';
  readonly type: string;
  readonly knownTypes: readonly string[];

  constructor(type: string, systemName: string, knownTypes: readonly string[]) {
    super(
      `system ${JSON.stringify(systemName)} has no node type ${JSON.stringify(type)}; it has: ${knownTypes.join(', ')}`,
    );
    this.type = type;
    this.knownTypes = [...knownTypes];
  }
}

/**
 * A recipe's field is missing, of the wrong type, out of bounds, or does not fit the node type's definition. An
 * `InvalidOptionError` of component `'recipe'` whose `option` is the field, with the node type beside it.
 */
export class InvalidRecipeError extends InvalidOptionError {
  static {
    brandError(this, '@monomyth/node.InvalidRecipeError');
  }

  override readonly code = 'INVALID_RECIPE';
  readonly type: string | undefined;
  /** The same as `option`. */
  readonly field: string;

  constructor(type: string | undefined, field: string, reason: string) {
    super('recipe', field, reason);
    // Workers send this text back in their START-NODE failures: it names the type, which the option error does not.
    this.message = `recipe${type === undefined ? '' : ` for ${JSON.stringify(type)}`}: ${field} ${reason}`;
    this.type = type;
    this.field = field;
  }
}

/** True for errors that say retrying cannot help: `NonRetryableError` and its subclasses. */
export function isNonRetryable(error: unknown): boolean {
  return error instanceof NonRetryableError;
}

/** The name of anything thrown, for failure headers: the class name of an Error, else its JS type. */
export function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  return error === null ? 'null' : typeof error;
}
