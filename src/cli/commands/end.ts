import type { Command } from 'commander';
import type { ErrorInfo } from '../../index.js';
import { addCredentialOptions, addWaitOption } from '../config.js';
import { EXIT, finish, UsageError, worstExit } from '../exit-codes.js';
import { interrupted, whenInterrupted } from '../interrupt.js';
import { causeCode, describeError, errorInfo, warn } from '../output.js';
import { checkHandle, NoSuchSessionError, HandleStore, storeDir } from '../store.js';
import { connectStored, report, type StoredFlags } from '../stored.js';

interface EndFlags extends StoredFlags {
  session?: string;
  all?: boolean;
  wait?: number;
  forget?: boolean;
}

interface Ended {
  handle: string;
  sessionId: string | null;
  /** `ended`, or `already-closed` for a session that had closed before. */
  result: 'ended' | 'already-closed';
}

interface Failed {
  handle: string;
  sessionId: string | null;
  error: ErrorInfo;
  /** The handle was removed all the same: its server is gone, or `--forget`. */
  removed?: true;
}

const EXAMPLES = `
Examples:
  $ agentforce-session end --session "$S"
  $ agentforce-session end --all --json
  $ agentforce-session end --session "$S" --forget    # remove the handle even if ending fails

Ends the server session (DELETE, reason UserRequest) and forgets the handle. A session the server
no longer knows counts as ended. When ending fails, the handle is kept so you can try again,
except when the server is gone (connection refused, host not found, a 404 from a host that is not
the Agent API) or with --forget: then the handle is removed and the failure reported.
--json prints one object: {"ended":[{handle,sessionId,result}],"failed":[{handle,sessionId,error,removed?}]}.
Exit codes: 0 all ended, 1 some could not be ended, 2 usage or unknown handle, 3 authentication.
`;

/** `agentforce-session end --session HANDLE | --all`. */
export function registerEndCommand(program: Command): void {
  const command = program
    .command('end')
    .description('End a stored session (or --all of them) on the server and forget it.')
    .option('--session <handle>', 'the handle `start` printed')
    .option('--all', 'every stored session')
    .option('--json', 'print one JSON object')
    .option('--forget', 'remove the handle even when the server session could not be ended');
  addWaitOption(command, 'a session');
  addCredentialOptions(command);
  command.addHelpText('after', EXAMPLES).action(async (flags: EndFlags) => {
    finish(await end(flags));
  });
}

async function end(flags: EndFlags): Promise<number> {
  if ((flags.session === undefined) === (flags.all !== true)) {
    throw new UsageError('end needs --session HANDLE or --all (one of them)');
  }
  const store = new HandleStore(storeDir());
  const handles =
    flags.session !== undefined
      ? [checkHandle(flags.session)]
      : (await store.list()).records.map((r) => r.handle);
  if (flags.session !== undefined) await store.read(flags.session); // unknown handle: usage error
  const ended: Ended[] = [];
  const failed: Failed[] = [];
  // A signal lets the session being ended finish (its handle is then removed or kept as usual)
  // and stops there; main() exits with the signal's code.
  const stopListening = whenInterrupted(({ signal }) =>
    warn(`${signal}: stopping after the session being ended`),
  );
  for (const handle of handles) {
    if (interrupted()) break;
    try {
      const result = await store.withLock(handle, () => endOne(store, handle, flags), flags.wait);
      if ('error' in result) failed.push(result);
      else ended.push(result);
    } catch (err) {
      if (err instanceof NoSuchSessionError && flags.all) continue; // removed meanwhile
      if (err instanceof UsageError) throw err;
      failed.push({ handle, sessionId: null, error: errorInfo(err) });
    }
  }
  stopListening();
  report(flags, { ended, failed }, () => {
    for (const e of ended) {
      process.stdout.write(
        `${e.handle}\t${e.result === 'ended' ? 'ended' : 'already closed'}\t${e.sessionId ?? '-'}\n`,
      );
    }
    for (const f of failed) warn(failureLine(f, flags));
    if (flags.all && handles.length === 0) warn('no stored sessions');
  });
  let exit: number = EXIT.ok;
  for (const f of failed) {
    exit = worstExit(exit, f.error.code === 'authentication' ? EXIT.authentication : EXIT.failure);
  }
  return exit;
}

async function endOne(
  store: HandleStore,
  handle: string,
  flags: EndFlags,
): Promise<Ended | Failed> {
  const record = await store.read(handle);
  const connected = await connectStored(record, flags);
  try {
    const session = connected.client.restore(record.session);
    const sessionId = session.sessionId;
    if (session.state === 'closed') {
      await store.remove(handle);
      return { handle, sessionId, result: 'already-closed' };
    }
    try {
      await session.end('UserRequest');
    } catch (err) {
      const error = errorInfo(err);
      // The handle stays as it was (the server session may still be open), unless no server is
      // left to end it on, or the user asked to forget it.
      if (!flags.forget && !serverGone(error)) return { handle, sessionId, error };
      await store.remove(handle);
      return { handle, sessionId, error, removed: true };
    }
    await store.remove(handle);
    return { handle, sessionId, result: 'ended' };
  } finally {
    await connected.close();
  }
}

/**
 * Whether a failure says that the server behind a handle is gone for good, so that keeping the
 * handle would only fail again: nothing listens there, the host does not exist, or a 404 that
 * is not the Agent API's session-not-found (a wrong host; that one counts as ended).
 */
function serverGone(error: ErrorInfo): boolean {
  if (error.code === 'not_found') return true;
  const cause = error.code === 'connection' ? causeCode(error) : undefined;
  return cause === 'ECONNREFUSED' || cause === 'ENOTFOUND';
}

function failureLine(f: Failed, flags: EndFlags): string {
  const why = describeError(f.error);
  if (!f.removed) return `${f.handle}: could not end: ${why}; the handle is kept, try again later`;
  const because = flags.forget ? 'as --forget asks' : 'since its server is gone';
  return (
    `${f.handle}: the server session ${f.sessionId ?? ''} could not be ended (${why}); ` +
    `the handle is removed ${because}. If the session still exists, the server expires it when idle.`
  );
}
