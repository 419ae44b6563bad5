/**
 * The checks of `agentforce-session doctor`, one per step, in order. Each looks at one thing a
 * first contact with an org needs and says what it found; the first that fails names a
 * diagnosis (doctor-diagnoses.ts) and the steps after it are skipped. The token, the My Domain
 * and the agent are checked with plain HTTP so that each reply is seen as the org sent it; the
 * session is then started, used and ended through the library, as `chat` does.
 */
import { TOKEN_PATH, joinUrl } from '../../api/index.js';
import { AgentforceClient, type AgentSession } from '../../index.js';
import { toErrorInfo } from '../../error-info.js';
import { decodeTokenClaims } from '../../api/jwt.js';
import {
  apiHostOf,
  checkApiHost,
  checkMyDomain,
  checkScopes,
  fail,
  pass,
  startDiagnosis,
  tokenDiagnosis,
  type Outcome,
  type StepResult,
} from './doctor-checks.js';
import { DOCTOR_STEPS, type DoctorStep } from './doctor-diagnoses.js';

/** What doctor checks: the resolved configuration. */
export interface DoctorInput {
  /** My Domain URL (the token host and `instanceConfig.endpoint`). */
  myDomainUrl: string;
  /** `--api-base`, when given. */
  apiBaseUrl: string | undefined;
  /** What the configuration step found (said in its checklist line). */
  configured: string;
  clientId: string;
  /** Never printed. */
  clientSecret: string;
  /** The agent, by id or by API name (one of them). */
  agentId: string | undefined;
  agentName: string | undefined;
  /** `--send TEXT`: one message to send. */
  send: string | undefined;
  /** Milliseconds each plain HTTP request may take. */
  timeoutMs: number;
}

/** What a step after the first failure says. */
export const SKIPPED = 'not run: an earlier step failed';

/** The API version of the REST query that looks the agent up. */
export const QUERY_API_VERSION = 'v62.0';

interface Reply {
  status: number;
  body: unknown;
}

/** A plain HTTP request with a deadline; a transport failure becomes a short description. */
async function request(
  url: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<Reply | { failed: string }> {
  try {
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      // not JSON: kept as text
    }
    return { status: res.status, body };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError') return { failed: `no answer within ${timeoutMs} ms` };
    return { failed: e.cause?.code ?? e.cause?.message ?? e.message };
  }
}

/** An error reply in a few words: status, then the error and its description or message. */
function describeReply(reply: Reply): string {
  const b = reply.body;
  const first = Array.isArray(b) ? (b[0] as unknown) : b;
  if (typeof first === 'object' && first !== null) {
    const o = first as Record<string, unknown>;
    const kind = o['error'] ?? o['errorCode'];
    const text = o['error_description'] ?? o['message'];
    return [reply.status, kind, text]
      .filter((x) => typeof x === 'string' || typeof x === 'number')
      .join(' ')
      .replace(/^(\d+ \S+) /, '$1: ');
  }
  const text = typeof b === 'string' ? b.trim().replace(/\s+/g, ' ') : '';
  return text === ''
    ? `${reply.status} with an empty body`
    : `${reply.status} ${text.slice(0, 80)}`;
}

function clip(text: string, max = 80): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** The agent as the org describes it. */
interface FoundAgent {
  id: string;
  developerName: string;
  type: string | undefined;
}

const AGENT_TYPES: Readonly<Record<string, { kind: string; bypassUser: boolean }>> = {
  EinsteinServiceAgent: { kind: 'a Service agent', bypassUser: true },
  AgentforceEmployeeAgent: { kind: 'an Employee agent', bypassUser: false },
};

/**
 * Runs every step in order and stops at the first failure (the steps after it are skipped).
 * The session it opens is always ended, even when a step after the start fails.
 */
