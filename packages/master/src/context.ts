/** What the master's parts share: its state, its options, and the means to reach workers. Internal to the package. */
import type { MessageOf, MmopMessage, Recipe } from '@monomyth/mmop';
import type { Cluster } from './cluster.js';
import type { Logger } from './logger.js';
import type { CompiledMasterOptions } from './options.js';
import type { PendingReplies } from './pending-replies.js';

export type StartAnswer = MessageOf<'START-NODE-SUCCESS'> | MessageOf<'START-NODE-FAILURE'>;
export type StopAnswer = MessageOf<'STOP-NODE-SUCCESS'> | MessageOf<'STOP-NODE-FAILURE'>;

export interface MasterContext {
  readonly cluster: Cluster;
  readonly options: CompiledMasterOptions;
  readonly log: Logger;
  readonly starts: PendingReplies<StartAnswer>;
  readonly stops: PendingReplies<StopAnswer>;
  /** Workers asked to shut down, keyed by request; settled when the worker leaves (BYE) or is lost. */
  readonly shutdowns: PendingReplies<never>;
  /** Sends a message to the peer with this ROUTER identity; rejects if it cannot be routed now. */
  send(identity: Buffer, message: MmopMessage): Promise<void>;
  nextRequestId(): string;
  now(): number;
  /** The recipe a START-NODE carries, from the type's (with the node's share of a rate limit); as is when absent. */
  startRecipe?(recipe: Recipe): Recipe;
}
