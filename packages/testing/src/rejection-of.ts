/**
 * The error a promise rejects with, when it is of the class a test expects; anything else fails the test: resolving
 * (with a message saying so) or rejecting with another error (rethrown as it is, so its own message shows).
 */
export async function rejectionOf<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a rejection with ${type.name}, but the promise resolved`);
}
