import { InvalidArgumentError, type Command } from 'commander';
import { addCredentialOptions, addWaitOption } from '../config.js';
import { EXIT, exitCodeForSessionError, finish, UsageError } from '../exit-codes.js';
import { describeError, errorInfo, warn } from '../output.js';
import { checkHandle, HandleStore, storeDir } from '../store.js';
import { connectStored, report, type StoredFlags } from '../stored.js';

interface FeedbackFlags extends StoredFlags {
  session: string;
  wait?: number;
}

const EXAMPLES = `
Examples:
  $ agentforce-session feedback --session "$S" good
  $ agentforce-session feedback --session "$S" bad the order number was wrong

Rates the agent's last reply on the session (POST /sessions/{id}/feedback) with an optional
comment. --json prints one object: {"handle","rating","feedbackId"} or {"handle","error"}.
Exit codes: 0 sent, 1 the request failed, 2 usage, unknown handle or no reply yet, 3 authentication.
`;

function parseRating(value: string): 'GOOD' | 'BAD' {
  const v = value.toLowerCase();
  if (v !== 'good' && v !== 'bad') {
    throw new InvalidArgumentError(`expected good or bad (got "${value}")`);
  }
  return v === 'good' ? 'GOOD' : 'BAD';
}

/** `agentforce-session feedback --session HANDLE good|bad [TEXT]`: rates the last reply. */
export function registerFeedbackCommand(program: Command): void {
  const command = program
    .command('feedback')
    .description("Rate the agent's last reply on a stored session: good or bad, with a comment.")
    .argument('<rating>', 'good or bad', parseRating)
    .argument('[text...]', 'an optional comment (words are joined by spaces)')
    .requiredOption('--session <handle>', 'the handle `start` printed')
    .option('--json', 'print one JSON object');
  addWaitOption(command, 'the session');
  addCredentialOptions(command);
  command
    .addHelpText('after', EXAMPLES)
    .action(async (rating: 'GOOD' | 'BAD', words: string[], flags: FeedbackFlags) => {
      finish(await feedback(rating, words.join(' ').trim(), flags));
    });
}

async function feedback(
  rating: 'GOOD' | 'BAD',
  text: string,
  flags: FeedbackFlags,
): Promise<number> {
  const handle = checkHandle(flags.session);
  const store = new HandleStore(storeDir());
  return store.withLock(
    handle,
    async () => {
      const record = await store.read(handle);
      const feedbackId = record.lastFeedbackId;
      if (feedbackId === undefined) {
        throw new UsageError(`session ${handle} has no reply to rate yet: send a message first`);
      }
      const connected = await connectStored(record, flags);
      const session = connected.client.restore(record.session);
      try {
        await session.feedback({ feedbackId }, rating, text === '' ? {} : { text });
        report(flags, { handle, rating, feedbackId }, () => warn(`feedback sent: ${rating}`));
        return EXIT.ok;
      } catch (err) {
        const error = errorInfo(err);
        report(flags, { handle, error }, () => warn(`feedback failed: ${describeError(error)}`));
        return error.code === 'authentication'
          ? exitCodeForSessionError(error, 'conversation')
          : EXIT.failure;
      } finally {
        session.stop();
        await connected.close();
      }
    },
    flags.wait,
  );
}
