/**
 * One process of simulated workers for the scale scenario (sim-fleet.ts), forked by orchestration-scale.ts and driven
 * over the IPC channel: its options come as the first message; then `measure`, `kill`, `reset-starts`, `report` and
 * `close`. It answers `registered` once every worker has had REGISTERED, and a `report` with what it counted.
 */
import { SimulatedFleet } from './sim-fleet.js';
import type { FleetLoad, FleetOptions } from './sim-fleet.js';

export type FleetCommand =
  | { readonly cmd: 'start'; readonly options: FleetOptions }
  | { readonly cmd: 'measure'; readonly on: boolean }
  | { readonly cmd: 'load'; readonly load: FleetLoad }
  | { readonly cmd: 'kill'; readonly count: number }
  | { readonly cmd: 'reset-starts' }
  | { readonly cmd: 'report' }
  | { readonly cmd: 'close' };

export type FleetEvent =
  | { readonly event: 'registered'; readonly count: number }
  | {
      readonly event: 'report';
      readonly registered: number;
      readonly latencies: number[];
      readonly startsReceived: number;
      readonly nodes: number;
    };

let fleet: SimulatedFleet | undefined;

function tell(event: FleetEvent): void {
  process.send?.(event);
}

process.on('message', (command: FleetCommand) => {
  switch (command.cmd) {
    case 'start': {
      const started = new SimulatedFleet(command.options);
      fleet = started;
      void started
        .start()
        .then(() => started.whenRegistered())
        .then(() => tell({ event: 'registered', count: started.registered }));
      return;
    }
    case 'measure':
      return fleet?.measure(command.on);
    case 'load':
      return fleet?.load(command.load);
    case 'kill':
      return fleet?.kill(command.count);
    case 'reset-starts':
      return fleet?.resetStarts();
    case 'report':
      if (!fleet) return;
      tell({
        event: 'report',
        registered: fleet.registered,
        latencies: fleet.latencies.splice(0),
        startsReceived: fleet.startsReceived,
        nodes: fleet.nodeCount(),
      });
      return;
    case 'close':
      fleet?.close();
      process.disconnect();
  }
});
