import type { Command } from 'commander';
import { EXIT, finish } from '../exit-codes.js';
import { warn } from '../output.js';
import { HandleStore, storeDir, type HandleRecord } from '../store.js';

interface SessionsFlags {
  json?: boolean;
  all?: boolean;
}

const EXAMPLES = `
Examples:
  $ agentforce-session sessions
  $ agentforce-session sessions --json | jq -r '.sessions[].handle'

Lists the stored sessions that are not closed (--all: closed ones too), oldest first, as the
store last saw them (nothing is sent to the server). --json prints one object:
{"dir","sessions":[{handle,state,sessionId,agentId,myDomainUrl,turns,createdAt,updatedAt}],"broken":[...]}.
`;

/** `agentforce-session sessions`: the stored sessions. */
export function registerSessionsCommand(program: Command): void {
  program
    .command('sessions')
    .description('List the stored sessions (from `start`), without contacting the server.')
    .option('--all', 'include sessions that are closed')
    .option('--json', 'print one JSON object')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: SessionsFlags) => {
      finish(await sessions(flags));
    });
}

function summary(r: HandleRecord) {
  return {
    handle: r.handle,
    state: r.state,
    sessionId: r.sessionId,
    agentId: r.agentId,
    myDomainUrl: r.target.myDomainUrl,
    turns: r.turns,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

async function sessions(flags: SessionsFlags): Promise<number> {
  const store = new HandleStore(storeDir());
  const { records, broken } = await store.list();
  const shown = records.filter((r) => flags.all || r.state !== 'closed').map(summary);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ dir: store.dir, sessions: shown, broken })}\n`);
    return EXIT.ok;
  }
  if (shown.length === 0) {
    warn(`no stored sessions in ${store.dir}`);
  } else {
    const rows = [
      ['HANDLE', 'STATE', 'SESSION', 'AGENT', 'TURNS', 'UPDATED', 'TARGET'],
      ...shown.map((s) => [
        s.handle,
        s.state,
        s.sessionId ?? '-',
        s.agentId,
        String(s.turns),
        s.updatedAt,
        s.myDomainUrl,
      ]),
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
    for (const row of rows) {
      process.stdout.write(
        `${row
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd()}\n`,
      );
    }
  }
  for (const b of broken) warn(`${b}: unreadable session file`);
  return EXIT.ok;
}
