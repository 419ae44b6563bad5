/**
 * Where the CLI talks to, and as whom: environment variables and flags turned into a target and
 * client options. A secret is read from the environment or a file, never from argv.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { isAgentId, VariableTypeSchema } from '../api/index.js';
import { parseApiUrl, type ApiUrl } from '../api/urls.js';
import type { ExpiryPolicy, SessionOptions, Variable, VariableType } from '../index.js';
import { parseDuration } from './commands/fake-server.js';
import { UsageError } from './exit-codes.js';

/** The agent id used with an emulator when none is given (any well-formed id works there). */
export const EMULATOR_AGENT_ID = '0XxEMULATOR0000001';
/** Client id sent to an emulator when none is given (an emulator accepts any unless told otherwise). */
export const EMULATOR_CLIENT_ID = 'agentforce-session-cli';

/** Flags shared by every command that talks to an agent. */
export interface TargetFlags {
  myDomain?: string;
  apiBase?: string;
  agentId?: string;
  clientId?: string;
  clientSecretFile?: string;
  /** Use the embedded emulator even when `SF_*` variables are set (`chat`, `replay`). */
  emulator?: boolean;
}

/** Flags shared by every command that opens a session. */
export interface SessionFlags {
  var?: Variable[];
  idleTimeout?: number;
  onExpiry?: ExpiryPolicy;
  maxRestarts?: number;
}

/** A remote Agent API: a real org, or an emulator someone else started. */
export interface RemoteTarget {
  kind: 'remote';
  /** My Domain URL: the token endpoint's host and `instanceConfig.endpoint`. */
  myDomainUrl: string;
  /** The Agent API host, when set explicitly. */
  apiBaseUrl: string | undefined;
  /** Whether it is on this machine (http on loopback): an emulator, most likely. */
  loopback: boolean;
}

/** The emulator started inside this process. */
export interface EmbeddedTarget {
  kind: 'embedded';
}

export type Target = RemoteTarget | EmbeddedTarget;

export interface Credentials {
  clientId: string;
  /** Never printed, persisted or put in argv. */
  clientSecret: string;
}

/** Everything needed to open sessions. */
export interface Connection {
  target: Target;
  agentId: string;
  credentials: Credentials;
}

type Env = Readonly<Record<string, string | undefined>>;

function envValue(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** Checks a URL from a flag or variable: https, or http on loopback. */
function checkTargetUrl(what: string, value: string): ApiUrl {
  const checked = parseApiUrl(value);
  if ('problem' in checked) {
    throw new UsageError(
      `${what}: ${checked.problem}${checked.showValue ? ` (got "${value}")` : ''}`,
    );
  }
  return checked;
}

/**
 * Resolves the target from flags and environment.
 *
 * - `--my-domain` / `SF_MY_DOMAIN_URL`: a remote Agent API (org or emulator).
 * - `--api-base` alone: the Agent API host, also used as the token host (the emulator's layout).
 * - neither: the embedded emulator when `allowEmbedded` and nothing is configured (no `SF_*`
 *   variable set, even empty) or `--emulator` is given; else a usage error, so that a CI job
 *   whose org URL went missing fails instead of passing against the emulator.
 */
export function resolveTarget(
  flags: TargetFlags,
  env: Env,
  options: { allowEmbedded: boolean; command: string },
): Target {
  if (flags.emulator) {
    if (flags.myDomain !== undefined || flags.apiBase !== undefined) {
      throw new UsageError(
        '--emulator talks to the embedded emulator: drop --my-domain / --api-base',
      );
    }
    return { kind: 'embedded' };
  }
  const myDomain = flags.myDomain ?? envValue(env, 'SF_MY_DOMAIN_URL');
  const apiBase = flags.apiBase;
  if (myDomain === undefined && apiBase === undefined) {
    const configured = Object.keys(env)
      .filter((name) => name.startsWith('SF_') && env[name] !== undefined)
      .sort();
    if (options.allowEmbedded && configured.length > 0) {
      const domain =
        env['SF_MY_DOMAIN_URL'] === undefined
          ? 'SF_MY_DOMAIN_URL is not set'
          : 'SF_MY_DOMAIN_URL is empty';
      throw new UsageError(
        `${configured.join(', ')} ${configured.length > 1 ? 'are' : 'is'} set but ${domain}: ` +
          `set it (or pass --my-domain URL) to talk to the org, or pass --emulator to use the embedded emulator`,
      );
    }
    if (options.allowEmbedded) return { kind: 'embedded' };
    throw new UsageError(
      `${options.command} needs a running Agent API: pass --my-domain URL (or --api-base URL), or set ` +
        'SF_MY_DOMAIN_URL. For a local one, run `agentforce-session fake-server --port 0` and pass the URL it prints.',
    );
  }
  return remoteTargetOf(
    {
      from: myDomain !== undefined ? '--my-domain / SF_MY_DOMAIN_URL' : '--api-base',
      url: (myDomain ?? apiBase)!,
    },
    apiBase === undefined ? undefined : { from: '--api-base', url: apiBase },
  );
}

/**
 * A remote target from its My Domain URL and its Agent API host, each checked (https, or http on
 * loopback); `from` says where a URL came from, for the usage error.
 */
export function remoteTargetOf(
  myDomain: { from: string; url: string },
  apiBase: { from: string; url: string } | undefined,
): RemoteTarget {
  const domain = checkTargetUrl(myDomain.from, myDomain.url);
  const base = apiBase && checkTargetUrl(apiBase.from, apiBase.url);
  return {
    kind: 'remote',
    myDomainUrl: domain.url,
    apiBaseUrl: base?.url,
    loopback: domain.loopback && (base?.loopback ?? true),
  };
}

function readSecretFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`--client-secret-file: cannot read ${file} (${code})`);
  }
  const secret = text.replace(/\r?\n$/, '');
  if (secret.trim() === '') throw new UsageError(`--client-secret-file: ${file} is empty`);
  return secret;
}

