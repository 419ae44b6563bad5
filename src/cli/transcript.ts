/**
 * Transcripts: a conversation as JSON lines, one record per greeting, turn, restart and close.
 * Appended as the conversation goes (so an interrupted run keeps what happened), saved whole by
 * `/save`, read back by `replay`. Never holds a secret or a token: only what the agent and the
 * user said, ids and timings.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import type { ErrorInfo, ResponseMessage, SessionOutcome } from '../index.js';
import { UsageError } from './exit-codes.js';

export const TRANSCRIPT_FORMAT = 'agentforce-session/transcript@1';

interface Timing {
  /** When the message was sent (ISO 8601). */
  sentAt: string;
  /** When the reply (or the failure) arrived (ISO 8601). */
  receivedAt: string;
  /** Milliseconds between the two. */
  ms: number;
}

/** First record: what the conversation is with. */
export interface TranscriptHeader {
  type: 'transcript';
  format: typeof TRANSCRIPT_FORMAT;
  agentId: string;
  /** Where it ran: `emulator` (embedded) or the org's My Domain URL. */
  target: string;
  startedAt: string;
}

/** The greeting of a new session. */
export interface GreetingRecord extends Timing {
  type: 'greeting';
  sessionId: string;
  messages: ResponseMessage[];
}

/** One user message and the agent's reply (or the failure). */
export interface TurnRecord extends Timing {
  type: 'turn';
  /** 1, 2, 3... in the order the user sent them. */
  turn: number;
  text: string;
  /** The question this message answered. */
  inReplyToMessageId?: string;
  sessionId: string | null;
  sequenceId: number | null;
  messages: ResponseMessage[];
  error?: ErrorInfo;
}

export interface RestartRecord {
  type: 'restarted';
  previousSessionId: string | null;
  sessionId: string;
  at: string;
}

export interface ClosedRecord {
  type: 'closed';
  outcome: SessionOutcome;
  at: string;
}

export type TranscriptRecord =
  TranscriptHeader | GreetingRecord | TurnRecord | RestartRecord | ClosedRecord;

/** Keeps the transcript in memory and, when given a file, appends each record as it happens. */
export class Transcript {
  readonly records: TranscriptRecord[] = [];
  #turns = 0;

  constructor(
    header: Omit<TranscriptHeader, 'type' | 'format' | 'startedAt'>,
    private readonly file: string | undefined,
  ) {
    this.#add({
      type: 'transcript',
      format: TRANSCRIPT_FORMAT,
      ...header,
      startedAt: new Date().toISOString(),
    });
  }

  /** The number the next user message gets. */
  nextTurn(): number {
    return ++this.#turns;
  }

  greeting(sessionId: string, messages: ResponseMessage[], sentAt: Date, receivedAt: Date): void {
    this.#add({ type: 'greeting', sessionId, messages, ...timing(sentAt, receivedAt) });
  }

  turn(record: Omit<TurnRecord, 'type' | keyof Timing>, sentAt: Date, receivedAt: Date): void {
    this.#add({ type: 'turn', ...record, ...timing(sentAt, receivedAt) });
  }

  restarted(previousSessionId: string | null, sessionId: string): void {
    this.#add({ type: 'restarted', previousSessionId, sessionId, at: new Date().toISOString() });
  }

  closed(outcome: SessionOutcome): void {
    this.#add({ type: 'closed', outcome, at: new Date().toISOString() });
  }

  /** Writes the whole transcript so far to `file` (replacing it). */
  save(file: string): void {
    writeFileSync(file, this.records.map((r) => JSON.stringify(r) + '\n').join(''), {
      mode: 0o600,
    });
  }

  #add(record: TranscriptRecord): void {
    this.records.push(record);
    if (this.file !== undefined) {
      appendFileSync(this.file, JSON.stringify(record) + '\n', { mode: 0o600 });
    }
  }
}

function timing(sentAt: Date, receivedAt: Date): Timing {
  return {
    sentAt: sentAt.toISOString(),
    receivedAt: receivedAt.toISOString(),
    ms: receivedAt.getTime() - sentAt.getTime(),
  };
}

/** Reads a transcript file. Lines that are not records of a known type are skipped. */
export function readTranscript(file: string): TranscriptRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read transcript ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const records: TranscriptRecord[] = [];
  const known = new Set(['transcript', 'greeting', 'turn', 'restarted', 'closed']);
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new UsageError(`transcript ${file}, line ${i + 1}: not JSON`);
    }
    const type = (value as { type?: unknown } | null)?.type;
    if (typeof type === 'string' && known.has(type)) records.push(value as TranscriptRecord);
  });
  const turns = records.filter((r): r is TurnRecord => r.type === 'turn');
  for (const t of turns) {
    if (typeof t.text !== 'string' || !Array.isArray(t.messages)) {
      throw new UsageError(`transcript ${file}: turn ${String(t.turn)} has no text or messages`);
    }
  }
  if (turns.length === 0 && !records.some((r) => r.type === 'greeting')) {
    throw new UsageError(`transcript ${file} has no greeting and no turns`);
  }
  return records;
}
