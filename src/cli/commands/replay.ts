import { InvalidArgumentError, Option, type Command } from 'commander';
import type { AgentSession, SendOptions } from '../../index.js';
import { isClosed, sendTurn } from '../batch.js';
import {
  compareReplies,
  MATCH_MODES,
  replyShape,
  type MatchMode,
  type MessageDifference,
  type MessageShape,
  type ReplyShape,
} from '../compare.js';
import {
  addSessionOptions,
  addTargetOptions,
  resolveConnection,
  resolveTarget,
  sessionOptionsOf,
  type SessionFlags,
  type TargetFlags,
} from '../config.js';
import { connect, type Connected } from '../connect.js';
import { EXIT, exitCodeForSessionError, finish, UsageError } from '../exit-codes.js';
import { interrupted, whenInterrupted } from '../interrupt.js';
import { colorFor, describeError, errorInfo, styles, warn } from '../output.js';
import {
  readTranscript,
  type GreetingRecord,
  type TranscriptHeader,
  type TranscriptRecord,
  type TurnRecord,
} from '../transcript.js';

interface ReplayFlags extends TargetFlags, SessionFlags {
  json?: boolean;
  stream?: boolean;
  match: MatchMode;
  expect?: Map<number, RegExp>;
}

/** The comparison of one recorded reply (the greeting is turn 0). */
export interface TurnReport {
  turn: number;
  /** The user message (empty for the greeting). */
  text: string;
  status: 'same' | 'different' | 'not-sent';
  expected: ReplyShape;
  actual: ReplyShape | null;
  differences: MessageDifference[];
}

interface Conversation {
  header: TranscriptHeader | undefined;
  greeting: GreetingRecord | undefined;
  turns: TurnRecord[];
}

const EXAMPLES = `
Examples:
  # record a conversation, then check that the agent still answers the same way
  $ printf 'hi\\nwhere is my order?\\n00012345\\n' | agentforce-session chat --transcript golden.jsonl >/dev/null
  $ agentforce-session replay golden.jsonl
  $ agentforce-session replay golden.jsonl --json | jq .identical

  # a real agent words its answers differently every run: compare what it does instead
  $ agentforce-session replay golden.jsonl --match types
  $ agentforce-session replay golden.jsonl --match actions --expect '3=shipped|on its way'

The user messages are sent again, in order, to the embedded emulator or to the org from the
environment / flags (the agent id defaults to the recorded one). --match says what makes a reply
the same (ids and times are always ignored): exact (the default) the messages' types and texts in
order; types their types only; actions their types and the actions they report with their
results. --expect TURN=REGEX (turn 0 is the greeting, repeatable) replaces the text comparison of
that turn: its reply's text must match REGEX (case-insensitive). An answer to a question is sent
as an answer to the new session's question.
Exit codes: 0 identical, 1 different, 2 usage, 3 authentication, 4 configuration, 5 no session.
`;

/** Parses an `--expect TURN=REGEX` value and adds it to those given so far. */
export function parseExpectation(
  value: string,
  previous?: Map<number, RegExp>,
): Map<number, RegExp> {
  const match = /^(\d+)=(.+)$/s.exec(value);
  if (!match?.[1] || match[2] === undefined)
    throw new InvalidArgumentError(`expected TURN=REGEX, e.g. 3=shipped (got "${value}")`);
  let pattern: RegExp;
  try {
    pattern = new RegExp(match[2], 'i');
  } catch (err) {
    throw new InvalidArgumentError(
      `not a regular expression: ${match[2]} (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const out = new Map(previous);
  out.set(Number(match[1]), pattern);
  return out;
}

/** `agentforce-session replay TRANSCRIPT`. */
export function registerReplayCommand(program: Command): void {
  const command = program
    .command('replay')
    .description(
      "Send a recorded conversation's user messages again and report where the agent's answers differ.",
    )
    .argument('<transcript>', 'a transcript written by `chat --transcript` or `/save`')
    .option('--json', 'print the report as one JSON object')
    .option('--stream', 'send through the streaming endpoint')
    .option('--emulator', 'use the embedded emulator, even with SF_* variables set')
    .addOption(
      new Option('--match <mode>', 'what makes a reply the same: its texts, types or actions')
        .choices(MATCH_MODES)
        .default('exact'),
    )
    .option(
      '--expect <turn=regex>',
      "turn TURN's reply text must match REGEX, instead of the recorded text (repeatable)",
      parseExpectation,
    );
  addTargetOptions(command);
  addSessionOptions(command);
  command.addHelpText('after', EXAMPLES).action(async (file: string, flags: ReplayFlags) => {
    finish(await replay(file, flags));
  });
}

function conversationsOf(records: TranscriptRecord[]): Conversation[] {
  const out: Conversation[] = [];
  let current: Conversation | undefined;
  for (const r of records) {
    if (r.type === 'transcript' || !current) {
      current = { header: r.type === 'transcript' ? r : undefined, greeting: undefined, turns: [] };
      out.push(current);
    }
    if (r.type === 'greeting' && !current.greeting) current.greeting = r;
    if (r.type === 'turn') current.turns.push(r);
  }
  return out.filter((c) => c.greeting || c.turns.length > 0);
}

/** An --expect for a turn no conversation of the transcript has is a usage error. */
function checkExpectations(conversations: Conversation[], expect?: Map<number, RegExp>): void {
  for (const turn of expect?.keys() ?? []) {
    const known = conversations.some((c) =>
      turn === 0 ? c.greeting !== undefined : c.turns.some((t) => t.turn === turn),
    );
    if (!known) throw new UsageError(`--expect ${turn}: the transcript has no turn ${turn}`);
  }
}

async function replay(file: string, flags: ReplayFlags): Promise<number> {
  const env = process.env;
  const target = resolveTarget(flags, env, { allowEmbedded: true, command: 'replay' });
  const conversations = conversationsOf(readTranscript(file));
  checkExpectations(conversations, flags.expect);
  const recordedAgent = conversations.find((c) => c.header)?.header?.agentId;
  const connection = resolveConnection(target, flags, env, recordedAgent);
  const connected = await connect(connection, { say: (line) => warn(line) });
  const reports: TurnReport[][] = [];
  // A signal ends the session being replayed and stops; main() exits with the signal's code.
  let current: AgentSession | undefined;
  const stopListening = whenInterrupted(({ signal }) => {
    warn(`${signal}: ending the session`);
    current?.end('UserRequest').catch(() => undefined);
  });
  try {
    for (const conversation of conversations) {
      const result = await replayOne(connected, conversation, flags, (s) => (current = s));
      if (interrupted()) return EXIT.failure;
      if (typeof result === 'number') return result;
      reports.push(result);
    }
  } finally {
    stopListening();
    await connected.close();
  }
  const all = reports.flat();
  const same = all.filter((r) => r.status === 'same').length;
  const identical = same === all.length;
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({
        transcript: file,
        match: flags.match,
        identical,
        summary: { replies: all.length, same, different: all.length - same },
        conversations: reports.map((turns) => ({ turns })),
      })}\n`,
    );
  } else {
    printReport(reports, same, all.length, flags.match);
  }
  return identical ? EXIT.ok : EXIT.failure;
}

