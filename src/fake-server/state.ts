import { AgentRegistry } from './agent-registry.js';
import { defaultAgent } from './agents/default-agent.js';
import type { AgentScript } from './agents/types.js';
import { createEmulatorClock, type EmulatorClock } from './clock.js';
import { FaultInjector } from './fault-injector.js';
import type { ResolvedOptions } from './options.js';
import { TrafficRecord } from './record.js';
import { EmulatorSessions } from './sessions.js';
import { TokenIssuer } from './tokens.js';

/** Everything one emulator instance holds, shared by its routes. @internal */
export class EmulatorState {
  readonly clock: EmulatorClock;
  readonly sessions: EmulatorSessions;
  readonly tokens: TokenIssuer;
  readonly faults = new FaultInjector();
  readonly record: TrafficRecord;
  readonly agent: Required<AgentScript>;
  /** The agents of the emulated org. */
  readonly agents: AgentRegistry;
  /**
   * The URL handed out (tokens, session links, the default My Domain): the `publicUrl` option, else
   * `http://host:port`; set once the server listens.
   */
  url = '';
  /** Set when `close()` starts: streams stop, new requests are refused. */
  closing = false;

  constructor(readonly options: ResolvedOptions) {
    this.clock = createEmulatorClock(options.clock);
    this.sessions = new EmulatorSessions(options.sessionTtlMs);
    this.tokens = new TokenIssuer(
      options.tokenTtlMs,
      () => this.url,
      options.tokenFormat,
      options.scope,
    );
    this.agents = new AgentRegistry(options.agents, options.anyAgentId);
    this.record = new TrafficRecord(options.maxRecordedRequests);
    const script = options.agent ?? defaultAgent;
    this.agent = {
      reply: script.reply,
      greeting: script.greeting ?? defaultAgent.greeting!,
    };
  }

  /** The org's My Domain URL, which `instanceConfig.endpoint` must name. */
  get myDomainUrl(): string {
    return this.options.myDomainUrl ?? this.url;
  }

  /** Emulator time, epoch ms. */
  now(): number {
    return this.clock.now();
  }

  /** Expires a session now. Returns false when it was not open. */
  expireSession(sessionId: string): boolean {
    return this.sessions.expire(sessionId, this.now());
  }

  /**
   * Marks an open session so that its next send or stream reply ends with a `SessionEnded`
   * (reason `reason`, default `Action`) and the session is ended server-side.
   * Returns false when it was not open.
   */
  endSessionFromServer(sessionId: string, reason = 'Action'): boolean {
    const s = this.sessions.open(sessionId, this.now());
    if (s === undefined) return false;
    s.pendingServerEnd = reason;
    return true;
  }

  /** Clears the request log, the counters, the fault counts and every session that is not open. */
  resetRecord(): void {
    this.record.reset();
    this.faults.resetCounts();
    this.sessions.forgetClosed();
  }
}
