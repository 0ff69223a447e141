/**
 * A client's CURVE options, as the worker and the control client take them: its own secret key and the master's
 * public key (Z85), both or neither. Checked once, with the component's OptionChecker, so both refuse half a setting
 * or a key that is not Z85 the same way.
 */
import { curvePublicKeyOf } from './certificates.js';
import { describeError } from './monomyth-error.js';
import type { OptionChecker } from './options.js';
import type { CurveClientKeys } from './peer-identity.js';
import { curveKeyFromZ85 } from './z85.js';

/**
 * The keys for a client socket, or undefined for plain MMOP. Throws the checker's InvalidOptionError for half a
 * setting (naming the option missing) or a key that is not Z85 (`curveSecretKey`). `self` names whose secret key it is
 * in the message (`'worker'`, `'client'`).
 */
export function checkClientCurve(
  check: OptionChecker,
  options: { readonly curveSecretKey?: string; readonly masterKey?: string },
  self: string,
): CurveClientKeys | undefined {
  const { curveSecretKey, masterKey } = options;
  if (curveSecretKey === undefined && masterKey === undefined) return undefined;
  if (curveSecretKey === undefined)
    return check.fail('curveSecretKey', `masterKey needs the ${self}'s own secret key`);
  if (masterKey === undefined)
    return check.fail('masterKey', "curveSecretKey needs the master's public key");
  try {
    curveKeyFromZ85(masterKey);
    return {
      publicKey: curvePublicKeyOf(curveSecretKey),
      secretKey: curveSecretKey,
      serverKey: masterKey,
    };
  } catch (error) {
    return check.fail('curveSecretKey', `expected CURVE keys in Z85: ${describeError(error)}`);
  }
}
