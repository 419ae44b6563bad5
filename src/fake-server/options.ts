import type { AgentReplyFunction, AgentScript } from './agents/types.js';
import type { TimeSource } from './clock.js';
import { followsNumberRule, numberRuleText, type NumberRule } from '../number-option.js';
import {
  DEFAULT_EMULATOR_AGENTS,
  checkEmulatorAgent,
  type EmulatorAgent,
} from './agent-registry.js';

/** Options of `startFakeAgentApi`, their defaults and their validation. */

/** Options of `startFakeAgentApi`. Every one is optional. */
export interface FakeAgentApiOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number | undefined;
  /** Interface to listen on; default `127.0.0.1`. */
  host?: string | undefined;
  /** A session expires after this long without a request, on the emulator clock; default 15 min. */
  sessionTtlMs?: number | undefined;
  /** Real milliseconds added before every Agent API reply; default 0. */
  latencyMs?: number | undefined;
  /** Reject a `sequenceId` not greater than the session's last one with 400; default false. */
  strictSequence?: boolean | undefined;
  /** Lifetime of issued access tokens on the emulator clock; default 30 min. */
  tokenTtlMs?: number | undefined;
  /** When set, the token endpoint requires this `client_id`. */
  clientId?: string | undefined;
  /** When set, the token endpoint requires this `client_secret`. */
  clientSecret?: string | undefined;
  /** Agent API routes need a Bearer token issued by this emulator and not expired; default true. */
  requireAuth?: boolean | undefined;
  /** The scripted agent: a reply function or `{ reply, greeting }`; default the built-in agent. */
  agent?: AgentScript | AgentReplyFunction | undefined;
  /** Real milliseconds between two SSE events of a stream; default 20. */
  streamChunkDelayMs?: number | undefined;
  /** Largest request body accepted, bytes; larger gets 413; default 1 MiB. */
  maxBodyBytes?: number | undefined;
  /** Base clock (`{ now() }`, epoch ms); default the wall clock. `api.clock.advance` adds to it. */
  clock?: TimeSource | undefined;
  /**
   * Real milliseconds a client has to send a complete request (headers and body) before the
   * server answers 408 and closes the connection; default 30 s.
   */
  requestTimeoutMs?: number | undefined;
  /** The most requests kept in `api.requests` (oldest dropped first); default 10 000. */
  maxRecordedRequests?: number | undefined;
  /** Agents of the emulated org, added to the default ones (`GET /__emulator/agents` lists them). */
  agents?: readonly EmulatorAgent[] | undefined;
  /**
   * Treat a well-formed agent id that no agent has as an active Service agent, instead of the real
   * 500 `HttpServerErrorException`; default false.
   */
  anyAgentId?: boolean | undefined;
  /**
   * The org's My Domain URL: `instanceConfig.endpoint` must be it (else 500
   * `EngineConfigLookupException`); default the emulator's own `url`.
   */
  myDomainUrl?: string | undefined;
  /**
   * The URL other hosts reach the emulator at, handed out instead of `url` in tokens
   * (`instance_url`, `api_instance_url`, `id`), in session links and as the default My Domain:
   * e.g. `http://emulator:8080` when it listens on `0.0.0.0` in a container that others reach by
   * that name. An http(s) origin; default `url`.
   */
  publicUrl?: string | undefined;
  /**
   * `jwt` (default), or `opaque`: tokens as a connected app with the JWT toggle off issues them;
   * every Agent API call made with one answers 404 with an empty body.
   */
  tokenFormat?: 'jwt' | 'opaque' | undefined;
  /** The scopes granted to tokens, space-separated; default `sfap_api chatbot_api api`. */
  scope?: string | undefined;
  /** Real milliseconds a turn may take before it ends with the real 500; default 120 000. */
  turnBudgetMs?: number | undefined;
  /**
   * How streamed replies are sent: `chunked` (progress, text chunks, the message, end of turn; the
   * default) or `inform-only` (the messages and end of turn, as short real replies come).
   */
  streamShape?: 'chunked' | 'inform-only' | undefined;
}

