/** The session actors live in this process, least recently used first, and the busy ones. */
import type { AgentSession } from '../session.js';
import type { StoredSession } from '../stores/types.js';

/** A conversation's live session and what it knows of the conversation's record. */
export interface LiveSession {
  session: AgentSession;
  /** Fencing token of the lease under which its snapshot was last saved. */
  savedToken: number;
  /** When its record expires in the store (epoch ms), as last saved or loaded. */
  expiresAt: number;
}

export class LiveSessions {
  readonly #byKey = new Map<string, LiveSession>();
  /** Keys whose turn (or end) is running here now: never evicted. */
  readonly #busy = new Set<string>();

  get size(): number {
    return this.#byKey.size;
  }

  keys(): string[] {
    return [...this.#byKey.keys()];
  }

  get(key: string): LiveSession | undefined {
    return this.#byKey.get(key);
  }

  /** The live copy if it is the one the store holds (saved under the record's lease). */
  current(key: string, record: StoredSession | null): LiveSession | undefined {
    const live = this.#byKey.get(key);
    return live && record && record.fencingToken === live.savedToken ? live : undefined;
  }

  /** Sets the key's live session, as the most recently used. */
  set(key: string, live: LiveSession): void {
    this.#byKey.delete(key);
    this.#byKey.set(key, live);
  }

  delete(key: string): void {
    this.#byKey.delete(key);
  }

  /** Forgets `session` if it is still the key's live one. */
  forget(key: string, session: AgentSession): void {
    if (this.#byKey.get(key)?.session === session) this.#byKey.delete(key);
  }

  busy(key: string): void {
    this.#busy.add(key);
  }

  idle(key: string): void {
    this.#busy.delete(key);
  }

  /** Stops the least recently used idle sessions beyond `max` (they stay in the store). */
  evictBeyond(max: number, evicted: (key: string) => void): void {
    if (this.#byKey.size <= max) return;
    for (const [key, live] of this.#byKey) {
      if (this.#byKey.size <= max) break;
      if (this.#busy.has(key)) continue;
      live.session.stop();
      this.#byKey.delete(key);
      evicted(key);
    }
  }

  /** Stops every live session (their server sessions stay open) and forgets them. */
  stopAll(): void {
    for (const [key, live] of this.#byKey) {
      live.session.stop();
      this.#byKey.delete(key);
    }
  }
}
