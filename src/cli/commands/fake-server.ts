import { InvalidArgumentError, type Command } from 'commander';
import { isAgentId } from '../../api/index.js';
import {
  startFakeAgentApi,
  type EmulatorAgent,
  type FakeAgentApi,
} from '../../fake-server/index.js';
import { whenInterrupted } from '../interrupt.js';

/**
 * `agentforce-session fake-server`: runs the Agent API emulator until SIGINT or SIGTERM.
 * The first stdout line is `listening on http://HOST:PORT`. Client credentials for the token
 * endpoint come only from the environment (`FAKE_SERVER_CLIENT_ID`, `FAKE_SERVER_CLIENT_SECRET`),
 * never from the command line.
 */

const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a duration: a number of milliseconds (`1500`) or a number with a unit `ms`, `s`, `m`
 * or `h` (`30s`, `15m`, `1.5h`).
 *
 * @throws InvalidArgumentError (a commander usage error) for anything else.
 */
export function parseDuration(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(value);
  if (!match?.[1]) {
    throw new InvalidArgumentError(`expected a duration such as 1500, 30s or 15m (got "${value}")`);
  }
  const ms = Number(match[1]) * (UNITS[(match[2] ?? 'ms').toLowerCase()] ?? 1);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`duration too large: "${value}"`);
  return Math.round(ms);
}

/** Parses a positive duration (a lifetime). */
function parseLifetime(value: string): number {
  const ms = parseDuration(value);
  if (ms <= 0) throw new InvalidArgumentError(`expected a duration above zero (got "${value}")`);
  return ms;
}

/** Parses a TCP port, 0-65535. */
export function parsePort(value: string): number {
  if (!/^\d+$/.test(value.trim()))
    throw new InvalidArgumentError(`expected a port number (got "${value}")`);
  const port = Number(value);
  if (port > 65535) throw new InvalidArgumentError(`port must be at most 65535 (got ${port})`);
  return port;
}

/** Parses a non-negative whole number of milliseconds. */
export function parseMillis(value: string): number {
  if (!/^\d+$/.test(value.trim())) {
    throw new InvalidArgumentError(
      `expected a non-negative number of milliseconds (got "${value}")`,
    );
  }
  return Number(value);
}

/**
 * Parses an `--agent` value, `ID:DeveloperName[:service|employee][:inactive]`, and adds it to the
 * agents given so far.
 */
export function parseAgent(value: string, previous: EmulatorAgent[] = []): EmulatorAgent[] {
  const [id = '', developerName = '', ...rest] = value.split(':');
  const usage = `expected ID:DeveloperName[:service|employee][:inactive] (got "${value}")`;
  if (!isAgentId(id) || !/^[A-Za-z][A-Za-z0-9_]*$/.test(developerName))
    throw new InvalidArgumentError(usage);
  let type: EmulatorAgent['type'] = 'service';
  let active = true;
  for (const word of rest) {
    if (word === 'service' || word === 'employee') type = word;
    else if (word === 'inactive') active = false;
    else throw new InvalidArgumentError(usage);
  }
  const label = developerName.replace(/_/g, ' ');
  return [...previous, { id, developerName, label, type, active }];
}

