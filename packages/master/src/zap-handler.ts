/**
 * The master's ZAP handler (ZeroMQ RFC 27): libzmq asks it, for every CURVE handshake on the master's ROUTER, whether
 * the client's key may connect. It is a ROUTER bound to `inproc://zeromq.zap.01` in the master's own ZeroMQ context
 * (zeromq.js ships no ZAP helper), so it serves that ROUTER and no other socket of the process.
 *
 *   request:  [peer][''] version "1.0" | request id | domain | address | identity | mechanism "CURVE" | key (32 bytes)
 *   reply:    [peer][''] version "1.0" | request id | status "200" / "400" | status text | user id | metadata ''
 *
 * A 400 ends the handshake: the client never gets a frame of MMOP. Each refused key is logged once (and no more than
 * ten lines a minute however many keys knock), with its Z85 text, so an operator can add it to a key directory.
 */
import type { Context } from 'zeromq';
import { Router } from 'zeromq';
import { curveKeyToZ85 } from '@monomyth/mmop';
import type { Logger } from './logger.js';
import { RateLimiter } from './rate-limited.js';

export const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';
/** How many refused keys are remembered as already logged. */
const MAX_LOGGED_KEYS = 10_000;

export class ZapHandler {
  readonly #router: Router;
  readonly #allows: (publicKey: string) => boolean;
  readonly #log: Logger;
  readonly #logged = new Set<string>();
  readonly #limiter = new RateLimiter(10, 60_000);
  #serving: Promise<void> | undefined;

  private constructor(router: Router, allows: (publicKey: string) => boolean, log: Logger) {
    this.#router = router;
    this.#allows = allows;
    this.#log = log;
  }

  /** Binds the handler in `context`; must be done before the server socket binds, or handshakes go unchecked. */
  static async start(
    context: Context,
    allows: (publicKey: string) => boolean,
    log: Logger,
  ): Promise<ZapHandler> {
    const router = new Router({ context, linger: 0 });
    await router.bind(ZAP_ENDPOINT);
    const handler = new ZapHandler(router, allows, log);
    handler.#serving = handler.#serve();
    return handler;
  }

  async close(): Promise<void> {
    this.#router.close();
    await this.#serving;
  }

  async #serve(): Promise<void> {
    try {
      for await (const frames of this.#router) {
        const reply = this.#answer(frames);
        if (reply) await this.#router.send(reply);
      }
    } catch {
      // Closed with the master.
    }
  }

  #answer(frames: Buffer[]): (Buffer | string)[] | undefined {
    const [peer, delimiter, version, requestId, , address, , mechanism, credential] = frames;
    if (!peer || !delimiter || !requestId) return undefined;
    const answer = (status: string, text: string, userId = ''): (Buffer | string)[] => [
      peer,
      delimiter,
      '1.0',
      requestId,
      status,
      text,
      userId,
      '',
    ];
    if (version?.toString() !== '1.0') return answer('500', 'unsupported ZAP version');
    if (mechanism?.toString() !== 'CURVE' || credential?.length !== 32) {
      return answer('400', 'CURVE is required');
    }
    const publicKey = curveKeyToZ85(credential);
    if (this.#allows(publicKey)) return answer('200', 'OK', publicKey);
    this.#logRefused(publicKey, address?.toString() ?? '');
    return answer('400', 'key not allowed');
  }

  #logRefused(publicKey: string, address: string): void {
    if (this.#logged.has(publicKey)) return;
    const { allowed, suppressed } = this.#limiter.take(Date.now());
    if (suppressed > 0) this.#log.warn({ suppressed }, 'more unknown keys were refused');
    if (!allowed) return;
    if (this.#logged.size >= MAX_LOGGED_KEYS) this.#logged.clear();
    this.#logged.add(publicKey);
    this.#log.warn(
      { publicKey, address },
      `refused a connection from an unknown key ${publicKey}: put its public certificate in the workers or controllers keys directory to allow it`,
    );
  }

  /** A key that was refused and then allowed, then removed again, is logged again. */
  forget(): void {
    this.#logged.clear();
  }
}
