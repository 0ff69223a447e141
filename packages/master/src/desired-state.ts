/**
 * The master's desired state in a file (`--state FILE`): the desired count per node type and the autoscale policies
 * set at run time. Workers re-report what they run when a master restarts, but not what was wanted: without the file a
 * restarted master takes what runs as desired, and forgets the policies set with `monomyth autoscale`.
 *
 * Written whole on every change, atomically: a temporary file beside it, flushed to disk, then renamed over it, so a
 * crash leaves the old state or the new one, never half of one. Writes never overlap: a change during a write is
 * written after it, and only the latest. Read once, at start; a file that does not parse stops the master from
 * starting (better than forgetting what was wanted), a missing one is an empty state.
 */
import { open, readFile, rename, unlink } from 'node:fs/promises';
import {
  autoscalePolicyProblem,
  describeError,
  MonomythError,
  brandError,
  rateLimitProblem,
} from '@monomyth/mmop';
import type { AutoscalePolicy, RateLimit } from '@monomyth/mmop';
import type { Logger } from './logger.js';

export interface DesiredState {
  /** Desired nodes per type. */
  readonly desired: Readonly<Record<string, number>>;
  /** Autoscale policies set at run time, per type; null: turned off at run time. */
  readonly autoscale: Readonly<Record<string, AutoscalePolicy | null>>;
  /** Rate limits set at run time, per type; null: cleared at run time. */
  readonly rateLimits: Readonly<Record<string, RateLimit | null>>;
}

/** The file's format version: a master refuses a file of a version it does not know. */
const FORMAT = 1;

/** The state file could not be read or does not hold a desired state. */
export class DesiredStateError extends MonomythError {
  static {
    brandError(this, '@monomyth/master.DesiredStateError');
  }

  readonly code: string = 'DESIRED_STATE';
  readonly path: string;

  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(`state file ${path}: ${reason}`, options);
    this.path = path;
  }
}

/** Reads the state file; undefined when there is none yet. Throws DesiredStateError for one that cannot be used. */
export async function readDesiredState(path: string): Promise<DesiredState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DesiredStateError(path, `cannot be read: ${describeError(error)}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DesiredStateError(path, `is not JSON: ${describeError(error)}`, { cause: error });
  }
  return checkState(path, parsed);
}

function checkState(path: string, value: unknown): DesiredState {
  const fail = (reason: string): never => {
    throw new DesiredStateError(path, reason);
  };
  if (typeof value !== 'object' || value === null) return fail('does not hold an object');
  const { format, desired, autoscale, rateLimits = {} } = value as Record<string, unknown>;
  if (format !== FORMAT) fail(`has format ${JSON.stringify(format)}; this master reads ${FORMAT}`);
  if (typeof desired !== 'object' || desired === null) return fail('has no desired counts');
  for (const [type, count] of Object.entries(desired)) {
    if (!Number.isSafeInteger(count) || (count as number) < 0)
      fail(`desired.${type} must be a whole number >= 0, got ${JSON.stringify(count)}`);
  }
  if (typeof autoscale !== 'object' || autoscale === null) return fail('has no autoscale policies');
  for (const [type, policy] of Object.entries(autoscale)) {
    const problem = policy === null ? undefined : autoscalePolicyProblem(policy);
    if (problem) fail(`autoscale.${type}.${problem.field}: ${problem.message}`);
  }
  if (typeof rateLimits !== 'object' || rateLimits === null) return fail('has bad rate limits');
  for (const [type, limit] of Object.entries(rateLimits)) {
    const problem = limit === null ? undefined : rateLimitProblem(limit);
    if (problem) fail(`rateLimits.${type}.${problem.field}: ${problem.message}`);
  }
  return {
    desired: desired as Record<string, number>,
    autoscale: autoscale as Record<string, AutoscalePolicy | null>,
    rateLimits: rateLimits as Record<string, RateLimit | null>,
  };
}

/** Writes the desired state to its file when it changes, one write at a time. */
export class DesiredStateFile {
  readonly path: string;
  readonly #log: Logger;
  /** The text last written (or being written): a save of the same state writes nothing. */
  #written: string | undefined;
  /** The latest text waiting for the write in progress to end. */
  #next: string | undefined;
  #writing: Promise<void> | undefined;

  constructor(path: string, log: Logger, current?: DesiredState) {
    this.path = path;
    this.#log = log;
    if (current) this.#written = serialize(current);
  }

  /** Saves `state` if it differs from what was last saved; returns at once (see flush()). */
  save(state: DesiredState): void {
    const text = serialize(state);
    if (text === (this.#next ?? this.#written)) return;
    this.#next = text;
    this.#writing ??= this.#drain();
  }

  /** Resolves once every save so far is on disk (or has failed and been logged). */
  async flush(): Promise<void> {
    await this.#writing;
  }

  async #drain(): Promise<void> {
    while (this.#next !== undefined) {
      const text = this.#next;
      this.#next = undefined;
      try {
        await writeAtomically(this.path, text);
        this.#written = text;
      } catch (error) {
        // The state stays in memory; the next change tries again.
        this.#written = undefined;
        this.#log.error({ err: error, path: this.path }, 'could not write the state file');
      }
    }
    this.#writing = undefined;
  }
}

function serialize(state: DesiredState): string {
  const sorted = <T>(record: Readonly<Record<string, T>>): Record<string, T> =>
    Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return `${JSON.stringify(
    {
      format: FORMAT,
      desired: sorted(state.desired),
      autoscale: sorted(state.autoscale),
      rateLimits: sorted(state.rateLimits),
    },
    null,
    2,
  )}\n`;
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(text, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
}
