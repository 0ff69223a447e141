/** The CURVE side of `pnpm bench orchestration`: certificates made for the run, and zeromq.js socket options. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dealer, Router } from 'zeromq';
import { readSecretCertificate, writeCertificatePair } from '@monomyth/mmop';
import type { CurveKeyPair } from '@monomyth/mmop';

/** Certificates for the CURVE runs, in a temporary directory: the master's pair, one controller, `workers` workers. */
export interface CurveSetup {
  readonly dir: string;
  readonly master: CurveKeyPair & { readonly secretFile: string };
  readonly controller: CurveKeyPair;
  readonly controllersDir: string;
  readonly workersDir: string;
  readonly workers: readonly CurveKeyPair[];
}

async function writePair(
  dir: string,
  name: string,
): Promise<CurveKeyPair & { secretFile: string }> {
  const written = await writeCertificatePair(dir, name);
  const { secretKey } = await readSecretCertificate(written.secretFile);
  return { publicKey: written.publicKey, secretKey, secretFile: written.secretFile };
}

export async function curveSetup(workers: number): Promise<CurveSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'monomyth-bench-curve-'));
  const controllersDir = join(dir, 'controllers');
  const workersDir = join(dir, 'workers');
  const pairs: CurveKeyPair[] = [];
  for (let i = 0; i < workers; i++) pairs.push(await writePair(workersDir, `worker-${i}`));
  return {
    dir,
    master: await writePair(join(dir, 'master'), 'master'),
    controller: await writePair(controllersDir, 'controller'),
    controllersDir,
    workersDir,
    workers: pairs,
  };
}

/** zeromq.js socket options for a CURVE server with `server`'s keys, or for its client holding `client`'s. */
export function curveServerOptions(server: CurveKeyPair): Partial<Router> {
  return { curveServer: true, curveSecretKey: server.secretKey, curvePublicKey: server.publicKey };
}
export function curveClientOptions(client: CurveKeyPair, serverKey: string): Partial<Dealer> {
  return {
    curvePublicKey: client.publicKey,
    curveSecretKey: client.secretKey,
    curveServerKey: serverKey,
  };
}
