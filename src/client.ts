/**
 * `AgentforceClient`: the entry point. Holds the transport, the token cache and the defaults, and
 * makes sessions.
 */
import { createActor } from 'xstate';
import { stampIdleDeadlineOn } from '../machines/idle-deadline.js';
import { sessionMachine, type SessionMachine } from '../machines/session.machine.js';
import type { SessionInput } from '../machines/session.types.js';
import { createSessionActors } from './actors/index.js';
import { TokenManager, toAuthProvider } from './auth.js';
import type { ApiContext } from './http/request.js';
import type { RetryNotice } from './http/retry.js';
import { createTransport, destroyTransport } from './http/transport.js';
import {
  checkAgent,
  checkSessionOptions,
  checkUrl,
  resolveClientOptions,
  type ClientOptions,
  type ResolvedClientOptions,
  type SessionOptions,
} from './options.js';
import { AgentDirectory, type AgentRecord } from './agent-lookup.js';
import { feedbackSender, type FeedbackSender } from './feedback.js';
import { AgentSession } from './session.js';
import type { SessionManagerOptions } from './manager/manager-options.js';
import { SessionManager } from './manager/session-manager.js';
import { prepareRestore } from './snapshot.js';
import { Telemetry } from './telemetry/telemetry.js';
import type { Actor } from 'xstate';
import { settleWithin } from './deadline.js';
import type { AgentforceError } from './errors.js';
import { InvalidArgumentError, withHint } from './errors.js';
import {
  EndReasonSchema,
  PRODUCTION_API_BASE,
  SANDBOX_API_BASE,
  apiBaseForMyDomain,
  type EndReason,
} from './api/index.js';

const DEFAULT_MAX_MESSAGE_LENGTH = 100_000;

/**
 * A client for the Agent API of one org. Make one per org and share it: its sessions share the
 * keep-alive connections and the token.
 *
 * @example
 * ```ts
 * import { AgentforceClient, clientCredentials } from 'agentforce-session';
 *
 * const client = new AgentforceClient({
 *   myDomainUrl: 'https://example.my.salesforce.com',
 *   auth: clientCredentials({ clientId, clientSecret }),
 * });
 * const session = client.session({ agentId: '0XxSB000000IPCr0AO' });
 * ```
 */
export class AgentforceClient {
  /** The session machine with this client's HTTP actors: pass it to tools that draw or inspect. */
  readonly machine: SessionMachine;
  readonly #options: ResolvedClientOptions;
  readonly #inspect: ClientOptions['inspect'];
  readonly #api: ApiContext;
  readonly #open = new Set<AgentSession>();
  readonly #telemetry: Telemetry | undefined;
  readonly #sendFeedback: FeedbackSender;
  readonly #agents: AgentDirectory;

