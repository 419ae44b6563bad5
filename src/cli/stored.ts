/**
 * Shared by the scriptable verbs: turning a stored session back into a client and a session, and
 * a session into what is stored.
 */
import type { AgentSession } from '../index.js';
import {
  remoteTargetOf,
  resolveConnection,
  type RemoteTarget,
  type TargetFlags,
} from './config.js';
import { connect, type Connected } from './connect.js';
import { HANDLE_FORMAT, type HandleRecord, type StoredTarget } from './store.js';

/** Flags of the verbs that act on a stored session. */
export interface StoredFlags extends Pick<TargetFlags, 'clientId' | 'clientSecretFile'> {
  json?: boolean;
}

export function storedTarget(target: RemoteTarget): StoredTarget {
  return {
    myDomainUrl: target.myDomainUrl,
    ...(target.apiBaseUrl !== undefined && { apiBaseUrl: target.apiBaseUrl }),
  };
}

function remoteTarget(stored: StoredTarget): RemoteTarget {
  return remoteTargetOf(
    { from: 'stored my-domain', url: stored.myDomainUrl },
    stored.apiBaseUrl === undefined
      ? undefined
      : { from: 'stored api-base', url: stored.apiBaseUrl },
  );
}

/** A client for where a stored session talks to, with credentials from the flags or environment. */
export function connectStored(record: HandleRecord, flags: StoredFlags): Promise<Connected> {
  const target = remoteTarget(record.target);
  const connection = resolveConnection(
    target,
    { ...flags, agentId: record.agentId },
    process.env,
    record.agentId,
  );
  return connect(connection, { say: () => undefined });
}

/** The record to store for a session (a new one when `previous` is undefined). */
export function toRecord(
  session: AgentSession,
  base: Pick<HandleRecord, 'handle' | 'agentId' | 'target'> & Partial<HandleRecord>,
  turns: number,
): HandleRecord {
  const now = new Date().toISOString();
  return {
    format: HANDLE_FORMAT,
    handle: base.handle,
    agentId: base.agentId,
    target: base.target,
    createdAt: base.createdAt ?? now,
    updatedAt: now,
    turns,
    state: session.state,
    sessionId: session.sessionId,
    session: session.snapshot(),
    ...(base.lastFeedbackId !== undefined && { lastFeedbackId: base.lastFeedbackId }),
  };
}

/** Prints a verb's result: one JSON object on stdout with `--json`, else the human text. */
export function report(
  flags: StoredFlags,
  value: Record<string, unknown>,
  human: () => void,
): void {
  if (flags.json) process.stdout.write(`${JSON.stringify(value)}\n`);
  else human();
}
