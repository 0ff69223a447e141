/**
 * The stalled-worker scenario's trigger, shared by the runner (which publishes it) and the chaos system (which stalls
 * on it). It is an ordinary four-stage input, so its output is checked like any other: twenty sevens. TEST-NODE3 sees
 * it as the digits `777...718`, which no random input of the example makes (it would have to be those twenty sevens).
 */
export const STALL_INPUT = '7'.repeat(20);

/** What TEST-NODE3 receives for the marker: the digits after TEST-NODE1 appends "18" and TEST-NODE2 strips letters. */
export const STALL_DIGITS = `${STALL_INPUT}18`;

/** The environment variable that tells the chaos system how long to block its event loop on the marker, in ms. */
export const STALL_MS_ENV = 'MONOMYTH_CHAOS_STALL_MS';
