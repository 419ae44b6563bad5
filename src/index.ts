/**
 * agentforce-session: conversations with Salesforce Agentforce agents through the Agent API, as
 * an explicit XState state machine.
 */
export { AgentforceClient } from './client.js';
export { AgentSession, type SendOptions, type TransferOptions } from './session.js';
export type { TurnStream } from './turn-stream.js';
export type { FeedbackOptions, FeedbackRating, FeedbackTarget } from './feedback.js';
export type { AgentRecord } from './agent-lookup.js';
export {
  clientCredentials,
  type AccessToken,
  type AuthOption,
  type AuthProvider,
  type TokenRequestContext,
} from './auth.js';
export type { ClientOptions, SessionOptions, Clock } from './options.js';
export type { RetryOptions, RetryNotice } from './http/retry.js';
export type { TelemetryOptions } from './telemetry/options.js';
export type { Turn } from './turn.js';
export { SessionManager } from './manager/session-manager.js';
export type { SessionManagerOptions, SessionFactory } from './manager/manager-options.js';
export type { ManagerEvent, ConversationReset, ManagerStats } from './manager/manager-events.js';
export { MemoryStore, type MemoryStoreOptions } from './stores/memory.js';
export { LeaseLostError, LockTimeoutError, StoreError } from './stores/errors.js';
export type {
  SessionStore,
  StoredSession,
  Lease,
  AcquireOptions,
  SessionRecordInput,
} from './stores/types.js';
export type { PersistedSession } from './snapshot.js';
export {
  AgentforceError,
  ApiError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  SessionNotFoundError,
  UnprocessableError,
  SessionBusyError,
  RateLimitError,
  InternalServerError,
  ServiceUnavailableError,
  BypassUserError,
  AgentNotAttachedError,
  AgentInactiveError,
  AgentNotFoundError,
  EndpointConfigError,
  TokenFormatError,
  ConnectionError,
  TimeoutError,
  AbortError,
  MalformedResponseError,
  SessionClosedError,
  SessionExpiredError,
  QueueFullError,
  InvalidArgumentError,
  SnapshotVersionError,
  isAgentforceError,
} from './errors.js';
export { errorFromInfo } from './error-info.js';
export type { ErrorInfo, ErrorCode, ErrorFields, RequestName } from './errors.js';
export { sessionMachine, SESSION_SCHEMA_VERSION } from '../machines/session.machine.js';
export {
  sanitizeInspectionEvent,
  sanitizeInspector,
  statelyInspectorOptions,
  type InspectionObserver,
  type SanitizedInspectionEvent,
  type SanitizedSnapshot,
  type SanitizedTransition,
} from './inspect.js';
export { redactSecrets, REDACTED, type SanitizeOptions } from './redact.js';
export { toMermaid, type MermaidOptions } from './diagram/mermaid.js';
export type {
  SessionContext,
  SessionEmitted,
  SessionOutcome,
  CloseReason,
  ExpiryPolicy,
  TopLevelState,
  StreamEvent,
  TransferReport,
} from '../machines/session.types.js';
export type {
  ResponseMessage,
  InformMessage,
  InquireMessage,
  ConfirmMessage,
  FailureMessage,
  EscalateMessage,
  SessionEndedMessage,
  ErrorMessage,
  ProgressIndicatorMessage,
  TextChunkMessage,
  ValidationFailureChunkMessage,
  EndOfTurnMessage,
  UnknownMessage,
  Variable,
  VariableType,
  EndReason,
} from './api/index.js';