async function replayOne(
  connected: Connected,
  conversation: Conversation,
  flags: ReplayFlags,
  opened: (session: AgentSession) => void,
): Promise<TurnReport[] | number> {
  const session: AgentSession = connected.client.session({
    agentId: connected.connection.agentId,
    ...sessionOptionsOf(flags),
  });
  opened(session);
  const reports: TurnReport[] = [];
  let greeting;
  try {
    greeting = await session.start();
  } catch (err) {
    const info = errorInfo(err);
    warn(`the session did not start: ${describeError(info)}`);
    return exitCodeForSessionError(info, 'start');
  }
  if (conversation.greeting) {
    reports.push(
      report(
        0,
        '',
        replyShape(conversation.greeting.messages),
        replyShape(greeting.messages),
        flags,
      ),
    );
  }
  for (const recorded of conversation.turns) {
    if (interrupted()) break;
    const expected = replyShape(recorded.messages, recorded.error);
    if (isClosed(session)) {
      reports.push({
        turn: recorded.turn,
        text: recorded.text,
        status: 'not-sent',
        expected,
        actual: null,
        differences: [],
      });
      continue;
    }
    const options: SendOptions = {};
    const question = session.pendingQuestionId;
    if (recorded.inReplyToMessageId !== undefined && question !== null) {
      options.inReplyToMessageId = question;
    }
    let actual: ReplyShape;
    try {
      const turn = await sendTurn(session, recorded.text, options, flags.stream === true);
      actual = replyShape(turn.messages);
    } catch (err) {
      actual = replyShape([], errorInfo(err));
    }
    reports.push(report(recorded.turn, recorded.text, expected, actual, flags));
  }
  if (!isClosed(session)) {
    try {
      await session.end('UserRequest');
    } catch (err) {
      warn(`ending the session failed: ${describeError(errorInfo(err))}`);
    }
  }
  return reports;
}

function report(
  turn: number,
  text: string,
  expected: ReplyShape,
  actual: ReplyShape,
  flags: ReplayFlags,
): TurnReport {
  const differences = compareReplies(expected, actual, {
    mode: flags.match,
    pattern: flags.expect?.get(turn),
  });
  return {
    turn,
    text,
    status: differences.length === 0 ? 'same' : 'different',
    expected,
    actual,
    differences,
  };
}

function shown(m: MessageShape | null): string {
  if (m === null) return '(nothing)';
  if (m.type === 'pattern') return `text matching ${m.text}`;
  const actions = (m.actions ?? []).map(
    (a) => ` ⚙ ${a.type.slice(a.type.lastIndexOf('/') + 1)} → ${JSON.stringify(a.value)}`,
  );
  return `${m.type} ${JSON.stringify(m.text)}${actions.join('')}`;
}

function printReport(reports: TurnReport[][], same: number, total: number, match: MatchMode): void {
  const s = styles(colorFor(process.stdout));
  const out = (line: string) => process.stdout.write(`${line}\n`);
  reports.forEach((turns, i) => {
    if (reports.length > 1) out(s.bold(`conversation ${i + 1}`));
    for (const r of turns) {
      const label = r.turn === 0 ? 'greeting' : `turn ${r.turn}`;
      const word = { same: 'same', different: 'DIFFERENT', 'not-sent': 'NOT SENT' }[r.status];
      const status = (r.status === 'same' ? s.green : s.red)(word.padEnd(9));
      out(`${label.padEnd(9)} ${status} ${r.text}`.trimEnd());
      for (const d of r.differences) {
        const what = d.index === 0 ? 'text: ' : `message ${d.index}: `;
        out(s.dim(`    ${what}expected ${shown(d.expected)}`));
        out(s.dim(`    ${' '.repeat(what.length)}actual   ${shown(d.actual)}`));
      }
    }
  });
  out(`${total} replies: ${same} same, ${total - same} different (by ${match})`);
}
