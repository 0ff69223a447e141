/**
 * Flag values for the commands, checked by the mmop options kit's rules so a flag and the option it sets refuse the
 * same values. Each returns a commander argument parser: a refused value throws commander's `InvalidArgumentError`,
 * which commander reports as a usage error naming the flag (`option '--capacity <n>' argument '0' is invalid. ...`).
 */
import { InvalidArgumentError } from 'commander';
import {
  durationProblem,
  endpointProblem,
  parseWholeNumber,
  wholeNumberProblem,
} from '@monomyth/mmop';
import type { DurationBounds, NumberBounds } from '@monomyth/mmop';

/** The number a flag's text holds, or the text itself when it is not digits, so the refusal quotes what was typed. */
function numberOrText(text: string): number | string {
  const number = parseWholeNumber(text);
  return Number.isNaN(number) ? text : number;
}

function refuseOn(problem: string | undefined): void {
  if (problem !== undefined) throw new InvalidArgumentError(problem);
}

/** A whole number within `bounds` (digits only: `''`, `'1e3'`, `'0x10'` are refused). */
export function wholeNumberArgument(bounds: NumberBounds = { min: 0 }): (text: string) => number {
  return (text) => {
    const value = numberOrText(text);
    refuseOn(wholeNumberProblem(value, bounds));
    return value as number;
  };
}

/** A duration in whole milliseconds within `bounds` (by default 0 to Node's longest timer). */
export function durationArgument(bounds: DurationBounds = {}): (text: string) => number {
  return (text) => {
    const value = numberOrText(text);
    refuseOn(durationProblem(value, bounds));
    return value as number;
  };
}

/** A ZeroMQ endpoint MMOP can use (`tcp://host:port`, `ipc://path`, `inproc://name`). */
export function endpointArgument(text: string): string {
  refuseOn(endpointProblem(text));
  return text;
}
