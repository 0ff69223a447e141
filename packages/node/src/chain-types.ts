/**
 * Types flowing along a chain: `defineSystem` checks, at compile time, that each chained node accepts what the node
 * before it emits. Types only; nothing here runs.
 */
import type { TransformContext } from './definition.js';

/** Marks a chain link that types do not follow (a first node, an explicit dest). */
interface NoLink {
  readonly __monomythNoLink: unique symbol;
}

type Element<R> = R extends readonly (infer E)[] ? E : R;
/** What a definition's transform (or generator) emits, one output at a time. */
export type OutputOf<D> = D extends { readonly transform: (...args: never[]) => infer R }
  ? // eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- a transform may return void
    Exclude<Element<Awaited<R>>, undefined | void>
  : D extends { readonly generate: (...args: never[]) => infer I }
    ? I extends Iterable<infer O> | AsyncIterable<infer O>
      ? O
      : unknown
    : unknown;

type InputOf<D> = D extends { readonly transform: (input: infer I, ...rest: never[]) => unknown }
  ? I
  : unknown;

type Linked<D, Prev> = [Prev] extends [NoLink]
  ? D
  : D extends { readonly source: unknown }
    ? D
    : D extends { readonly transform: unknown }
      ? [Prev] extends [InputOf<D>]
        ? D
        : { readonly transform: (input: Prev, ctx: TransformContext) => unknown }
      : D;

/**
 * Checks, in a tuple of definitions, that each chained node accepts what the node before it emits. Nodes with an
 * explicit source, and nodes after one with an explicit dest, are not checked: their queue is not the chain's.
 */
export type ChainChecked<Nodes, Prev = NoLink> = Nodes extends readonly [infer Head, ...infer Tail]
  ? readonly [
      Linked<Head, Prev>,
      ...ChainChecked<Tail, Head extends { readonly dest: unknown } ? NoLink : OutputOf<Head>>,
    ]
  : Nodes;
