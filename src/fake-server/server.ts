import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AGENT_API_PREFIX } from '../api/index.js';
import type { EmulatorAgent } from './agent-registry.js';
import type { EmulatorClock } from './clock.js';
import { createControlHandler } from './control.js';
import type { FaultInjector } from './fault-injector.js';
import { resolveOptions, type FakeAgentApiOptions } from './options.js';
import { handleRequest } from './pipeline.js';
import type { FakeAgentApiStats, RecordedRequest } from './record.js';
import type { SessionInfo } from './sessions.js';
import { EmulatorState } from './state.js';

/** A running emulator, as `startFakeAgentApi` returns it. */
export interface FakeAgentApi {
  /** `http://127.0.0.1:PORT`: the My Domain (token endpoint) and API host at once. */
  readonly url: string;
  /**
   * The URL handed out in tokens and session links: the `publicUrl` option, else `url`.
   */
  readonly publicUrl: string;
  /** `url` + `/einstein/ai-agent/v1`. */
  readonly apiUrl: string;
  /** The port listened on. */
  readonly port: number;
  /** Stops listening and closes every connection, streams included. Idempotent. */
  close(): Promise<void>;
  /** The emulator clock: `now()`, and `advance(ms)` to jump over session or token lifetimes. */
  readonly clock: EmulatorClock;
  /** Expires an open session now (later calls get 404). Returns false when it was not open. */
  expireSession(sessionId: string): boolean;
  /**
   * The next send or stream reply of the session ends with a `SessionEnded` (reason `reason`,
   * default `Action`) and the session is then ended server-side. Returns false when it was not open.
   */
  endSessionFromServer(sessionId: string, reason?: string): boolean;
  /** Fault injection: `next`, `random`, `clear`, `injected`, `pending`. */
  readonly faults: FaultInjector;
  /** Every request received (bounded by `maxRecordedRequests`), oldest first; secrets redacted. A copy. */
  readonly requests: readonly RecordedRequest[];
  /** The agents of the emulated org (the default ones and those given in the options). */
  agents(): EmulatorAgent[];
  /** Every session the emulator knows, with status (idle ones are expired first). */
  sessions(): SessionInfo[];
  /** Number of open sessions. */
  openSessionCount(): number;
  /** Traffic counters (a snapshot). */
  readonly stats: FakeAgentApiStats;
  /** Clears the request log, counters, fault counts and every session that is no longer open. */
  resetRecord(): void;
}

function urlHost(host: string, address: AddressInfo): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return address.family === 'IPv6' ? `[${address.address}]` : address.address;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Starts an emulator of the Agentforce Agent API on loopback: a real HTTP server with the token
 * endpoint, the Agent API routes, a scripted agent, fault injection and a control API.
 *
 * @param options - see {@link FakeAgentApiOptions}; all optional.
 * @returns the running emulator; call `close()` when done.
 * @throws TypeError when an option is invalid (the message names it); rejects when the port
 *   cannot be bound.
 */
export async function startFakeAgentApi(options: FakeAgentApiOptions = {}): Promise<FakeAgentApi> {
  const opts = resolveOptions(options);
  const state = new EmulatorState(opts);
  const control = createControlHandler(state);
  const server = createServer(
    {
      requestTimeout: opts.requestTimeoutMs,
      headersTimeout: Math.min(60_000, opts.requestTimeoutMs),
      connectionsCheckingInterval: Math.max(
        25,
        Math.min(1000, Math.floor(opts.requestTimeoutMs / 4)),
      ),
    },
    (req, res) => {
      handleRequest(state, control, req, res).catch(() => res.destroy());
    },
  );
  server.keepAliveTimeout = 5_000;
  const address = await listen(server, opts.port, opts.host);
  // After listening, a server-level error (e.g. running out of file descriptors on accept) must
  // not take the process down; the affected connection is lost, the server keeps serving.
  server.on('error', () => undefined);
  const url = `http://${urlHost(opts.host, address)}:${address.port}`;
  // What tokens, links and the default My Domain name: where other hosts reach this server.
  state.url = opts.publicUrl ?? url;

  let closing: Promise<void> | undefined;
  return {
    url,
    publicUrl: state.url,
    apiUrl: url + AGENT_API_PREFIX,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        state.closing = true;
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
    clock: state.clock,
    expireSession: (sessionId) => state.expireSession(sessionId),
    endSessionFromServer: (sessionId, reason) => state.endSessionFromServer(sessionId, reason),
    faults: state.faults,
    get requests() {
      return state.record.requests();
    },
    agents: () => state.agents.list(),
    sessions: () => state.sessions.list(state.now()),
    openSessionCount: () => state.sessions.openCount(state.now()),
    get stats() {
      return state.record.stats();
    },
    resetRecord: () => state.resetRecord(),
  };
}
