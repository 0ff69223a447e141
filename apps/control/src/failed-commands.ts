/**
 * The failed-message commands: look into a node type's fail queue, send its messages back, or delete them. The
 * master passes each to a worker that offers the type, which does it through its stream adapter.
 *
 *   monomyth failed TYPE [--peek N]                how many wait in TYPE-fail; the first N, why each failed
 *   monomyth redrive TYPE [--limit N] [--to Q]     moves them back to TYPE's source queue (or Q), attempts reset
 *   monomyth purge-failed TYPE --yes               deletes them for good
 */
import type { Command } from 'commander';
import { EXIT_USAGE, wholeNumberArgument } from '@monomyth/cli-kit';
import type { FailQueueResult } from '@monomyth/control';
import { MAX_FAIL_QUEUE_PEEK } from '@monomyth/mmop';
import type { FailedMessageInfo } from '@monomyth/mmop';
import { table } from './tables.js';
import { print, withClient } from './with-client.js';

const peekCount = wholeNumberArgument({ min: 0, max: MAX_FAIL_QUEUE_PEEK });
const limitCount = wholeNumberArgument({ min: 1, max: Number.MAX_SAFE_INTEGER });

/** The longest reason or body preview a table cell shows (--json shows what the worker sent). */
const CELL_CHARS = 60;

function cut(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= CELL_CHARS ? flat : `${flat.slice(0, CELL_CHARS - 1)}…`;
}

function messages(count: number): string {
  return `${count} message${count === 1 ? '' : 's'}`;
}

/** The peeked messages, one row each, head first. */
export function failedTable(items: readonly FailedMessageInfo[]): string {
  return table(
    ['#', 'ATTEMPTS', 'STEP', 'ERROR', 'REASON', 'LAST FAILURE', 'SOURCE', 'REDRIVES', 'BODY'],
    items.map((item, index) => [
      index + 1,
      item.attempts ?? '-',
      item.step ?? '-',
      item.errorName ?? '-',
      cut(item.reason ?? '-'),
      item.lastFailureAt ?? '-',
      item.sourceQueue ?? '-',
      item.redrives ?? 0,
      `${item.bodyBytes} B ${cut(JSON.stringify(item.preview))}`,
    ]),
  );
}

/** What `failed` prints: the count, the peeked messages, and how many were peeked but not shown. */
export function inspectedText(result: FailQueueResult): string {
  const head = `${result.queue}: ${messages(result.count)} (read by ${result.workerId})`;
  const shown = result.messages ?? [];
  const lines = shown.length === 0 ? [head] : [head, failedTable(shown)];
  if (result.omitted)
    lines.push(
      `${messages(result.omitted)} not shown (peeked, but the answer would be over the master's frame limit, --max-frame-bytes)`,
    );
  return lines.join('\n');
}

export function registerFailedCommands(program: Command): void {
  program
    .command('failed')
    .description(
      "count the messages in a node type's fail queue; --peek shows why the first ones failed",
    )
    .argument('<type>', 'the node type')
    .option(
      '--peek <n>',
      `show the first n messages (at most ${MAX_FAIL_QUEUE_PEEK}); none are removed`,
      peekCount,
    )
    .action(async (type: string, local: { peek?: number }, command: Command) =>
      withClient(
        command,
        async (client, options) => {
          const result = await client.failedMessages(type, { peek: local.peek });
          print(options, result, inspectedText(result));
        },
        { pingFirst: true },
      ),
    );

  program
    .command('redrive')
    .description(
      "move a node type's failed messages back to its source queue, attempts reset; each is stored there before it leaves the fail queue",
    )
    .argument('<type>', 'the node type')
    .option(
      '--limit <n>',
      'move at most n messages (default: all there when it begins)',
      limitCount,
    )
    .option(
      '--to <queue>',
      "move them to this queue (one a node reads) instead of the type's source",
    )
    .action(async (type: string, local: { limit?: number; to?: string }, command: Command) =>
      withClient(
        command,
        async (client, options) => {
          const result = await client.redrive(type, { limit: local.limit, to: local.to });
          print(
            options,
            result,
            `moved ${messages(result.moved ?? 0)} from ${result.queue} to ${result.to ?? '?'}; ${messages(result.count)} left in ${result.queue}`,
          );
        },
        { pingFirst: true },
      ),
    );

  program
    .command('purge-failed')
    .description("delete every message in a node type's fail queue, for good (needs --yes)")
    .argument('<type>', 'the node type')
    .option('--yes', 'yes, delete them: they cannot be brought back', false)
    .action(async (type: string, local: { yes: boolean }, command: Command) => {
      if (!local.yes) {
        console.error(
          `monomyth: purge-failed deletes the messages in ${type}-fail for good; add --yes to do it (or look first: monomyth failed ${type} --peek 10)`,
        );
        process.exitCode = EXIT_USAGE;
        return;
      }
      await withClient(
        command,
        async (client, options) => {
          const result = await client.purgeFailed(type);
          print(
            options,
            result,
            `deleted ${messages(result.purged ?? 0)} from ${result.queue}; ${messages(result.count)} left`,
          );
        },
        { pingFirst: true },
      );
    });
}
