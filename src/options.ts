/**
 * Options of the client and of a session, their defaults, and their validation. A bad option is
 * refused up front with an {@link InvalidArgumentError} that names it.
 */
import type { InspectionEvent, Observer } from 'xstate';
import type { ExpiryPolicy } from '../machines/session.types.js';
import { isAgentId, isAgentName, VariablesSchema, type Variable } from './api/index.js';
import { parseApiUrl } from './api/urls.js';
import type { AuthOption } from './auth.js';
import { InvalidArgumentError } from './errors.js';
import { followsNumberRule, numberRuleText } from './number-option.js';
import { DEFAULT_RETRY, type RetryNotice, type RetryOptions } from './http/retry.js';
import type { TelemetryOptions } from './telemetry/options.js';

/** A clock: wall time and timers. `SimulatedClock` from xstate fits, for tests. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

/** Options of {@link AgentforceClient}. */
export interface ClientOptions {
  /**
   * The org's My Domain URL (`https://example.my.salesforce.com`): the token host, and
   * `instanceConfig.endpoint` of every session. https, or http on loopback only.
   */
  myDomainUrl: string;
  /** Where bearer tokens come from: {@link clientCredentials}, a token, or a function. */
  auth: AuthOption;
  /**
   * The Agent API host. @default the token's `api_instance_url`; for a token without one (a token
   * passed in as is), the host the My Domain URL tells: `https://test.api.salesforce.com` for a
   * sandbox or scratch org (`*.sandbox.my.salesforce.com`, `*.scratch.my.salesforce.com`),
   * `https://api.salesforce.com` for another `*.my.salesforce.com` org. For any other My Domain
   * host a request without a token host fails with an {@link InvalidArgumentError} asking for it.
   */
  apiBaseUrl?: string | undefined;
  /** Per-request timeout in ms (the API itself gives up at 120 s). @default 125000 */
  timeoutMs?: number | undefined;
  /** Retry policy. @default { maxRetries: 2, baseDelayMs: 500, maxDelayMs: 8000, maxRetryAfterMs: 30000 } */
  retry?: Partial<RetryOptions> | undefined;
  /**
   * A stream with no data for this long ends its turn with a `stream_idle_timeout` error. Above
   * the server's own 120 s turn budget, since a streamed turn may be silent for long stretches.
   * @default 125000
   */
  streamIdleTimeoutMs?: number | undefined;
  /** Most keep-alive sockets per host. @default 256 */
  maxSockets?: number | undefined;
  /** Defaults for every session of this client (each can be overridden per session). */
  sessionDefaults?: Omit<SessionOptions, 'agentId' | 'agentName'> | undefined;
  /** Clock for idle deadlines and token expiry; pass xstate's `SimulatedClock` in tests. */
  clock?: Clock | undefined;
  /**
   * Inspection observer given to every session actor (e.g. `createWebSocketInspector().inspect`
   * from `@statelyai/inspect`).
   */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void) | undefined;
  /**
   * Told before the client waits to repeat a request (a 423, 429 or 503, a refused connection):
   * what failed, the attempt, and how long it waits. E.g. to show a `Retry-After` countdown.
   */
  onRetry?: ((notice: RetryNotice) => void) | undefined;
  /**
   * OpenTelemetry spans and metrics (docs/telemetry.md). On whenever an OpenTelemetry SDK is
   * registered, or a provider is given here; `false` turns them off. Content of messages only
   * with `captureContent`.
   */
  telemetry?: TelemetryOptions | false | undefined;
}

