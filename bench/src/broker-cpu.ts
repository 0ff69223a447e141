/**
 * The broker's CPU, beside the bench process's own: on this machine the broker is what runs out first, so how much of
 * it a contender spends per message says more about its cost than this process's CPU alone.
 *
 * Read from `/proc/<pid>/stat` (Linux) for the broker's Erlang VM: the bench's own RabbitMQ writes its pid file in its
 * data directory; for a broker given by MONOMYTH_AMQP_URL, MONOMYTH_BENCH_BROKER_PID names its pid or pid file. Where
 * neither is known (or readable), the figure is left out rather than guessed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** The clock ticks per second that /proc counts CPU time in. */
function clockTicks(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

/** A process whose CPU time can be read. */
export class BrokerCpu {
  readonly #statPath: string;
  readonly #ticks = clockTicks();

  private constructor(pid: number) {
    this.#statPath = `/proc/${pid}/stat`;
  }

  /** From a pid, or a file holding one; undefined when there is no such process to read. */
  static of(pidOrFile: string | undefined): BrokerCpu | undefined {
    if (pidOrFile === undefined || pidOrFile === '') return undefined;
    let text = pidOrFile;
    if (!/^\d+$/.test(text)) {
      if (!existsSync(text)) return undefined;
      text = readFileSync(text, 'utf8').trim();
    }
    const pid = Number(text);
    if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
    const cpu = new BrokerCpu(pid);
    return cpu.seconds() === undefined ? undefined : cpu;
  }

  /** User and system CPU seconds the process has used so far, or undefined once it cannot be read. */
  seconds(): number | undefined {
    try {
      // The command name (field 2) may hold spaces: count the fields after its closing parenthesis.
      const stat = readFileSync(this.#statPath, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
      return (Number(fields[11]) + Number(fields[12])) / this.#ticks;
    } catch {
      return undefined;
    }
  }
}

let measured: BrokerCpu | undefined;

/** Which broker `brokerSeconds()` reads from now on (undefined: none). */
export function measureBroker(cpu: BrokerCpu | undefined): void {
  measured = cpu;
}

/** The measured broker's CPU seconds so far, or undefined. */
export function brokerSeconds(): number | undefined {
  return measured?.seconds();
}