  constructor(options: ClientOptions) {
    const resolved = resolveClientOptions(options);
    this.#options = resolved;
    this.#inspect = options.inspect;
    const http = createTransport({
      timeoutMs: resolved.timeoutMs,
      maxSockets: resolved.maxSockets,
    });
    let lastHost: string | undefined;
    let lastBase = resolved.apiBaseUrl ?? apiBaseForMyDomain(resolved.myDomainUrl);
    const telemetry =
      options.telemetry === false
        ? undefined
        : new Telemetry(options.telemetry ?? {}, () =>
            resolved.apiBaseUrl !== undefined || lastHost !== undefined ? lastBase : undefined,
          );
    this.#telemetry = telemetry;
    const onRetry = telemetry
      ? (notice: RetryNotice) => {
          telemetry.retried(notice);
          options.onRetry?.(notice);
        }
      : options.onRetry;
    const tokens = new TokenManager(
      toAuthProvider(options.auth),
      { myDomainUrl: resolved.myDomainUrl, http, retry: resolved.retry, onRetry },
      () => resolved.clock.now(),
    );
    this.#api = {
      http,
      tokens,
      retry: resolved.retry,
      headers: { 'content-type': 'application/json' },
      onRetry,
      onResponse: telemetry && ((requestId) => telemetry.responded(requestId)),
      onStreamFrame: telemetry && ((data) => telemetry.framed(data)),
      apiBaseUrl: (tokenHost) => {
        if (resolved.apiBaseUrl !== undefined || tokenHost === undefined) {
          return lastBase ?? noApiHost(resolved.myDomainUrl);
        }
        if (tokenHost !== lastHost) {
          lastBase = checkUrl('api_instance_url (from the token endpoint)', tokenHost);
          lastHost = tokenHost;
        }
        return lastBase ?? noApiHost(resolved.myDomainUrl);
      },
    };
    this.#sendFeedback = feedbackSender(this.#api);
    const clock = resolved.clock;
    this.#agents = new AgentDirectory(this.#api, resolved.myDomainUrl);
    const actors = createSessionActors(
      this.#api,
      clock,
      { idleTimeoutMs: resolved.streamIdleTimeoutMs },
      this.#agents,
    );
    this.machine = sessionMachine.provide({
      actors: telemetry ? telemetry.wrapActors(actors) : actors,
      actions: { stampIdleDeadline: stampIdleDeadlineOn(clock) },
    });
  }

  /**
   * A new session with an agent, in state `idle`: nothing is sent until `start()` or `send()`.
   * Options override the client's `sessionDefaults`; bad ones throw {@link InvalidArgumentError}.
   */
  session(options: SessionOptions): AgentSession {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('session options must be an object with an agentId');
    }
    const agentId = checkAgent(options);
    checkSessionOptions(options, '');
    const merged = { ...this.#options.sessionDefaults, ...stripUndefined(options) };
    const input: SessionInput = { agentId, endpoint: this.#options.myDomainUrl };
    if (merged.bypassUser !== undefined) input.bypassUser = merged.bypassUser;
    if (merged.tz !== undefined) input.tz = merged.tz;
    if (merged.variables !== undefined) input.variables = merged.variables;
    if (merged.maxQueue !== undefined) input.maxQueue = merged.maxQueue;
    if (merged.onExpiry !== undefined) input.expiryPolicy = merged.onExpiry;
    if (merged.maxRestarts !== undefined) input.maxRestarts = merged.maxRestarts;
    if (merged.idleTimeoutMs !== undefined) input.idleTimeoutMs = merged.idleTimeoutMs;
    const actor = createActor(this.machine, { input, ...this.#actorOptions() });
    return this.#track(actor, merged.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH);
  }

  /**
   * Finds an agent by its API name with the REST API's SOQL query on BotDefinition (the token
   * needs the `api` scope), once per client and name: `session({ agentName })` uses the same.
   * Rejects with {@link NotFoundError} when the org has no agent of that name, and
   * {@link PermissionDeniedError} when the token may not use the REST API.
   */
  findAgent(agentName: string, options: { signal?: AbortSignal } = {}): Promise<AgentRecord> {
    try {
      checkAgent({ agentName });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.#agents.find(agentName, options.signal);
  }

  /**
   * Restores a session from {@link AgentSession.snapshot}, e.g. in another process. A message that
   * was in flight is sent again (with a new, higher `sequenceId`); an idle deadline keeps its time.
   * Throws {@link SnapshotVersionError} for a snapshot this version cannot restore whole.
   */
  restore(
    persisted: unknown,
    options: Pick<SessionOptions, 'maxMessageLength'> = {},
  ): AgentSession {
    const snapshot = prepareRestore(persisted);
    const actor: Actor<SessionMachine> = createActor(this.machine, {
      snapshot: snapshot as never,
      input: { agentId: snapshot.context.agentId, endpoint: snapshot.context.endpoint },
      ...this.#actorOptions(),
    });
    return this.#track(actor, options.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH);
  }

  /**
   * A manager of many conversations keyed by your own conversation key, persisted in `store`
   * (memory by default, Redis for many nodes). See {@link SessionManager}.
   */
  conversations(options: SessionManagerOptions): SessionManager {
    return new SessionManager(this, options, this.#telemetry?.observeManager());
  }

  /** Sessions of this client that are not closed yet. */
  get openSessions(): number {
    return this.#open.size;
  }

  /**
   * Ends every open session of this client (`DELETE` with `reason`, default `UserRequest`), in
   * parallel, waiting at most `deadlineMs` (default 10 s). Resolves with the sessions that did not
   * end cleanly: their DELETE failed or the deadline passed (those are stopped locally).
   */
  async shutdown(options: { deadlineMs?: number; reason?: EndReason } = {}): Promise<{
    ended: number;
    failed: Array<{ sessionId: string | null; error: AgentforceError }>;
  }> {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('shutdown: options must be an object');
    }
    const deadlineMs = options.deadlineMs ?? 10_000;
    if (typeof deadlineMs !== 'number' || !Number.isInteger(deadlineMs) || deadlineMs < 0) {
      throw new InvalidArgumentError(
        `shutdown: deadlineMs must be an integer ≥ 0 (got ${String(deadlineMs)})`,
      );
    }
    if (options.reason !== undefined && !EndReasonSchema.safeParse(options.reason).success) {
      throw new InvalidArgumentError(
        `shutdown: reason must be one of ${EndReasonSchema.options.join(', ')} (got ${JSON.stringify(options.reason)})`,
      );
    }
    const sessions = [...this.#open];
    const unsettled = await settleWithin(
      sessions,
      deadlineMs,
      (session) => session.end(options.reason ?? 'UserRequest'),
      () => `shutdown: the session did not end within ${deadlineMs} ms`,
    );
    for (const { item, timedOut } of unsettled) if (timedOut) item.stop();
    const failed = unsettled.map(({ item, error }) => ({ sessionId: item.sessionId, error }));
    return { ended: sessions.length - failed.length, failed };
  }

  #track(actor: Actor<SessionMachine>, maxMessageLength: number): AgentSession {
    // The session's own observer tells when it settles: one observer per session, not two.
    const session: AgentSession = new AgentSession(
      actor,
      maxMessageLength,
      () => this.#open.delete(session),
      this.#telemetry?.observe(actor),
      this.#sendFeedback,
    );
    this.#open.add(session);
    session.actor.start();
    return session;
  }

  /** Closes the keep-alive connections. Sessions still open stay open on the server. */
  close(): void {
    destroyTransport(this.#api.http);
  }

  #actorOptions() {
    return this.#inspect ? { inspect: this.#inspect } : {};
  }
}

/** The token gave no API host, and the My Domain URL does not tell it: `apiBaseUrl` must. */
function noApiHost(myDomainUrl: string): never {
  const hint = `set apiBaseUrl: ${PRODUCTION_API_BASE} for a production org, ${SANDBOX_API_BASE} for a sandbox or scratch org, https://api.gov.salesforce.com for Government Cloud`;
  throw new InvalidArgumentError(
    withHint(
      `the token came without an API host (api_instance_url), and ${new URL(myDomainUrl).host} does not tell it`,
      hint,
    ),
    { hint },
  );
}

function stripUndefined<T extends object>(values: T): Partial<T> {
  const defined: Partial<T> = {};
  for (const [name, value] of Object.entries(values))
    if (value !== undefined) (defined as Record<string, unknown>)[name] = value;
  return defined;
}
