import type { Command } from 'commander';
import {
  addSessionOptions,
  addTargetOptions,
  resolveConnection,
  resolveTarget,
  sessionOptionsOf,
  type SessionFlags,
  type TargetFlags,
} from '../config.js';
import { connect } from '../connect.js';
import { exitCodeForSessionError, finish, EXIT } from '../exit-codes.js';
import { interrupted, whenInterrupted } from '../interrupt.js';
import { describeError, errorInfo, warn } from '../output.js';
import { HandleStore, storeDir } from '../store.js';
import { report, storedTarget, toRecord } from '../stored.js';

interface StartFlags extends TargetFlags, SessionFlags {
  json?: boolean;
}

const EXAMPLES = `
Examples:
  # against a local emulator started with \`agentforce-session fake-server --port 0\`
  $ S=$(agentforce-session start --my-domain http://127.0.0.1:4123)
  $ agentforce-session send --session "$S" where is my order?
  $ agentforce-session end --session "$S"

  # against an org (SF_MY_DOMAIN_URL, SF_CLIENT_ID, SF_CLIENT_SECRET, SF_AGENT_ID set)
  $ agentforce-session start --json | jq -r .handle

stdout holds the handle alone (the greeting goes to stderr); --json prints one object:
{"handle","sessionId","agentId","myDomainUrl","messages","text"}.
Sessions are stored in $AGENTFORCE_SESSION_HOME/sessions (default ~/.agentforce-session/sessions).
`;

/** `agentforce-session start`: starts a session and stores it under a new handle. */
export function registerStartCommand(program: Command): void {
  const command = program
    .command('start')
    .description(
      'Start a session and print its handle, for `send` and `end` in later processes. Needs a running ' +
        'org or emulator (--my-domain / --api-base / SF_MY_DOMAIN_URL).',
    )
    .option('--json', 'print one JSON object');
  addTargetOptions(command);
  addSessionOptions(command);
  command.addHelpText('after', EXAMPLES).action(async (flags: StartFlags) => {
    finish(await start(flags));
  });
}

async function start(flags: StartFlags): Promise<number> {
  const target = resolveTarget(flags, process.env, { allowEmbedded: false, command: 'start' });
  if (target.kind !== 'remote') return EXIT.usage;
  const connection = resolveConnection(target, flags, process.env);
  const store = new HandleStore(storeDir());
  const connected = await connect(connection, { say: (line) => warn(line) });
  const session = connected.client.session({
    agentId: connection.agentId,
    ...sessionOptionsOf(flags),
  });
  // A signal while starting ends the session (once started) and stores nothing; once the handle
  // is being stored, it is stored and printed. Either way main() exits with the signal's code.
  let storing = false;
  const stopListening = whenInterrupted(({ signal }) => {
    if (storing) return;
    warn(`${signal}: ending the session`);
    session.end('UserRequest').catch(() => undefined);
  });
  try {
    let greeting;
    try {
      greeting = await session.start();
    } catch (err) {
      if (interrupted()) return EXIT.ok;
      const error = errorInfo(err);
      report(flags, { error }, () => warn(`the session did not start: ${describeError(error)}`));
      return exitCodeForSessionError(error, 'start');
    }
    if (interrupted()) {
      await session.end('UserRequest').catch(() => undefined);
      return EXIT.ok;
    }
    storing = true;
    const handle = await store.newHandle();
    const record = toRecord(
      session,
      { handle, agentId: connection.agentId, target: storedTarget(target) },
      0,
    );
    await store.write(record);
    session.stop();
    report(
      flags,
      {
        handle,
        sessionId: greeting.sessionId,
        agentId: connection.agentId,
        myDomainUrl: target.myDomainUrl,
        messages: greeting.messages,
        text: greeting.text,
      },
      () => {
        process.stdout.write(`${handle}\n`);
        if (greeting.text !== '') process.stderr.write(`${greeting.text}\n`);
      },
    );
    return EXIT.ok;
  } finally {
    stopListening();
    await connected.close();
  }
}