/** Options of one session ({@link AgentforceClient.session}). */
export interface SessionOptions {
  /** The agent: its 15/18-character BotDefinition id, starting `0Xx`. Give this or `agentName`. */
  agentId?: string | undefined;
  /**
   * The agent by its API name (e.g. `Customer_Support`), instead of `agentId`: the client finds
   * its id with a SOQL query on BotDefinition when the first session of that name starts, once
   * per client. The token needs the `api` scope for it.
   */
  agentName?: string | undefined;
  /** Variables sent when the session starts (context and custom variables). */
  variables?: Variable[] | undefined;
  /** The user's time zone, e.g. `Europe/Berlin`. */
  tz?: string | undefined;
  /** Run as the agent's assigned user (`true`, for client credentials) or the token's user. @default true */
  bypassUser?: boolean | undefined;
  /** On expiry: start a new session and re-send (`restart`), or close (`close`). @default 'restart' */
  onExpiry?: ExpiryPolicy | undefined;
  /** New sessions after expiry before giving up. @default 3 */
  maxRestarts?: number | undefined;
  /** Expire an idle session on the client after this many ms; unset = rely on the server. */
  idleTimeoutMs?: number | undefined;
  /** Messages that may wait behind the one in flight. @default 100 */
  maxQueue?: number | undefined;
  /** Longest message text, in characters. @default 100000 */
  maxMessageLength?: number | undefined;
}

export interface ResolvedClientOptions {
  myDomainUrl: string;
  apiBaseUrl: string | undefined;
  timeoutMs: number;
  retry: RetryOptions;
  maxSockets: number;
  streamIdleTimeoutMs: number;
  clock: Clock;
  sessionDefaults: Omit<SessionOptions, 'agentId' | 'agentName'>;
}

function fail(option: string, message: string, value: unknown): never {
  let shown: string;
  try {
    shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  } catch {
    shown = typeof value;
  }
  throw new InvalidArgumentError(`${option} ${message} (got ${shown.slice(0, 80)})`);
}

/** Checks a URL option: absolute, https, or http on loopback only. Returns it without a trailing slash. */
export function checkUrl(option: string, value: unknown): string {
  const checked = parseApiUrl(value);
  if ('problem' in checked)
    fail(option, checked.problem, checked.showValue ? value : '[url with credentials]');
  return checked.url;
}

function checkInt(option: string, value: unknown, min: number): number {
  if (!followsNumberRule(value, { min })) fail(option, `must be ${numberRuleText({ min })}`, value);
  return value;
}

/**
 * Checks variables (of a session, or sent with one message) against the Agent API's rules; the
 * error names the first wrong one (`variables[0].value`) and does not echo values.
 */
