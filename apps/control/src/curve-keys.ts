/**
 * Reads the CURVE flags' certificate files for the control client: its own secret certificate and the master's
 * public one. Both or neither; anything else is a usage error with one line saying which file and why.
 */
import { CertificateError, readCertificate, readSecretCertificate } from '@monomyth/mmop';

export interface CurveFlags {
  curveSecretKey?: string;
  masterKey?: string;
}

/** The keys for ControlClient, or a one-line reason they cannot be had. */
export async function loadCurveKeys(
  flags: CurveFlags,
): Promise<{ curveSecretKey?: string; masterKey?: string } | { error: string }> {
  if (flags.curveSecretKey === undefined && flags.masterKey === undefined) return {};
  if (flags.curveSecretKey === undefined)
    return {
      error: "--master-key needs --curve-secret-key (this client's own secret certificate)",
    };
  if (flags.masterKey === undefined)
    return { error: "--curve-secret-key needs --master-key (the master's public certificate)" };
  try {
    const own = await readSecretCertificate(flags.curveSecretKey);
    const master = await readCertificate(flags.masterKey);
    return { curveSecretKey: own.secretKey, masterKey: master.publicKey };
  } catch (error) {
    if (error instanceof CertificateError) return { error: error.message };
    throw error;
  }
}
