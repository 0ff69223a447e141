/**
 * @monomyth/mmop: MMOP/1, the Monomyth Orchestration Protocol. Message kinds and their typed bodies, a strict codec
 * from messages to ZeroMQ frames and back, the ROUTER envelope helpers, and ZeroMQ CURVE certificate files with
 * their Z85 keys. It knows no sockets.
 */
export { MonomythError, brandError, describeError } from './monomyth-error.js';
/** The logger every library takes (pino's shape), and the one that writes nothing. */
export { noopLogger } from './logger.js';
export type { LogFn, Logger } from './logger.js';
export {
  InvalidOptionError,
  MAX_TIMER_MS,
  OptionChecker,
  describeValue,
  durationProblem,
  endpointProblem,
  numberProblem,
  oneOfProblem,
  parseWholeNumber,
  wholeNumberProblem,
} from './options.js';
export type { DurationBounds, NumberBounds } from './options.js';
export { MmopCodec, DEFAULT_CODEC_LIMITS } from './codec.js';
export type { CodecLimits, Envelope, Frames, IncomingFrames } from './codec.js';
export { encode, encodeEnvelope, decode, decodeEnvelope } from './default-codec.js';
export { MessageKind, MESSAGE_KINDS, isMessageKind } from './messages.js';
export type {
  MessageBody,
  MessageOf,
  MmopMessage,
  NodeStatus,
  Recipe,
  RecipeInfo,
  RequestKind,
  WorkerInfo,
} from './messages.js';
export { KIND_SPECS } from './wire-schemas.js';
export type { Direction } from './wire-schemas.js';
export { MAX_RECIPE_DEPTH } from './body-validator.js';
export { ReplyCode, Status } from './status.js';
export { StartFailureCategory } from './start-failure.js';
export { MAX_TEXT_LENGTH, truncateText } from './text.js';
export { DEFAULT_MASTER_ENDPOINT } from './endpoint.js';
export { DEFAULT_DRAIN_TIMEOUT_MS } from './drain.js';
export type { StatusCode } from './status.js';
export { PROTOCOL_VERSION, SUPPORTED_VERSIONS } from './version.js';
export { DecodeErrorCode, EncodeErrorCode, MmopDecodeError, MmopEncodeError } from './errors.js';
export type { MmopErrorDetails } from './errors.js';
export { IllegalTransitionError, Lifecycle } from './lifecycle.js';
export type {
  CloseOptions,
  LifecycleLog,
  LifecycleLogLevel,
  LifecycleOptions,
} from './lifecycle.js';
export { OrderedSender, SendQueueFullError, SenderClosedError } from './ordered-sender.js';
export type { OrderedSenderOptions } from './ordered-sender.js';
export {
  CertificateError,
  CertificateErrorCode,
  MAX_CERTIFICATE_BYTES,
  curvePublicKeyOf,
  generateCurveKeyPair,
  parseCertificate,
  readCertificate,
  readPublicKeysDir,
  readSecretCertificate,
} from './certificates.js';
export type { Certificate, CurveKeyPair, SecretCertificate } from './certificates.js';
export { writeCertificatePair } from './certificate-writer.js';
export type { WriteCertificateOptions, WrittenCertificatePair } from './certificate-writer.js';
export {
  CURVE_KEY_BYTES,
  CURVE_KEY_Z85_LENGTH,
  Z85Error,
  curveKeyFromZ85,
  curveKeyToZ85,
  z85Decode,
  z85Encode,
} from './z85.js';
export {
  describeRoutingId,
  newInstance,
  plainInstance,
  routingIdFor,
  RoutingIdVerifier,
} from './peer-identity.js';
export type { CurveClientKeys, PeerIdentity } from './peer-identity.js';