/** Options after defaults. @internal */
export interface ResolvedOptions {
  readonly port: number;
  readonly host: string;
  readonly sessionTtlMs: number;
  readonly latencyMs: number;
  readonly strictSequence: boolean;
  readonly tokenTtlMs: number;
  readonly clientId: string | undefined;
  readonly clientSecret: string | undefined;
  readonly requireAuth: boolean;
  readonly agent: AgentScript | undefined;
  readonly streamChunkDelayMs: number;
  readonly maxBodyBytes: number;
  readonly clock: TimeSource | undefined;
  readonly requestTimeoutMs: number;
  readonly maxRecordedRequests: number;
  readonly agents: readonly EmulatorAgent[];
  readonly anyAgentId: boolean;
  readonly myDomainUrl: string | undefined;
  readonly publicUrl: string | undefined;
  readonly tokenFormat: 'jwt' | 'opaque';
  readonly scope: string;
  readonly turnBudgetMs: number;
  readonly streamShape: 'chunked' | 'inform-only';
}

/** Default option values. */
export const DEFAULTS = {
  port: 0,
  host: '127.0.0.1',
  sessionTtlMs: 15 * 60 * 1000,
  latencyMs: 0,
  strictSequence: false,
  tokenTtlMs: 30 * 60 * 1000,
  requireAuth: true,
  streamChunkDelayMs: 20,
  maxBodyBytes: 1024 * 1024,
  requestTimeoutMs: 30_000,
  maxRecordedRequests: 10_000,
  anyAgentId: false,
  tokenFormat: 'jwt',
  scope: 'sfap_api chatbot_api api',
  turnBudgetMs: 120_000,
  streamShape: 'chunked',
} as const;

const KNOWN = new Set<string>([
  'port',
  'host',
  'sessionTtlMs',
  'latencyMs',
  'strictSequence',
  'tokenTtlMs',
  'clientId',
  'clientSecret',
  'requireAuth',
  'agent',
  'streamChunkDelayMs',
  'maxBodyBytes',
  'clock',
  'requestTimeoutMs',
  'maxRecordedRequests',
  'agents',
  'anyAgentId',
  'myDomainUrl',
  'publicUrl',
  'tokenFormat',
  'scope',
  'turnBudgetMs',
  'streamShape',
]);

function bad(name: string, what: string, got: unknown): never {
  let shown: string;
  try {
    shown = typeof got === 'function' ? 'a function' : (JSON.stringify(got) ?? String(got));
  } catch {
    shown = String(got);
  }
  throw new TypeError(`startFakeAgentApi: option "${name}" must be ${what} (got ${shown})`);
}

function num(
  o: Record<string, unknown>,
  name: string,
  def: number,
  { min = 0, integer = false, max }: Partial<NumberRule> = {},
): number {
  const v = o[name];
  if (v === undefined) return def;
  const rule = { min, max, integer };
  if (!followsNumberRule(v, rule)) bad(name, numberRuleText(rule), v);
  return v;
}

function bool(o: Record<string, unknown>, name: string, def: boolean): boolean {
  const v = o[name];
  if (v === undefined) return def;
  if (typeof v !== 'boolean') bad(name, 'a boolean', v);
  return v;
}

function oneOf<T extends string>(
  o: Record<string, unknown>,
  name: string,
  values: readonly T[],
  def: T,
): T {
  const v = o[name];
  if (v === undefined) return def;
  if (!values.includes(v as T)) bad(name, `one of ${values.map((x) => `'${x}'`).join(', ')}`, v);
  return v as T;
}

