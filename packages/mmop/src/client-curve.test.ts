import { describe, expect, it } from 'vitest';
import { generateCurveKeyPair } from './certificates.js';
import { checkClientCurve } from './client-curve.js';
import { InvalidOptionError, OptionChecker } from './options.js';

const check = new OptionChecker('worker');

function refusal(options: { curveSecretKey?: string; masterKey?: string }): unknown {
  try {
    checkClientCurve(check, options, 'worker');
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('checkClientCurve', () => {
  const own = generateCurveKeyPair();
  const master = generateCurveKeyPair();

  it('mmop - neither key: plain MMOP; both: the keys, the public one derived from the secret', () => {
    expect(checkClientCurve(check, {}, 'worker')).toBeUndefined();
    expect(
      checkClientCurve(
        check,
        { curveSecretKey: own.secretKey, masterKey: master.publicKey },
        'worker',
      ),
    ).toEqual({ publicKey: own.publicKey, secretKey: own.secretKey, serverKey: master.publicKey });
  });

  it("mmop - half a setting names the option missing; a key that is not Z85 is curveSecretKey's, in the checker's component", () => {
    const noSecret = refusal({ masterKey: master.publicKey });
    expect(noSecret).toBeInstanceOf(InvalidOptionError);
    expect(noSecret).toMatchObject({ component: 'worker', option: 'curveSecretKey' });
    expect(String(noSecret)).toContain("the worker's own secret key");
    expect(refusal({ curveSecretKey: own.secretKey })).toMatchObject({ option: 'masterKey' });
    expect(refusal({ curveSecretKey: own.secretKey, masterKey: 'short' })).toMatchObject({
      option: 'curveSecretKey',
      reason: expect.stringMatching(/^expected CURVE keys in Z85/),
    });
    expect(refusal({ curveSecretKey: 'short', masterKey: master.publicKey })).toMatchObject({
      option: 'curveSecretKey',
    });
  });
});