export async function runDoctor(input: DoctorInput): Promise<StepResult[]> {
  const results: StepResult[] = [{ step: 'config', status: 'pass', found: input.configured }];
  let token:
    | {
        access: string;
        reply: Record<string, unknown>;
        claims: Record<string, unknown> | undefined;
      }
    | undefined;
  let apiHost: { url: string; from: string } | undefined;
  let agent: FoundAgent | undefined;
  let session: AgentSession | undefined;
  let client: AgentforceClient | undefined;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

  const steps: Record<Exclude<DoctorStep, 'config'>, () => Promise<Outcome> | Outcome> = {
    'my-domain': () => checkMyDomain(input.myDomainUrl),
    reachable: async () => {
      const r = await request(input.myDomainUrl, { method: 'GET' }, input.timeoutMs);
      if ('failed' in r) return fail('my-domain-unreachable', r.failed);
      return pass(`HTTP ${r.status} over ${new URL(input.myDomainUrl).protocol.slice(0, -1)}`);
    },
    token: async () => {
      const r = await request(
        joinUrl(input.myDomainUrl, TOKEN_PATH),
        {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
          },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: input.clientId,
            client_secret: input.clientSecret,
          }).toString(),
        },
        input.timeoutMs,
      );
      if ('failed' in r) return fail('my-domain-unreachable', r.failed);
      const body = r.body as Record<string, unknown> | null;
      const access = r.status >= 200 && r.status < 300 ? str(body?.['access_token']) : undefined;
      if (access === undefined) {
        const id =
          r.status < 300 && typeof body === 'object'
            ? 'token-refused'
            : tokenDiagnosis(r.status, r.body);
        return fail(id, r.status < 300 ? `${r.status} without access_token` : describeReply(r));
      }
      token = { access, reply: body!, claims: decodeTokenClaims(access) };
      const format = str(body!['token_format']);
      return pass(`issued${format ? ` (token_format ${format})` : ''}`);
    },
    jwt: () => {
      const t = token!;
      if (t.claims === undefined) {
        return fail('token-not-jwt', `an opaque token of ${t.access.length} characters`);
      }
      const exp = t.claims['exp'];
      const left =
        typeof exp === 'number' ? Math.round((exp * 1000 - Date.now()) / 60_000) : undefined;
      return pass(
        left === undefined ? 'a JWT (no exp claim)' : `a JWT, valid for ${left} more min`,
      );
    },
    scopes: () => checkScopes(str(token!.reply['scope']), token!.claims),
    'api-host': () => {
      apiHost = apiHostOf(
        input.myDomainUrl,
        input.apiBaseUrl,
        str(token!.reply['api_instance_url']),
      );
      return checkApiHost(input.myDomainUrl, apiHost);
    },
    agent: async () => {
      const where =
        input.agentName !== undefined
          ? `DeveloperName = '${input.agentName}'`
          : `Id = '${input.agentId ?? ''}'`;
      const q = `SELECT Id, DeveloperName, AgentType FROM BotDefinition WHERE ${where}`;
      const instance = str(token!.reply['instance_url']) ?? input.myDomainUrl;
      const r = await request(
        `${joinUrl(instance, `/services/data/${QUERY_API_VERSION}/query`)}?q=${encodeURIComponent(q)}`,
        { headers: { authorization: `Bearer ${token!.access}`, accept: 'application/json' } },
        input.timeoutMs,
      );
      if ('failed' in r) return fail('agent-lookup-failed', r.failed);
      const records = (r.body as { records?: unknown } | null)?.records;
      if (r.status !== 200 || !Array.isArray(records))
        return fail('agent-lookup-failed', describeReply(r));
      const record = records[0] as Record<string, unknown> | undefined;
      const wanted = input.agentName ?? input.agentId ?? '';
      if (record === undefined || str(record['Id']) === undefined)
        return fail('agent-not-found', `no agent ${wanted}`);
      agent = {
        id: str(record['Id'])!,
        developerName: str(record['DeveloperName']) ?? '?',
        type: str(record['AgentType']),
      };
      const known = agent.type === undefined ? undefined : AGENT_TYPES[agent.type];
      const needs = known
        ? `${known.kind} (${agent.type}): start with bypassUser ${known.bypassUser}`
        : `type ${agent.type ?? 'not given'}`;
      return pass(`${agent.developerName} (${agent.id}), ${needs}`);
    },
    start: async () => {
      const api = apiHost!;
      const access = token!.access;
      client = new AgentforceClient({
        myDomainUrl: input.myDomainUrl,
        apiBaseUrl: api.url,
        auth: () => ({ accessToken: access, apiInstanceUrl: api.url }),
      });
      session = client.session({ agentId: agent!.id });
      try {
        const greeting = await session.start();
        return pass(
          `session ${greeting.sessionId}${greeting.text ? `: "${clip(greeting.text, 60)}"` : ''}`,
        );
      } catch (err) {
        const info = toErrorInfo(err);
        // The library's hint is left out: doctor prints its own fix below the checklist.
        const message = info.hint ? info.message.replace(/\. Fix: [^]*$/, '') : info.message;
        return fail(startDiagnosis(info), clip(message, 160));
      }
    },
    send: async () => {
      if (input.send === undefined) return { status: 'skip', found: 'no --send TEXT given' };
      try {
        const turn = await session!.send(input.send);
        return pass(`reply: "${clip(turn.text, 60)}"`);
      } catch (err) {
        return fail('send-failed', clip(toErrorInfo(err).message, 160));
      }
    },
    end: async () => {
      try {
        const outcome = await session!.end();
        return pass(`ended (${outcome.endReason ?? outcome.reason})`);
      } catch (err) {
        return fail('end-failed', clip(toErrorInfo(err).message, 160));
      }
    },
  };

  let failed = false;
  try {
    for (const step of DOCTOR_STEPS.slice(1) as Array<Exclude<DoctorStep, 'config'>>) {
      if (failed) {
        results.push({ step, status: 'skip', found: SKIPPED });
        continue;
      }
      const outcome = await steps[step]();
      results.push({ step, ...outcome });
      failed = outcome.status === 'fail';
    }
  } finally {
    // A session left open by a failed send is ended all the same (not reported: a step failed).
    if (session !== undefined && session.state !== 'closed')
      await session.end().catch(() => undefined);
    client?.close();
  }
  return results;
}