/** Parses an http(s) origin, `http://host[:port]`, without a path. */
export function parseOrigin(value: string): string {
  if (!/^https?:\/\/[^/\s?#]+\/?$/.test(value))
    throw new InvalidArgumentError(`expected an http(s) URL without a path (got "${value}")`);
  return value.replace(/\/$/, '');
}

function parseChoice<T extends string>(values: readonly T[]) {
  return (value: string): T => {
    if (!values.includes(value as T))
      throw new InvalidArgumentError(`expected one of ${values.join(', ')} (got "${value}")`);
    return value as T;
  };
}

interface FakeServerFlags {
  port: number;
  host: string;
  sessionTtl?: number;
  latency?: number;
  strictSequence?: boolean;
  streamChunkDelay?: number;
  tokenTtl?: number;
  agent?: EmulatorAgent[];
  anyAgentId?: boolean;
  tokenFormat?: 'jwt' | 'opaque';
  scope?: string;
  streamShape?: 'chunked' | 'inform-only';
  turnBudget?: number;
  publicUrl?: string;
}

function envValue(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

const EXAMPLES = `
Examples:
  # an emulator for other processes on this machine; the first line gives its URL
  $ agentforce-session fake-server --port 0
  listening on http://127.0.0.1:39123
  $ printf 'hi\\n' | agentforce-session chat --my-domain http://127.0.0.1:39123

  # in a container that others reach as http://emulator:8080 (docker-compose, a CI service)
  $ agentforce-session fake-server --host 0.0.0.0 --port 8080 --public-url http://emulator:8080

  # sessions that expire after 30 s idle, and slow replies
  $ agentforce-session fake-server --session-ttl 30s --latency 500

The first stdout line is always "listening on http://HOST:PORT". With --public-url, tokens
(instance_url, api_instance_url) and session links name that URL instead, and it is the org's
My Domain: clients must use it as theirs. SIGINT or SIGTERM closes the server and exits 0.
Faults and the clock are driven through the control API under /__emulator (see docs/emulator.md).
`;

/** Adds the `fake-server` subcommand to `program`. */
export function registerFakeServerCommand(program: Command): void {
  program
    .command('fake-server')
    .description(
      'Run a local emulator of the Agentforce Agent API (token endpoint included) until SIGINT/SIGTERM. ' +
        'Token-endpoint credentials come from FAKE_SERVER_CLIENT_ID / FAKE_SERVER_CLIENT_SECRET.',
    )
    .option('--port <n>', 'port to listen on (0 = a free port)', parsePort, 0)
    .option('--host <h>', 'interface to listen on', '127.0.0.1')
    .option(
      '--public-url <url>',
      'the URL other hosts reach it at, handed out in tokens and session links (e.g. http://emulator:8080)',
      parseOrigin,
    )
    .option(
      '--session-ttl <duration>',
      'session inactivity expiry (ms, or 30s, 15m, 1h)',
      parseLifetime,
    )
    .option('--latency <ms>', 'milliseconds added before every Agent API reply', parseMillis)
    .option('--strict-sequence', 'reject a sequenceId not greater than the last one with 400')
    .option('--stream-chunk-delay <ms>', 'milliseconds between two SSE events', parseMillis)
    .option('--token-ttl <duration>', 'access token lifetime (ms, or 30s, 15m, 1h)', parseLifetime)
    .option(
      '--agent <spec>',
      'add an agent, ID:DeveloperName[:service|employee][:inactive] (repeatable)',
      parseAgent,
    )
    .option('--any-agent-id', 'treat any well-formed unknown agent id as an active service agent')
    .option(
      '--token-format <format>',
      'jwt, or opaque: tokens that are not JWTs, answered 404 with an empty body',
      parseChoice(['jwt', 'opaque'] as const),
    )
    .option('--scope <scopes>', 'scopes granted to tokens (default "sfap_api chatbot_api api")')
    .option(
      '--stream-shape <shape>',
      'chunked, or inform-only: streamed replies without progress events or chunks',
      parseChoice(['chunked', 'inform-only'] as const),
    )
    .option('--turn-budget <duration>', 'a turn longer than this ends with a 500', parseLifetime)
    .addHelpText('after', EXAMPLES)
    .action(async (flags: FakeServerFlags) => {
      const api = await startFakeAgentApi({
        port: flags.port,
        host: flags.host,
        sessionTtlMs: flags.sessionTtl,
        latencyMs: flags.latency,
        strictSequence: flags.strictSequence ?? false,
        streamChunkDelayMs: flags.streamChunkDelay,
        tokenTtlMs: flags.tokenTtl,
        agents: flags.agent,
        anyAgentId: flags.anyAgentId ?? false,
        tokenFormat: flags.tokenFormat,
        scope: flags.scope,
        streamShape: flags.streamShape,
        turnBudgetMs: flags.turnBudget,
        publicUrl: flags.publicUrl,
        clientId: envValue('FAKE_SERVER_CLIENT_ID'),
        clientSecret: envValue('FAKE_SERVER_CLIENT_SECRET'),
      });
      shutdownOnSignals(api);
      process.stdout.write(`listening on ${api.url}\n`);
      if (api.publicUrl !== api.url) process.stdout.write(`public url ${api.publicUrl}\n`);
    });
}

/** SIGINT or SIGTERM closes the server and every connection, then exits 0. */
function shutdownOnSignals(api: FakeAgentApi): void {
  whenInterrupted(() => {
    api.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
