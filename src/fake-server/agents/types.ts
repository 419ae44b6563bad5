import type { RequestMessage, ResponseMessage, Variable } from '../../api/index.js';

/**
 * The contract between the emulator and a scripted agent. A script sees one turn at a time and
 * answers with message drafts; the emulator fills in ids and the usual defaults.
 */

/**
 * One message of a reply, before the emulator completes it. `type` is the wire type (`Inform`,
 * `Inquire`, `Confirm`, `Failure`, `Escalate`, `SessionEnded`, `ProgressIndicator`, `Error`, or any
 * other string, which is sent as is). Every other field is copied onto the wire message.
 *
 * Defaults the emulator fills in when a field is missing: `id` (a new UUID); `planId` (the turn's
 * plan id) and `feedbackId` (= `planId`) on Inform, Inquire, Confirm, Failure and Escalate;
 * `isContentSafe: true` on Inform, Inquire, Confirm and Failure; `result: []` and
 * `citedReferences: []` on Inform; `code: 'ACTION_FAILED'` and `errors: []` on Failure;
 * `reason: 'Action'` and `feedbackId: ''` on SessionEnded; `indicatorType: 'ACTION'` on
 * ProgressIndicator.
 */
export interface MessageDraft {
  /** The message type as sent on the wire. */
  readonly type: string;
  /** The message id; a new UUID when left out. */
  readonly id?: string;
  /** Any other field of the message (`message`, `collect`, `confirm`, `targets`, ...). */
  readonly [field: string]: unknown;
}

/** A scripted agent's answer to one turn: the messages of the reply, in order. */
export type AgentReply = readonly MessageDraft[];

/** One finished turn of a session, as scripts see it in {@link AgentTurn.history}. */
export interface AgentTurnRecord {
  /** The `sequenceId` the client sent. */
  readonly sequenceId: number;
  /** The request message as the client sent it. */
  readonly message: RequestMessage;
  /** The complete reply messages as they were sent (ids filled in). */
  readonly reply: readonly ResponseMessage[];
}

/** What a script knows about a session when it is started. */
export interface AgentSessionInfo {
  /** The new session's id. */
  readonly sessionId: string;
  /** The agent (BotDefinition) id from the path. */
  readonly agentId: string;
  /** The client's `externalSessionKey`. */
  readonly externalSessionKey: string;
  /** The variables sent at session start, by name. */
  readonly variables: Readonly<Record<string, Variable>>;
  /** The client's time zone (`tz`), when it sent one. */
  readonly tz: string | null | undefined;
  /** The `bypassUser` flag, when the client sent one. */
  readonly bypassUser: boolean | undefined;
}

/** One user turn, as a script sees it. */
export interface AgentTurn {
  /** The session's id. */
  readonly sessionId: string;
  /** The agent (BotDefinition) id the session was started with. */
  readonly agentId: string;
  /** The `sequenceId` of the request message. */
  readonly sequenceId: number;
  /** The text of a `Text` message; `''` for other message types. */
  readonly text: string;
  /** The request message as the client sent it. */
  readonly message: RequestMessage;
  /** The variables sent with this message (empty when none). */
  readonly variables: readonly Variable[];
  /** The session's variables after merging this message's variables, by name. */
  readonly sessionVariables: Readonly<Record<string, Variable>>;
  /** `message.inReplyToMessageId`, when the client sent one. */
  readonly inReplyToMessageId: string | undefined;
  /** The session's earlier turns, oldest first (at most the last 100). */
  readonly history: readonly AgentTurnRecord[];
  /** Scratch space that lives as long as the session; the script may keep anything in it. */
  readonly state: Record<string, unknown>;
  /** Whether the turn is answered on the streaming endpoint. */
  readonly streaming: boolean;
}

/** A script as a bare function: answers each turn; the greeting is the default one. */
export type AgentReplyFunction = (turn: AgentTurn) => AgentReply | Promise<AgentReply>;

/** A script with its own greeting. */
export interface AgentScript {
  /** Answers one user turn. */
  reply: AgentReplyFunction;
  /** The messages of the start-session reply (the default agent greets with one Inform). */
  greeting?: (session: AgentSessionInfo) => AgentReply | Promise<AgentReply>;
}
