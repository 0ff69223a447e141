/** The protocol version this codec speaks; the first frame of every MMOP/1 message. */
export const PROTOCOL_VERSION = 'MMOP/1';

/** Every version this codec can decode. A peer speaking another one gets an error naming these. */
export const SUPPORTED_VERSIONS: readonly string[] = [PROTOCOL_VERSION];
