import type { FeedbackRequest, Links, Variable } from '../api/index.js';
import { apiPaths } from '../api/index.js';
import type { AgentTurnRecord } from './agents/types.js';

/** The emulator's session store: state of every session, lazy inactivity expiry, the per-session lock. */

/** Status of a session as {@link SessionInfo} reports it. */
export type SessionStatus = 'open' | 'ended' | 'expired';

/** Feedback a client submitted for a session. */
export interface FeedbackRecord extends FeedbackRequest {
  /** Emulator time the feedback arrived. */
  readonly at: number;
  /** Whether `feedbackId` is one this session issued in a reply. */
  readonly known: boolean;
}

/** A session as `api.sessions()` lists it (a snapshot). */
export interface SessionInfo {
  readonly sessionId: string;
  readonly agentId: string;
  readonly externalSessionKey: string;
  readonly status: SessionStatus;
  /**
   * Why the session ended: the `x-session-end-reason` header value when the client ended it,
   * the `SessionEnded.reason` when the server did, `Expiration` when it expired.
   */
  readonly endReason: string | undefined;
  /** Who ended it. */
  readonly endedBy: 'client' | 'server' | 'expiry' | undefined;
  /** Every `sequenceId` of a processed turn, in the order received. */
  readonly sequenceIds: readonly number[];
  /** Number of turns processed. */
  readonly turns: number;
  /** Emulator time of creation, ms. */
  readonly createdAt: number;
  /** Emulator time of the last request for the session, ms. */
  readonly lastActivityAt: number;
  /** Emulator time it ended or expired, ms. */
  readonly endedAt: number | undefined;
  /** Whether a request is in flight for it (it is locked). */
  readonly inFlight: boolean;
  /** The session's variables, by name. */
  readonly variables: Readonly<Record<string, Variable>>;
  /** Feedback received. */
  readonly feedback: readonly FeedbackRecord[];
}

/** The emulator's state of one session. @internal */
export interface Session {
  readonly id: string;
  readonly agentId: string;
  readonly externalSessionKey: string;
  readonly tz: string | null | undefined;
  readonly bypassUser: boolean | undefined;
  status: SessionStatus;
  endReason: string | undefined;
  endedBy: 'client' | 'server' | 'expiry' | undefined;
  readonly createdAt: number;
  lastActivityAt: number;
  endedAt: number | undefined;
  readonly sequenceIds: number[];
  lastSequenceId: number | undefined;
  turns: number;
  inFlight: boolean;
  readonly variables: Map<string, Variable>;
  readonly history: AgentTurnRecord[];
  readonly state: Record<string, unknown>;
  readonly feedback: FeedbackRecord[];
  readonly feedbackIds: Set<string>;
  /** Set by `endSessionFromServer`: the next reply carries a SessionEnded with this reason. */
  pendingServerEnd: string | undefined;
  /** `_links` of every reply, precomputed. */
  readonly links: Links;
  /** `_links` as JSON, precomputed. */
  readonly linksJson: string;
}

/** The most turns kept in a session's history. */
export const HISTORY_LIMIT = 100;

/** What {@link EmulatorSessions.create} needs. */
export interface NewSession {
  readonly id: string;
  readonly agentId: string;
  readonly externalSessionKey: string;
  readonly tz: string | null | undefined;
  readonly bypassUser: boolean | undefined;
  readonly variables: readonly Variable[];
  readonly now: number;
  readonly baseUrl: string;
}

/** The `_links` of a session's replies, pointing at the emulator (`self` is null, as real replies send). */
export function sessionLinks(baseUrl: string, agentId: string, sessionId: string): Links {
  return {
    self: null,
    messages: { href: baseUrl + apiPaths.messages(sessionId) },
    messagesStream: { href: baseUrl + apiPaths.messagesStream(sessionId) },
    session: { href: baseUrl + apiPaths.startSession(agentId) },
    end: { href: baseUrl + apiPaths.session(sessionId) },
  };
}

/** The emulator's sessions, by id. Expiry is lazy: checked whenever a session is looked up or listed. */
export class EmulatorSessions {
  readonly #sessions = new Map<string, Session>();

