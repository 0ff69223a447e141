/**
 * Types flowing along a chain: `defineSystem` types each chained node's input as what the node before it emits, so an
 * unannotated transform parameter gets the previous node's output type, and an annotated one must accept it. Types
 * only; nothing here runs.
 *
 * Each of the first 16 places in `nodes` has type parameters of its own (its explicit source, its input, its output):
 * TypeScript infers them left to right, so a place's output is known when the next place's parameter is typed. One type
 * parameter for the whole tuple cannot do that: it is fixed, all at once, at the first unannotated parameter. Nodes
 * after the 16th are neither typed nor checked (they are `AnyNodeDefinition`s); a longer chain is better split.
 */
import type {
  AnyNodeDefinition,
  GeneratorNodeDefinition,
  TransformContext,
  TransformNodeDefinition,
} from './definition.js';
import type { System } from './system.js';

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

/** A node's explicit source as written: a queue name, or nothing (the node reads its link in the chain). */
type SourceOf = string | undefined;

/**
 * True for a node written with a source of its own (`source: 'raw'`): its queue is not the chain's. A source typed only
 * `string` (a definition typed by `defineNode`, whose `source` is optional) may be absent: such a node counts as chained.
 */
type HasOwnSource<Source extends SourceOf> = [Source] extends [string]
  ? string extends Source
    ? false
    : true
  : false;

/**
 * What a node's input is when nothing else says (no annotation, no input schema): the previous node's output for a
 * chained node, `unknown` for one with a source of its own.
 */
type ChainInput<Source extends SourceOf, Prev> = HasOwnSource<Source> extends true ? unknown : Prev;

/**
 * `T` itself, written as an intersection: inference takes a lower-priority candidate from it. Where a node's check
 * names the previous node's output, a plain `Prev` would let the node's own parameter type decide what the previous
 * node emits, and a mismatch would be reported at the previous node; `NoInfer<Prev>` loses a generator's yield type.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- {} | null | undefined is every value, as unknown
type Same<T> = T & ({} | null | undefined);

/**
 * A chained node must accept what the node before it emits; a node with an explicit source is not checked. A mismatch
 * makes the transform's type also take `Prev`, so the error names both types at the transform.
 */
type LinkCheck<Prev, Source extends SourceOf, In> =
  HasOwnSource<Source> extends true
    ? unknown
    : [Prev] extends [In]
      ? unknown
      : { readonly transform: (input: Same<Prev>, ctx: TransformContext) => unknown };

/** The first node: it reads the system's input, whose type is its own to say (`unknown` unless annotated). */
type FirstNode<In, Out> =
  | (TransformNodeDefinition<In, Out> & { readonly source?: SourceOf })
  | GeneratorNodeDefinition<Out>;

/** A node after the first, `Prev` being what the node before it emits. */
type ChainedNode<Prev, Source extends SourceOf, In, Out> =
  | (TransformNodeDefinition<In, Out> & { readonly source?: Source } & LinkCheck<Prev, Source, In>)
  | GeneratorNodeDefinition<Out>;

/** `defineSystem`'s signature: a system's nodes, each typed from the one before it (see the header). */
export interface DefineSystem {
  <
    I1 = unknown,
    O1 = unknown,
    S2 extends SourceOf = undefined,
    I2 = ChainInput<S2, O1>,
    O2 = unknown,
    S3 extends SourceOf = undefined,
    I3 = ChainInput<S3, O2>,
    O3 = unknown,
    S4 extends SourceOf = undefined,
    I4 = ChainInput<S4, O3>,
    O4 = unknown,
    S5 extends SourceOf = undefined,
    I5 = ChainInput<S5, O4>,
    O5 = unknown,
    S6 extends SourceOf = undefined,
    I6 = ChainInput<S6, O5>,
    O6 = unknown,
    S7 extends SourceOf = undefined,
    I7 = ChainInput<S7, O6>,
    O7 = unknown,
    S8 extends SourceOf = undefined,
    I8 = ChainInput<S8, O7>,
    O8 = unknown,
    S9 extends SourceOf = undefined,
    I9 = ChainInput<S9, O8>,
    O9 = unknown,
    S10 extends SourceOf = undefined,
    I10 = ChainInput<S10, O9>,
    O10 = unknown,
    S11 extends SourceOf = undefined,
    I11 = ChainInput<S11, O10>,
    O11 = unknown,
    S12 extends SourceOf = undefined,
    I12 = ChainInput<S12, O11>,
    O12 = unknown,
    S13 extends SourceOf = undefined,
    I13 = ChainInput<S13, O12>,
    O13 = unknown,
    S14 extends SourceOf = undefined,
    I14 = ChainInput<S14, O13>,
    O14 = unknown,
    S15 extends SourceOf = undefined,
    I15 = ChainInput<S15, O14>,
    O15 = unknown,
    S16 extends SourceOf = undefined,
    I16 = ChainInput<S16, O15>,
    O16 = unknown,
  >(definition: {
    /** The system's name, for logs and errors. */
    readonly name: string;
    readonly nodes: readonly [
      FirstNode<I1, O1>?,
      ChainedNode<O1, S2, I2, O2>?,
      ChainedNode<O2, S3, I3, O3>?,
      ChainedNode<O3, S4, I4, O4>?,
      ChainedNode<O4, S5, I5, O5>?,
      ChainedNode<O5, S6, I6, O6>?,
      ChainedNode<O6, S7, I7, O7>?,
      ChainedNode<O7, S8, I8, O8>?,
      ChainedNode<O8, S9, I9, O9>?,
      ChainedNode<O9, S10, I10, O10>?,
      ChainedNode<O10, S11, I11, O11>?,
      ChainedNode<O11, S12, I12, O12>?,
      ChainedNode<O12, S13, I13, O13>?,
      ChainedNode<O13, S14, I14, O14>?,
      ChainedNode<O14, S15, I15, O15>?,
      ChainedNode<O15, S16, I16, O16>?,
      ...AnyNodeDefinition[],
    ];
  }): System;
}
