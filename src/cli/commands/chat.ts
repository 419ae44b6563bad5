import type { Command } from 'commander';
import { runBatch, type ChatRun } from '../batch.js';
import {
  addSessionOptions,
  addTargetOptions,
  parsePositiveDuration,
  resolveConnection,
  resolveTarget,
  sessionOptionsOf,
  type SessionFlags,
  type TargetFlags,
} from '../config.js';
import { connect } from '../connect.js';
import { finish, UsageError } from '../exit-codes.js';
import { warn } from '../output.js';
import { runRepl } from '../repl.js';
import { turnTimingTracer } from '../trace.js';
import { Transcript } from '../transcript.js';
import { parseMillis } from './fake-server.js';

interface ChatFlags extends TargetFlags, SessionFlags {
  json?: boolean;
  stream?: boolean;
  transcript?: string;
  inspect?: boolean;
  trace?: boolean;
  emulatorSessionTtl?: number;
  emulatorLatency?: number;
  emulatorChunkDelay?: number;
}

const EXAMPLES = `
Examples:
  # talk to the embedded emulator (no org, no credentials, no SF_* variable set)
  $ agentforce-session chat
  $ agentforce-session chat --emulator        # even with SF_* variables set

  # script a conversation: one message per line, JSON lines out
  $ printf 'hi\\nwhere is my order?\\n00012345\\n' | agentforce-session chat --json

  # a real org (the secret only from the environment or a file)
  $ export SF_MY_DOMAIN_URL=https://example.my.salesforce.com SF_CLIENT_ID=... SF_AGENT_ID=0Xx...
  $ agentforce-session chat --client-secret-file ~/.secrets/agent --stream --transcript chat.jsonl

  # session variables, client-side idle expiry
  $ agentforce-session chat --var '$Context.EndUserLanguage=Text:en_US' --idle-timeout 10m

In a terminal: /end, /restart, /state, /save FILE, /good, /bad, /help; Ctrl-C or Ctrl-D ends the session.
Exit codes: 0 every message got a reply, 1 a message failed, 2 usage, 3 authentication,
4 agent or configuration, 5 the session could not go on. See docs/cli.md.
`;

/** `agentforce-session chat`: talk to an agent, in a terminal or from a script. */
export function registerChatCommand(program: Command): void {
  const command = program
    .command('chat')
    .description(
      'Talk to an agent: an interactive prompt in a terminal, one message per input line otherwise. ' +
        'Uses the org from SF_MY_DOMAIN_URL / SF_CLIENT_ID / SF_CLIENT_SECRET / SF_AGENT_ID (or the flags), ' +
        'else, when no SF_* variable is set (or with --emulator), an embedded emulator.',
    )
    .option('--json', 'one JSON object per line on stdout (line mode even in a terminal)')
    .option('--stream', 'stream replies (print the text as it arrives)')
    .option('--transcript <file>', 'append every turn to FILE as JSON lines')
    .option('--inspect', 'start the live state-machine inspector and print its URL')
    .option(
      '--trace',
      "print each turn's timing on stderr: token, queue, start, retries, request (agent)",
    )
    .option('--emulator', 'use the embedded emulator, even with SF_* variables set');
  addTargetOptions(command);
  addSessionOptions(command);
  command
    .option(
      '--emulator-session-ttl <duration>',
      'embedded emulator: idle session lifetime (ms, or 30s, 15m)',
      parsePositiveDuration,
    )
    .option(
      '--emulator-latency <ms>',
      'embedded emulator: ms added before every reply',
      parseMillis,
    )
    .option(
      '--emulator-chunk-delay <ms>',
      'embedded emulator: ms between two streamed events',
      parseMillis,
    )
    .addHelpText('after', EXAMPLES)
    .action(async (flags: ChatFlags) => {
      finish(await chat(flags));
    });
}

async function chat(flags: ChatFlags): Promise<number> {
  const env = process.env;
  const target = resolveTarget(flags, env, { allowEmbedded: true, command: 'chat' });
  const emulatorFlags =
    flags.emulatorSessionTtl !== undefined ||
    flags.emulatorLatency !== undefined ||
    flags.emulatorChunkDelay !== undefined;
  if (emulatorFlags && target.kind !== 'embedded') {
    throw new UsageError(
      '--emulator-* flags apply to the embedded emulator only (no org given, or --emulator)',
    );
  }
  const connection = resolveConnection(target, flags, env);
  const sessionOptions = sessionOptionsOf(flags);
  let transcript: Transcript;
  try {
    transcript = new Transcript(
      {
        agentId: connection.agentId,
        target: target.kind === 'embedded' ? 'emulator' : target.myDomainUrl,
      },
      flags.transcript,
    );
  } catch (err) {
    throw new UsageError(
      `--transcript: cannot write ${flags.transcript ?? ''} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const connected = await connect(connection, {
    inspect: flags.inspect,
    emulator: {
      ...(flags.emulatorSessionTtl !== undefined && { sessionTtlMs: flags.emulatorSessionTtl }),
      ...(flags.emulatorLatency !== undefined && { latencyMs: flags.emulatorLatency }),
      ...(flags.emulatorChunkDelay !== undefined && {
        streamChunkDelayMs: flags.emulatorChunkDelay,
      }),
    },
    say: (line) => warn(line),
    onRetry: (notice) => run.onRetry?.(notice),
    ...(flags.trace && {
      telemetry: { tracerProvider: turnTimingTracer((line) => process.stderr.write(`${line}\n`)) },
    }),
  });
  const run: ChatRun = {
    connected,
    agentId: connection.agentId,
    sessionOptions,
    json: flags.json === true,
    stream: flags.stream === true,
    transcript,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
  };
  const interactive = process.stdin.isTTY && process.stdout.isTTY && !run.json;
  try {
    return interactive ? await runRepl(run) : await runBatch(run);
  } finally {
    await connected.close();
  }
}
