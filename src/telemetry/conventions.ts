/**
 * Names of what the library emits: the OpenTelemetry GenAI semantic conventions it follows, and
 * its own `agentforce.*` attributes and metrics. One home for every name (docs/telemetry.md lists
 * them).
 */

/**
 * The GenAI conventions followed: as released in OpenTelemetry semantic conventions v1.41.1, the
 * last release that holds them (they moved to the semantic-conventions-genai repository after it).
 */
export const SEMCONV_VERSION = '1.41.1';
export const SCHEMA_URL = `https://opentelemetry.io/schemas/${SEMCONV_VERSION}`;

/** `gen_ai.provider.name`: not a well-known value of the conventions, so a custom one. */
export const PROVIDER = 'salesforce.agentforce';

/** Operation names: `invoke_agent` is the conventions'; starting and ending a session are ours. */
export const OP_INVOKE = 'invoke_agent';
export const OP_START = 'start_session';
export const OP_END = 'end_session';

export const ATTR = {
  operation: 'gen_ai.operation.name',
  provider: 'gen_ai.provider.name',
  /** The provider under its name up to v1.36 (emitted unless `gen_ai_latest_experimental`). */
  system: 'gen_ai.system',
  agentId: 'gen_ai.agent.id',
  agentName: 'gen_ai.agent.name',
  conversationId: 'gen_ai.conversation.id',
  outputType: 'gen_ai.output.type',
  stream: 'gen_ai.request.stream',
  timeToFirstChunk: 'gen_ai.response.time_to_first_chunk',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  errorType: 'error.type',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  httpStatus: 'http.response.status_code',
  requestId: 'http.response.header.x-request-id',
  // Ours.
  sequenceId: 'agentforce.sequence_id',
  outcome: 'agentforce.turn.outcome',
  replyTypes: 'agentforce.reply.message_types',
  retries: 'agentforce.retries',
  restarts: 'agentforce.restarts',
  serverTraceId: 'agentforce.server.trace_id',
  previousSessionId: 'agentforce.previous_conversation.id',
  expiryCause: 'agentforce.expiry.cause',
  attempt: 'agentforce.retry.attempt',
  delayMs: 'agentforce.retry.delay_ms',
  request: 'agentforce.request',
  endReason: 'agentforce.end.reason',
  closeReason: 'agentforce.close.reason',
  queueMs: 'agentforce.turn.queue_ms',
  tokenMs: 'agentforce.turn.token_ms',
  startMs: 'agentforce.turn.start_ms',
  retryWaitMs: 'agentforce.turn.retry_wait_ms',
  requestMs: 'agentforce.turn.request_ms',
  agentMs: 'agentforce.turn.agent_ms',
  leaseOutcome: 'agentforce.lease.outcome',
} as const;

export const EVENT = {
  sent: 'agentforce.message.sent',
  retry: 'agentforce.retry',
  expired: 'agentforce.session.expired',
  restarted: 'agentforce.session.restarted',
  firstChunk: 'agentforce.stream.first_chunk',
} as const;

export const METRIC = {
  duration: 'gen_ai.client.operation.duration',
  timeToFirstChunk: 'gen_ai.client.operation.time_to_first_chunk',
  sessionsOpen: 'agentforce.sessions.open',
  turnsInFlight: 'agentforce.turns.in_flight',
  turnsFailed: 'agentforce.turns.failed',
  retries: 'agentforce.retries',
  expiries: 'agentforce.session.expiries',
  restarts: 'agentforce.session.restarts',
  managerLive: 'agentforce.manager.sessions.live',
  managerInFlight: 'agentforce.manager.turns.in_flight',
  leaseWait: 'agentforce.manager.lease.wait',
  storeErrors: 'agentforce.manager.store.errors',
} as const;

/** The bucket boundaries the conventions give for `gen_ai.client.operation.duration`, in s. */
export const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/** Whether `OTEL_SEMCONV_STABILITY_OPT_IN` asks for the latest experimental GenAI conventions only. */
export function latestExperimentalOnly(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env['OTEL_SEMCONV_STABILITY_OPT_IN'] ?? '')
    .split(',')
    .some((v) => v.trim() === 'gen_ai_latest_experimental');
}

/**
 * Whether `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` opts in to content on spans
 * (`true`, `SPAN_ONLY` or `SPAN_AND_EVENT`; `EVENT_ONLY` and `NO_CONTENT` do not).
 */
export function contentOptIn(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT'] ?? '')
    .trim()
    .toUpperCase();
  return value === 'TRUE' || value === 'SPAN_ONLY' || value === 'SPAN_AND_EVENT';
}
