/**
 * The master's one socket: a ROUTER bound to its endpoint, with CURVE on when the options give keys. Its options say
 * how the master treats peers: a send to a peer that is gone fails instead of vanishing, a slow peer never blocks the
 * master, and no peer can take over a routing id in use.
 */
import { Router } from 'zeromq';
import { MonomythError, brandError, describeError } from '@monomyth/mmop';
import type { Logger } from './logger.js';
import type { CompiledMasterOptions } from './options.js';
import { MasterSecurity } from './security.js';

/** The master could not bind its endpoint (in use, or not an address of this host). */
export class MasterBindError extends MonomythError {
  static {
    brandError(this, '@monomyth/master.MasterBindError');
  }

  readonly code = 'BIND_FAILED';
}

export interface MasterSocket {
  readonly router: Router;
  /** The CURVE keys and ZAP handler, or undefined when CURVE is off. */
  readonly security: MasterSecurity | undefined;
}

/** Binds the master's ROUTER; throws MasterBindError (having released everything) if the endpoint cannot be bound. */
export async function openMasterSocket(
  options: CompiledMasterOptions,
  log: Logger,
): Promise<MasterSocket> {
  // The ZAP handler binds in the master's own context before the ROUTER does, so no handshake goes unchecked.
  const security = options.curve && (await MasterSecurity.create(options.curve, log));
  const router = new Router({
    ...(security && {
      context: security.context,
      curveServer: true,
      curveSecretKey: security.secretKey,
    }),
    linger: 0,
    // Fail sends to peers that are gone instead of dropping them silently, and never block on a slow peer.
    mandatory: true,
    sendTimeout: 0,
    // No peer takes over a routing id in use: a second connection under it is refused. Workers give each socket a
    // fresh id, so one that reconnects never needs the old one.
    handover: false,
    // ZMQ_MAXMSGSIZE bounds each frame (not a whole multipart message): a peer that sends a larger one is disconnected
    // by ZeroMQ's I/O thread before the frame is buffered. ZMQ_RCVHWM counts whole messages per peer; together they
    // bound what a peer sending well-framed messages can make the master hold (see docs/mmop.md, Limits).
    maxMessageSize: options.maxFrameBytes,
    receiveHighWaterMark: options.receiveHighWaterMark,
  });
  try {
    await router.bind(options.bind);
  } catch (error) {
    router.close();
    await security?.close();
    throw new MasterBindError(`could not bind ${options.bind}: ${describeError(error)}`, {
      cause: error,
    });
  }
  return { router, security: security || undefined };
}
