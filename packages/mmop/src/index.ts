/**
 * @monomyth/mmop: MMOP/1, the Monomyth Orchestration Protocol. Message kinds and their typed bodies, a strict codec
 * from messages to ZeroMQ frames and back, the ROUTER envelope helpers, and ZeroMQ CURVE certificate files with
 * their Z85 keys. It knows no sockets. It also holds what every layer above shares: the error base, the options kit,
 * the lifecycle helper and the logger.
 */
/** The base of every Monomyth error, its brand (`instanceof` across copies), and the message of anything thrown. */
export { MonomythError, brandError, describeError } from './monomyth-error.js';
/** The logger every library takes (pino's shape), and the one that writes nothing. */
export { noopLogger } from './logger.js';
export type { LogFn, Logger } from './logger.js';
/** The options kit: the checks every component's one validating compile step is made of, and its one error. */
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
/** MMOP/1: the codec, message kinds and their bodies, wire schemas, reply and status codes, text limits, versions. */
export { MmopCodec, DEFAULT_CODEC_LIMITS } from './codec.js';
export type { CodecLimits, Envelope, Frames, IncomingFrames } from './codec.js';
export { encode, encodeEnvelope, decode, decodeEnvelope } from './default-codec.js';
export { MessageKind, MESSAGE_KINDS, isMessageKind } from './messages.js';
export type {
  AutoscaleDecision,
  AutoscalePolicy,
  RateLimit,
  FailQueueAction,
  FailedMessageInfo,
  MessageBody,
  MessageOf,
  MmopMessage,
  NodeStatus,
  QueueCounts,
  Recipe,
  RecipeInfo,
  RequestKind,
  WorkerInfo,
} from './messages.js';
export { freshNodeStatus } from './node-status.js';
/** Autoscale policies: their defaults, the check that their figures fit together, and the policy filled in. */
export {
  DEFAULT_SCALE_DOWN_AFTER_MS,
  DEFAULT_SCALE_UP_AFTER_MS,
  autoscalePolicyProblem,
  compileAutoscalePolicy,
} from './autoscale-policy.js';
export type { CompiledAutoscalePolicy } from './autoscale-policy.js';
/** Rate limits: the check of their figures, and the largest one. */
export { MAX_RATE_PER_SECOND, rateLimitProblem } from './rate-limit.js';
export { KIND_SPECS } from './wire-schemas.js';
export { MAX_FAIL_QUEUE_PEEK, MAX_INFO_PAGE } from './wire-shapes.js';
export type { Direction } from './wire-schemas.js';
export { MAX_RECIPE_DEPTH } from './body-validator.js';
export { ReplyCode, Status } from './status.js';
export { StartFailureCategory } from './start-failure.js';
export { MAX_TEXT_LENGTH, truncateText } from './text.js';
export { DEFAULT_MASTER_ENDPOINT } from './endpoint.js';
export { DEFAULT_DRAIN_TIMEOUT_MS } from './drain.js';
export type { StatusCode } from './status.js';
export { PROTOCOL_VERSION, SUPPORTED_VERSIONS } from './version.js';
/** The codec's errors. */
export { DecodeErrorCode, EncodeErrorCode, MmopDecodeError, MmopEncodeError } from './errors.js';
export type { MmopErrorDetails } from './errors.js';
/** The lifecycle of long-lived objects (master, worker, node, adapter, client): allowed moves, logged transitions. */
export { IllegalTransitionError, Lifecycle } from './lifecycle.js';
export type {
  CloseOptions,
  LifecycleLog,
  LifecycleLogLevel,
  LifecycleOptions,
} from './lifecycle.js';
/** Frames sent in order over one socket, through a bounded queue. */
export { OrderedSender, SendQueueFullError, SenderClosedError } from './ordered-sender.js';
export type { OrderedSenderOptions } from './ordered-sender.js';
/** ZeroMQ CURVE: certificate files, key pairs and their Z85 text. */
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
/** Who a peer is: routing ids, instances, and the check that a peer's routing id is its own. */
export {
  describeRoutingId,
  newInstance,
  plainInstance,
  routingIdFor,
  RoutingIdVerifier,
} from './peer-identity.js';
export type { CurveClientKeys, PeerIdentity } from './peer-identity.js';
export { checkClientCurve } from './client-curve.js';