/** A malformed agent id is a usage error that names where it came from. */
function checkAgentIdFlag(agentId: string, fromFlag: boolean): void {
  if (isAgentId(agentId)) return;
  throw new UsageError(
    `${fromFlag ? '--agent-id' : 'SF_AGENT_ID'}: must be a 15- or 18-character agent id starting with 0Xx (got ${JSON.stringify(agentId)})`,
  );
}

/**
 * Resolves the credentials and the agent id for a target. A remote target on loopback (an
 * emulator) gets placeholder credentials and agent id when none are given; a real org needs
 * all of them.
 */
export function resolveConnection(
  target: Target,
  flags: TargetFlags,
  env: Env,
  fallbackAgentId?: string,
): Connection {
  const clientId = flags.clientId ?? envValue(env, 'SF_CLIENT_ID');
  const clientSecret =
    flags.clientSecretFile !== undefined
      ? readSecretFile(flags.clientSecretFile)
      : env['SF_CLIENT_SECRET'] !== undefined && env['SF_CLIENT_SECRET'] !== ''
        ? env['SF_CLIENT_SECRET']
        : undefined;
  const agentId = flags.agentId ?? envValue(env, 'SF_AGENT_ID') ?? fallbackAgentId;
  if (agentId !== undefined) checkAgentIdFlag(agentId, flags.agentId !== undefined);
  const lenient = target.kind === 'embedded' || target.loopback;
  if (!lenient) {
    const missing: string[] = [];
    if (clientId === undefined) missing.push('SF_CLIENT_ID (or --client-id)');
    if (clientSecret === undefined) missing.push('SF_CLIENT_SECRET (or --client-secret-file FILE)');
    if (agentId === undefined) missing.push('SF_AGENT_ID (or --agent-id)');
    if (missing.length > 0) {
      throw new UsageError(`talking to an org needs ${missing.join(', ')}`);
    }
  }
  return {
    target,
    agentId: agentId ?? EMULATOR_AGENT_ID,
    credentials: {
      clientId: clientId ?? EMULATOR_CLIENT_ID,
      clientSecret: clientSecret ?? `emulator-${process.pid}`,
    },
  };
}

/** Session options from the session flags. */
export function sessionOptionsOf(flags: SessionFlags): Omit<SessionOptions, 'agentId'> {
  const options: Omit<SessionOptions, 'agentId'> = {};
  if (flags.var !== undefined && flags.var.length > 0) options.variables = flags.var;
  if (flags.idleTimeout !== undefined) options.idleTimeoutMs = flags.idleTimeout;
  if (flags.onExpiry !== undefined) options.onExpiry = flags.onExpiry;
  if (flags.maxRestarts !== undefined) options.maxRestarts = flags.maxRestarts;
  return options;
}

const VARIABLE_TYPES: Readonly<Record<string, VariableType>> = Object.fromEntries(
  VariableTypeSchema.options.map((t) => [t.toLowerCase(), t]),
);

