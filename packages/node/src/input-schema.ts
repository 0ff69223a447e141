/**
 * Input schemas: a node may declare the shape of what it reads with any Standard Schema validator (zod, valibot,
 * arktype, ...: https://standardschema.dev). The node checks each decoded body against it before the transform runs;
 * a message that does not match fails at step `pull` with an `InputValidationError`, which is non-retryable (the same
 * bytes fail again) and goes to the fail queue with the issues in its headers. The transform then sees the schema's
 * output, so a schema may also coerce or default.
 *
 * Only the spec's types are imported: no validator library is a dependency of this package.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { NonRetryableError, brandError } from './errors.js';

export type { StandardSchemaV1 };

/** How many issues an error keeps, and how long its message and its issues header may grow. */
const MAX_ISSUES = 20;
const MAX_ISSUES_TEXT = 2048;

/** One problem with an input, in a form that travels in headers and logs. */
export interface InputIssue {
  /** Where in the input: `$` for the whole value, `$.items[2].name` for a nested field. */
  readonly path: string;
  readonly message: string;
}

/** A decoded body does not match the node's `inputSchema`: the message goes to the fail queue, never retried. */
export class InputValidationError extends NonRetryableError {
  static {
    brandError(this, '@monomyth/node.InputValidationError');
  }

  override readonly code = 'INPUT_VALIDATION';
  /** The validator's issues (at most 20), paths written as `$.field[0]`. */
  readonly issues: readonly InputIssue[];

  constructor(issues: readonly InputIssue[]) {
    super(`the input does not match the node's inputSchema: ${summarize(issues)}`);
    this.issues = issues;
  }

  /** The issues as JSON, cut to a size that suits a header. */
  issuesJson(): string {
    const kept: InputIssue[] = [];
    let length = 2;
    for (const issue of this.issues) {
      const text = JSON.stringify(issue);
      if (length + text.length + 1 > MAX_ISSUES_TEXT) break;
      kept.push(issue);
      length += text.length + 1;
    }
    return JSON.stringify(kept);
  }
}

function summarize(issues: readonly InputIssue[]): string {
  let text = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
  if (text.length > MAX_ISSUES_TEXT) text = `${text.slice(0, MAX_ISSUES_TEXT - 3)}...`;
  return text;
}

/** `$.a[0].b` from a Standard Schema path. */
function pathOf(path: StandardSchemaV1.Issue['path']): string {
  let text = '$';
  for (const segment of path ?? []) {
    const key = typeof segment === 'object' ? segment.key : segment;
    if (typeof key === 'number') text += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) text += `.${key}`;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text;
}

/** The error for a failed validation. */
function validationError(issues: readonly StandardSchemaV1.Issue[]): InputValidationError {
  const kept: InputIssue[] = [];
  for (let i = 0; i < issues.length && i < MAX_ISSUES; i++) {
    const issue = issues[i] as StandardSchemaV1.Issue;
    kept.push({ path: pathOf(issue.path), message: String(issue.message) });
  }
  return new InputValidationError(kept);
}

/** True when `value` implements Standard Schema v1 (what `inputSchema` must be). */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  const standard = (value as Partial<StandardSchemaV1>)['~standard'];
  return (
    typeof standard === 'object' &&
    standard !== null &&
    standard.version === 1 &&
    typeof standard.validate === 'function'
  );
}

/**
 * Checks one decoded input. Returns the schema's output, or a promise of it when the validator is asynchronous;
 * throws (or rejects with) an `InputValidationError` when the input does not match. A synchronous validator costs no
 * promise.
 */
export function checkInput(schema: StandardSchemaV1, input: unknown): unknown {
  const result = schema['~standard'].validate(input);
  if (result instanceof Promise) return result.then(outputOf);
  return outputOf(result);
}

function outputOf(result: StandardSchemaV1.Result<unknown>): unknown {
  if (result.issues !== undefined) throw validationError(result.issues);
  return result.value;
}