function str(o: Record<string, unknown>, name: string): string | undefined {
  const v = o[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') bad(name, 'a non-empty string', v);
  return v;
}

/** An http(s) origin option (`https://host[:port]`, a trailing slash allowed), without the slash. */
function origin(o: Record<string, unknown>, name: string, example: string): string | undefined {
  const v = str(o, name);
  if (v !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(v))
    bad(name, `an http(s) origin such as ${example}`, v);
  return v?.replace(/\/$/, '');
}

/**
 * Checks the options and fills in the defaults.
 *
 * @throws TypeError naming the first bad or unknown option.
 */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError('startFakeAgentApi: options must be an object');
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) throw new TypeError(`startFakeAgentApi: unknown option "${key}"`);
  }
  let agent: AgentScript | undefined;
  const a = o.agent;
  if (typeof a === 'function') {
    agent = { reply: a as AgentReplyFunction };
  } else if (a !== undefined) {
    if (typeof a !== 'object' || a === null || typeof (a as AgentScript).reply !== 'function') {
      bad('agent', 'a reply function or an object { reply, greeting? }', a);
    }
    const g = (a as AgentScript).greeting;
    if (g !== undefined && typeof g !== 'function')
      bad('agent', 'an object whose greeting is a function', a);
    agent = a as AgentScript;
  }
  const clock = o.clock;
  if (
    clock !== undefined &&
    (typeof clock !== 'object' || clock === null || typeof (clock as TimeSource).now !== 'function')
  ) {
    bad('clock', 'an object with a now() method', clock);
  }
  const agentsOption = o.agents;
  if (agentsOption !== undefined && !Array.isArray(agentsOption))
    bad('agents', 'an array of agents', agentsOption);
  const agents = [
    ...DEFAULT_EMULATOR_AGENTS,
    ...((agentsOption as unknown[] | undefined) ?? []).map((a, i) =>
      checkEmulatorAgent(a, `option "agents[${i}]"`),
    ),
  ];
  const myDomainUrl = origin(o, 'myDomainUrl', 'https://example.my.salesforce.com');
  const publicUrl = origin(o, 'publicUrl', 'http://emulator:8080');
  return {
    agents,
    anyAgentId: bool(o, 'anyAgentId', DEFAULTS.anyAgentId),
    myDomainUrl,
    publicUrl,
    tokenFormat: oneOf(o, 'tokenFormat', ['jwt', 'opaque'], DEFAULTS.tokenFormat),
    scope: str(o, 'scope') ?? DEFAULTS.scope,
    turnBudgetMs: num(o, 'turnBudgetMs', DEFAULTS.turnBudgetMs, { min: 1 }),
    streamShape: oneOf(o, 'streamShape', ['chunked', 'inform-only'], DEFAULTS.streamShape),
    port: num(o, 'port', DEFAULTS.port, { integer: true, max: 65535 }),
    host: str(o, 'host') ?? DEFAULTS.host,
    sessionTtlMs: num(o, 'sessionTtlMs', DEFAULTS.sessionTtlMs, { min: 1 }),
    latencyMs: num(o, 'latencyMs', DEFAULTS.latencyMs),
    strictSequence: bool(o, 'strictSequence', DEFAULTS.strictSequence),
    tokenTtlMs: num(o, 'tokenTtlMs', DEFAULTS.tokenTtlMs, { min: 1 }),
    clientId: str(o, 'clientId'),
    clientSecret: str(o, 'clientSecret'),
    requireAuth: bool(o, 'requireAuth', DEFAULTS.requireAuth),
    agent,
    streamChunkDelayMs: num(o, 'streamChunkDelayMs', DEFAULTS.streamChunkDelayMs),
    maxBodyBytes: num(o, 'maxBodyBytes', DEFAULTS.maxBodyBytes, { min: 1, integer: true }),
    clock: clock as TimeSource | undefined,
    requestTimeoutMs: num(o, 'requestTimeoutMs', DEFAULTS.requestTimeoutMs, {
      min: 1,
      integer: true,
    }),
    maxRecordedRequests: num(o, 'maxRecordedRequests', DEFAULTS.maxRecordedRequests, {
      integer: true,
    }),
  };
}