/**
 * Parses `--var name=type:value` (type is one of the Agent API variable types, any case):
 * `Text`, `Ref`, `Money`, `Date`, `DateTime` take the value as is; `Number` and `Boolean` parse
 * it; `Json`, `Object` and `List` take JSON. `name=value` alone is a `Text` variable.
 */
export function parseVariable(value: string, previous: Variable[] | undefined): Variable[] {
  const eq = value.indexOf('=');
  if (eq <= 0) {
    throw new InvalidArgumentError(
      `expected name=type:value, e.g. $Context.EndUserLanguage=Text:en_US (got "${value}")`,
    );
  }
  const name = value.slice(0, eq);
  const rest = value.slice(eq + 1);
  const colon = rest.indexOf(':');
  const typeName = colon > 0 ? rest.slice(0, colon) : '';
  let type = VARIABLE_TYPES[typeName.toLowerCase()];
  let raw = rest.slice(colon + 1);
  if (type === undefined) {
    type = 'Text';
    raw = rest;
  }
  let parsed: unknown = raw;
  if (type === 'Number') {
    parsed = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(parsed)) {
      throw new InvalidArgumentError(`variable ${name}: "${raw}" is not a number`);
    }
  } else if (type === 'Boolean') {
    if (!/^(true|false)$/i.test(raw)) {
      throw new InvalidArgumentError(`variable ${name}: expected true or false (got "${raw}")`);
    }
    parsed = raw.toLowerCase() === 'true';
  } else if (type === 'Json' || type === 'Object' || type === 'List') {
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new InvalidArgumentError(
        `variable ${name}: the ${type} value must be JSON (got "${raw}")`,
      );
    }
  }
  return [...(previous ?? []), { name, type, value: parsed }];
}

function parseExpiry(value: string): ExpiryPolicy {
  if (value !== 'restart' && value !== 'close') {
    throw new InvalidArgumentError(`expected restart or close (got "${value}")`);
  }
  return value;
}

/** Parses a duration above zero (`1500`, `30s`, `15m`, `1h`). */
export function parsePositiveDuration(value: string): number {
  const ms = parseDuration(value);
  if (ms <= 0) throw new InvalidArgumentError(`expected a duration above zero (got "${value}")`);
  return ms;
}

function parseCount(value: string): number {
  if (!/^\d+$/.test(value.trim())) {
    throw new InvalidArgumentError(`expected a whole number (got "${value}")`);
  }
  return Number(value);
}

/** Adds the flags that say where to talk to and as whom. */
export function addTargetOptions(command: Command, options: { agentId?: boolean } = {}): Command {
  command
    .option(
      '--my-domain <url>',
      'My Domain URL of the org, or an emulator URL (env SF_MY_DOMAIN_URL)',
    )
    .option('--api-base <url>', "Agent API host (default: the token's api_instance_url)");
  if (options.agentId !== false) {
    command.option('--agent-id <id>', 'agent (BotDefinition) id, 0Xx... (env SF_AGENT_ID)');
  }
  return addCredentialOptions(command);
}

/**
 * Adds `--wait`: how long a command on a stored session waits for another process using it
 * (`which` says "the session" or "a session" in the help).
 */
export function addWaitOption(command: Command, which: string): Command {
  return command.option(
    '--wait <duration>',
    `how long to wait for another process using ${which} (default 60s)`,
    parsePositiveDuration,
  );
}

/** Adds the flags that say as whom to talk (the secret only from a file or the environment). */
export function addCredentialOptions(command: Command): Command {
  return command
    .option('--client-id <id>', 'connected app client id (env SF_CLIENT_ID)')
    .option(
      '--client-secret-file <file>',
      'read the client secret from this file (else env SF_CLIENT_SECRET; never from argv)',
    );
}

/** Adds the flags that shape a new session. */
export function addSessionOptions(command: Command): Command {
  return command
    .option(
      '--var <name=type:value>',
      'session variable, repeatable (e.g. $Context.EndUserLanguage=Text:en_US)',
      parseVariable,
    )
    .option(
      '--idle-timeout <duration>',
      'expire the session after this long idle, on the client (ms, or 30s, 15m)',
      parsePositiveDuration,
    )
    .option('--on-expiry <policy>', 'restart or close when the session expires', parseExpiry)
    .option(
      '--max-restarts <n>',
      'new sessions after expiry before giving up (default 3)',
      parseCount,
    );
}