export function checkVariables(option: string, value: unknown): void {
  const parsed = VariablesSchema.safeParse(value);
  if (parsed.success && parsed.data !== null) return;
  const issue = parsed.success ? undefined : parsed.error.issues[0];
  fail(
    `${option}${issue?.path.length ? `[${issue.path.join('].')}` : ''}`,
    issue?.message ?? 'must be an array',
    '…',
  );
}

/** Validates the session options (merged over the client's defaults). */
export function checkSessionOptions(options: Partial<SessionOptions>, prefix: string): void {
  if (options.variables !== undefined) checkVariables(`${prefix}variables`, options.variables);
  if (options.tz !== undefined && (typeof options.tz !== 'string' || options.tz.trim() === ''))
    fail(`${prefix}tz`, 'must be a time zone name', options.tz);
  if (options.bypassUser !== undefined && typeof options.bypassUser !== 'boolean')
    fail(`${prefix}bypassUser`, 'must be a boolean', options.bypassUser);
  if (
    options.onExpiry !== undefined &&
    options.onExpiry !== 'restart' &&
    options.onExpiry !== 'close'
  )
    fail(`${prefix}onExpiry`, "must be 'restart' or 'close'", options.onExpiry);
  if (options.maxRestarts !== undefined) checkInt(`${prefix}maxRestarts`, options.maxRestarts, 0);
  if (options.idleTimeoutMs !== undefined)
    checkInt(`${prefix}idleTimeoutMs`, options.idleTimeoutMs, 1);
  if (options.maxQueue !== undefined) checkInt(`${prefix}maxQueue`, options.maxQueue, 0);
  if (options.maxMessageLength !== undefined)
    checkInt(`${prefix}maxMessageLength`, options.maxMessageLength, 1);
}

/** Validates one session's options; the agent id must be a BotDefinition id. */
export function checkAgentId(value: unknown): string {
  if (!isAgentId(value))
    fail('agentId', 'must be a 15- or 18-character agent id starting with 0Xx', value);
  return value;
}

/** The agent of a session's options: its `agentId`, or its `agentName` (exactly one of them). */
export function checkAgent(options: Pick<SessionOptions, 'agentId' | 'agentName'>): string {
  if (options.agentName === undefined) return checkAgentId(options.agentId);
  if (options.agentId !== undefined)
    fail('agentName', 'and agentId cannot both be given', options.agentName);
  if (!isAgentName(options.agentName))
    fail(
      'agentName',
      "must be an agent's API name (letters, digits, underscores)",
      options.agentName,
    );
  return options.agentName;
}

/** Validates and completes the client options. */
export function resolveClientOptions(options: ClientOptions): ResolvedClientOptions {
  if (typeof options !== 'object' || options === null)
    fail('options', 'must be an object', options);
  const myDomainUrl = checkUrl('myDomainUrl', options.myDomainUrl);
  const apiBaseUrl =
    options.apiBaseUrl === undefined ? undefined : checkUrl('apiBaseUrl', options.apiBaseUrl);
  const auth = options.auth as unknown;
  if (
    !(typeof auth === 'string' && auth !== '') &&
    typeof auth !== 'function' &&
    !(
      typeof auth === 'object' &&
      auth !== null &&
      typeof (auth as { getToken?: unknown }).getToken === 'function'
    )
  ) {
    fail(
      'auth',
      'must be clientCredentials({...}), a token string or a function returning one',
      typeof auth,
    );
  }
  const timeoutMs =
    options.timeoutMs === undefined ? 125_000 : checkInt('timeoutMs', options.timeoutMs, 1);
  const maxSockets =
    options.maxSockets === undefined ? 256 : checkInt('maxSockets', options.maxSockets, 1);
  const streamIdleTimeoutMs =
    options.streamIdleTimeoutMs === undefined
      ? 125_000
      : checkInt('streamIdleTimeoutMs', options.streamIdleTimeoutMs, 1);
  const retry = { ...DEFAULT_RETRY };
  for (const [key, value] of Object.entries(options.retry ?? {})) {
    if (!(key in DEFAULT_RETRY)) fail(`retry.${key}`, 'is not a retry option', key);
    if (value !== undefined) retry[key as keyof RetryOptions] = checkInt(`retry.${key}`, value, 0);
  }
  const clock = options.clock ?? systemClock;
  if (
    typeof clock !== 'object' ||
    clock === null ||
    typeof clock.now !== 'function' ||
    typeof clock.setTimeout !== 'function' ||
    typeof clock.clearTimeout !== 'function'
  )
    fail('clock', 'must have now(), setTimeout() and clearTimeout()', typeof clock);
  const inspect = options.inspect as unknown;
  if (
    inspect !== undefined &&
    typeof inspect !== 'function' &&
    !(typeof inspect === 'object' && inspect !== null)
  )
    fail('inspect', 'must be an inspection observer or a function', typeof inspect);
  if (options.onRetry !== undefined && typeof options.onRetry !== 'function')
    fail('onRetry', 'must be a function', typeof options.onRetry);
  const telemetry = options.telemetry as unknown;
  if (
    telemetry !== undefined &&
    telemetry !== false &&
    (typeof telemetry !== 'object' || telemetry === null)
  )
    fail('telemetry', 'must be an object of telemetry options or false', typeof telemetry);
  const sessionDefaults = options.sessionDefaults ?? {};
  checkSessionOptions(sessionDefaults, 'sessionDefaults.');
  return {
    myDomainUrl,
    apiBaseUrl,
    timeoutMs,
    retry,
    maxSockets,
    streamIdleTimeoutMs,
    clock,
    sessionDefaults,
  };
}