  /** @param ttlMs - inactivity lifetime of a session on the emulator clock. */
  constructor(private readonly ttlMs: number) {}

  /** Creates an open session. */
  create(init: NewSession): Session {
    const links = sessionLinks(init.baseUrl, init.agentId, init.id);
    const session: Session = {
      id: init.id,
      agentId: init.agentId,
      externalSessionKey: init.externalSessionKey,
      tz: init.tz,
      bypassUser: init.bypassUser,
      status: 'open',
      endReason: undefined,
      endedBy: undefined,
      createdAt: init.now,
      lastActivityAt: init.now,
      endedAt: undefined,
      sequenceIds: [],
      lastSequenceId: undefined,
      turns: 0,
      inFlight: false,
      variables: new Map(init.variables.map((v) => [v.name, v])),
      history: [],
      state: {},
      feedback: [],
      feedbackIds: new Set(),
      pendingServerEnd: undefined,
      links,
      linksJson: JSON.stringify(links),
    };
    this.#sessions.set(init.id, session);
    return session;
  }

  /** The open session `id` at time `now`, expiring it first if it has been idle too long. */
  open(id: string, now: number): Session | undefined {
    const s = this.#sessions.get(id);
    if (s === undefined) return undefined;
    this.#checkExpiry(s, now);
    return s.status === 'open' ? s : undefined;
  }

  /** The session `id` whatever its status. */
  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  /** Expires session `id` now. Returns false when it was not open. */
  expire(id: string, now: number): boolean {
    const s = this.#sessions.get(id);
    if (s?.status !== 'open') return false;
    s.status = 'expired';
    s.endReason = 'Expiration';
    s.endedBy = 'expiry';
    s.endedAt = now;
    return true;
  }

  /** Ends session `id`. Returns false when it was not open. */
  end(id: string, by: 'client' | 'server', reason: string, now: number): boolean {
    const s = this.#sessions.get(id);
    if (s?.status !== 'open') return false;
    s.status = 'ended';
    s.endReason = reason;
    s.endedBy = by;
    s.endedAt = now;
    return true;
  }

  /** Snapshots of every session, expiring idle ones first. */
  list(now: number): SessionInfo[] {
    const out: SessionInfo[] = [];
    for (const s of this.#sessions.values()) {
      this.#checkExpiry(s, now);
      out.push(snapshot(s));
    }
    return out;
  }

  /** Number of open sessions at time `now`. */
  openCount(now: number): number {
    let n = 0;
    for (const s of this.#sessions.values()) {
      this.#checkExpiry(s, now);
      if (s.status === 'open') n++;
    }
    return n;
  }

  /** Forgets every session that is no longer open. */
  forgetClosed(): void {
    for (const [id, s] of this.#sessions) if (s.status !== 'open') this.#sessions.delete(id);
  }

  #checkExpiry(s: Session, now: number): void {
    if (s.status === 'open' && !s.inFlight && now - s.lastActivityAt >= this.ttlMs) {
      s.status = 'expired';
      s.endReason = 'Expiration';
      s.endedBy = 'expiry';
      s.endedAt = s.lastActivityAt + this.ttlMs;
    }
  }
}

/** A snapshot of a session for listing. */
export function snapshot(s: Session): SessionInfo {
  return {
    sessionId: s.id,
    agentId: s.agentId,
    externalSessionKey: s.externalSessionKey,
    status: s.status,
    endReason: s.endReason,
    endedBy: s.endedBy,
    sequenceIds: [...s.sequenceIds],
    turns: s.turns,
    createdAt: s.createdAt,
    lastActivityAt: s.lastActivityAt,
    endedAt: s.endedAt,
    inFlight: s.inFlight,
    variables: Object.fromEntries(s.variables),
    feedback: [...s.feedback],
  };
}

/** Appends a turn to a session's history, keeping at most {@link HISTORY_LIMIT}. */
export function pushHistory(s: Session, turn: AgentTurnRecord): void {
  s.history.push(turn);
  if (s.history.length > HISTORY_LIMIT) s.history.splice(0, s.history.length - HISTORY_LIMIT);
}
