import type { Command } from 'commander';
import { startFakeAgentApi, type FakeAgentApi } from '../../fake-server/index.js';
import {
  addTargetOptions,
  parsePositiveDuration,
  resolveConnection,
  resolveTarget,
  type TargetFlags,
} from '../config.js';
import { EXIT, finish, UsageError } from '../exit-codes.js';
import { colorFor, styles } from '../output.js';
import { DIAGNOSES, DOCTOR_STEPS, STEP_TITLES, type DiagnosisId } from './doctor-diagnoses.js';
import type { StepResult } from './doctor-checks.js';
import { runDoctor, SKIPPED } from './doctor-steps.js';

interface DoctorFlags extends TargetFlags {
  agentName?: string;
  send?: string;
  json?: boolean;
  timeout?: number;
}

const EXAMPLES = `
Examples:
  # the same configuration as chat: SF_* variables or flags
  $ export SF_MY_DOMAIN_URL=https://example.my.salesforce.com SF_CLIENT_ID=... SF_AGENT_ID=0Xx...
  $ agentforce-session doctor --client-secret-file ~/.secrets/agent --send hello
  $ agentforce-session doctor --agent-name Customer_Support --json | jq .diagnosis

  # the embedded emulator (nothing configured, or --emulator): every step passes
  $ agentforce-session doctor --emulator

Steps: configuration, My Domain URL, reachable, token request, token is a JWT, scopes, Agent API
host, agent (found, its type), start a session, send a message (--send), end the session. The
first failure comes with its cause and fix; docs/real-org.md lists every diagnosis.
--json prints one object: {"ok","steps":[{step,title,status,found,diagnosis?}],"diagnosis","exitCode"}.
Exit codes: 0 every step passed, 2 usage, 3 the credentials were refused, 4 the org, app or agent
set-up is wrong, 5 the session failed after it started. See docs/cli.md.
`;

const AGENT_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** `agentforce-session doctor`: checks a set-up step by step and names the fix of the first failure. */
export function registerDoctorCommand(program: Command): void {
  const command = program
    .command('doctor')
    .description(
      'Check the set-up step by step (My Domain, token, JWT, scopes, API host, agent, a session) ' +
        'and say how to fix the first thing that fails. Same configuration as chat.',
    )
    .option('--agent-name <name>', 'the agent by API name (DeveloperName) instead of --agent-id')
    .option('--send <text>', 'send this message once the session has started')
    .option('--json', 'print one JSON object')
    .option(
      '--timeout <duration>',
      'how long each check may wait for an answer (default 20s)',
      parsePositiveDuration,
    )
    .option('--emulator', 'check the embedded emulator, even with SF_* variables set');
  addTargetOptions(command);
  command.addHelpText('after', EXAMPLES).action(async (flags: DoctorFlags) => {
    finish(await doctor(flags));
  });
}

/** The report of one run: what `--json` prints. */
interface Report {
  ok: boolean;
  steps: Array<StepResult & { title: string }>;
  diagnosis: ({ id: DiagnosisId } & (typeof DIAGNOSES)[DiagnosisId]) | null;
  exitCode: number;
}

async function doctor(flags: DoctorFlags): Promise<number> {
  let emulator: FakeAgentApi | undefined;
  try {
    let results: StepResult[];
    try {
      const input = await resolveInput(flags, async () => {
        emulator = await startFakeAgentApi({ port: 0 });
        return emulator.url;
      });
      results = await runDoctor(input);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      results = DOCTOR_STEPS.map((step) =>
        step === 'config'
          ? { step, status: 'fail', found: err.message, diagnosis: 'config-invalid' }
          : { step, status: 'skip', found: SKIPPED },
      );
    }
    const report = toReport(results);
    if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else process.stdout.write(render(report));
    return report.exitCode;
  } finally {
    await emulator?.close();
  }
}

async function resolveInput(flags: DoctorFlags, startEmulator: () => Promise<string>) {
  const env = process.env;
  if (flags.agentName !== undefined && !AGENT_NAME.test(flags.agentName)) {
    throw new UsageError(
      `--agent-name: an API name is letters, digits and underscores (got ${JSON.stringify(flags.agentName)})`,
    );
  }
  if (flags.agentName !== undefined && flags.agentId !== undefined) {
    throw new UsageError('give --agent-id or --agent-name, not both');
  }
  const target = resolveTarget(flags, env, { allowEmbedded: true, command: 'doctor' });
  const byName = flags.agentName !== undefined;
  // With --agent-name, any SF_AGENT_ID is ignored (the flag wins over the environment).
  const { agentId: _ignored, ...withoutAgentId } = flags;
  const connection = resolveConnection(
    target,
    byName ? withoutAgentId : flags,
    byName ? { ...env, SF_AGENT_ID: undefined } : env,
    byName ? '0Xx000000000000' : undefined,
  );
  const myDomainUrl = target.kind === 'embedded' ? await startEmulator() : target.myDomainUrl;
  const agent = byName ? `agent ${flags.agentName}` : `agent ${connection.agentId}`;
  const where =
    target.kind === 'embedded' ? `the embedded emulator at ${myDomainUrl}` : `org ${myDomainUrl}`;
  return {
    myDomainUrl,
    apiBaseUrl: target.kind === 'remote' ? target.apiBaseUrl : undefined,
    configured: `${where}, client id ${shortId(connection.credentials.clientId)}, ${agent}`,
    clientId: connection.credentials.clientId,
    clientSecret: connection.credentials.clientSecret,
    agentId: byName ? undefined : connection.agentId,
    agentName: flags.agentName,
    send: flags.send,
    timeoutMs: flags.timeout ?? 20_000,
  };
}

/** A client id shown by its start only: enough to recognise, not to copy. */
function shortId(clientId: string): string {
  return clientId.length > 12 ? `${clientId.slice(0, 8)}…` : clientId;
}

function toReport(results: StepResult[]): Report {
  const failed = results.find((r) => r.status === 'fail');
  const id = failed?.diagnosis;
  return {
    ok: failed === undefined,
    steps: results.map(({ step, ...rest }) => ({ step, title: STEP_TITLES[step], ...rest })),
    diagnosis: id === undefined ? null : { id, ...DIAGNOSES[id] },
    exitCode: id === undefined ? (failed ? EXIT.failure : EXIT.ok) : DIAGNOSES[id].exitCode,
  };
}

function render(report: Report): string {
  const s = styles(colorFor(process.stdout));
  const width = Math.max(...report.steps.map((r) => r.title.length));
  const lines = report.steps.map((r) => {
    const mark = r.status === 'pass' ? s.green('✓') : r.status === 'fail' ? s.red('✗') : s.dim('·');
    const found = r.status === 'skip' ? s.dim(r.found) : r.found;
    return `${mark} ${r.title.padEnd(width)}  ${found}`;
  });
  const d = report.diagnosis;
  if (d === null) {
    lines.push('', report.ok ? s.green('Every step passed.') : 'A step failed.');
  } else {
    lines.push(
      '',
      `${s.bold('Fix')} (${d.id}): ${d.fix}`,
      `${s.dim('Why:')} ${d.cause}`,
      s.dim(`(docs/real-org.md lists every diagnosis; exit code ${d.exitCode})`),
    );
  }
  return `${lines.join('\n')}\n`;
}
