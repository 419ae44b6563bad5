/**
 * The checks of `doctor` that read a reply or a setting without a request of their own: the My
 * Domain and API hosts, the token's scopes, and the diagnosis a failed token or start names.
 */
import { apiBaseForMyDomain, PRODUCTION_API_BASE } from '../../api/hosts.js';
import { oauthErrorKind, type OAuthErrorKind } from '../../api/oauth-errors.js';
import { isLoopbackHost, parseUrl } from '../../api/urls.js';
import type { ErrorInfo } from '../../index.js';
import { REQUIRED_SCOPES, type DiagnosisId, type DoctorStep } from './doctor-diagnoses.js';

/** The result of one step. */
export interface StepResult {
  step: DoctorStep;
  status: 'pass' | 'fail' | 'skip';
  /** What was found, in a few words (never a secret or a token). */
  found: string;
  /** For a failed step: the diagnosis. */
  diagnosis?: DiagnosisId;
}

/** What a step found, before it is named. */
export type Outcome = Omit<StepResult, 'step'>;

export const pass = (found: string): Outcome => ({ status: 'pass', found });
export const fail = (diagnosis: DiagnosisId, found: string): Outcome => ({
  status: 'fail',
  found,
  diagnosis,
});

const API_HOST = /^((test|dev|stage)\.)?api\.(gov\.)?salesforce\.com$/i;
const ORG_HOST = /\.(my\.salesforce\.com|lightning\.force\.com|my\.site\.com|force\.com)$/i;

/** A My Domain is a sandbox's when its host ends with `.sandbox.my.salesforce.com`. */
export function isSandboxMyDomain(myDomainUrl: string): boolean {
  return /\.sandbox\.my\.salesforce\.com$/i.test(hostOf(myDomainUrl));
}

function hostOf(url: string): string {
  return parseUrl(url)?.hostname ?? '';
}

/** Checks the shape of the My Domain URL (no request). */
export function checkMyDomain(myDomainUrl: string): Outcome {
  const host = hostOf(myDomainUrl);
  if (/\.lightning\.force\.com$/i.test(host)) return fail('my-domain-lightning', host);
  if (/^(login|test)\.salesforce\.com$/i.test(host)) return fail('my-domain-login-host', host);
  if (API_HOST.test(host)) return fail('my-domain-api-host', host);
  const kind = isLoopbackHost(host)
    ? 'on loopback: an emulator'
    : isSandboxMyDomain(myDomainUrl)
      ? 'a sandbox My Domain'
      : /\.my\.salesforce\.com$/i.test(host)
        ? 'a production My Domain'
        : 'not a *.my.salesforce.com host: a custom domain?';
  return pass(`${myDomainUrl} (${kind})`);
}

/**
 * Where the client sends Agent API calls, and why: the flag, the token's reply, or the host the
 * library infers from the My Domain (the production host where it cannot tell, as a start would
 * then be refused until --api-base is given).
 */
export function apiHostOf(
  myDomainUrl: string,
  apiBaseUrl: string | undefined,
  apiInstanceUrl: string | undefined,
): { url: string; from: string } {
  if (apiBaseUrl !== undefined) return { url: apiBaseUrl, from: '--api-base' };
  if (apiInstanceUrl !== undefined && apiInstanceUrl !== '')
    return { url: apiInstanceUrl.replace(/\/+$/, ''), from: "the token's api_instance_url" };
  const inferred = apiBaseForMyDomain(myDomainUrl);
  return inferred !== undefined
    ? { url: inferred, from: 'inferred from the My Domain: the token named none' }
    : { url: PRODUCTION_API_BASE, from: 'the default: the token named none, set --api-base' };
}

/** Checks the Agent API host against the My Domain (no request). */
export function checkApiHost(myDomainUrl: string, api: { url: string; from: string }): Outcome {
  const host = hostOf(api.url);
  const found = `${api.url} (${api.from})`;
  if (ORG_HOST.test(host)) return fail('api-host-my-domain', found);
  if (isSandboxMyDomain(myDomainUrl) && /^api\.salesforce\.com$/i.test(host)) {
    return fail('api-host-sandbox', found);
  }
  return pass(found);
}

/** The scopes granted: the token reply's `scope`, else the JWT's `scope` / `scp` claim. */
export function checkScopes(
  replyScope: string | undefined,
  claims: Record<string, unknown> | undefined,
): Outcome {
  const claim = claims?.['scope'] ?? claims?.['scp'];
  const text =
    replyScope ??
    (typeof claim === 'string' ? claim : Array.isArray(claim) ? claim.join(' ') : undefined);
  if (text === undefined) return pass('the token names no scopes: not checked');
  const granted = text.split(/\s+/).filter(Boolean);
  const missing = REQUIRED_SCOPES.filter((s) => !granted.includes(s));
  if (missing.length > 0) {
    return fail(
      'scope-missing',
      `granted: ${granted.join(' ') || '(none)'}; missing: ${missing.join(' ')}`,
    );
  }
  return pass(granted.join(' '));
}

/** The diagnosis of each OAuth error of the token endpoint. */
const TOKEN_DIAGNOSES: Readonly<Record<OAuthErrorKind, DiagnosisId>> = {
  'rate-limited': 'token-rate-limited',
  'invalid-client-id': 'token-invalid-client-id',
  'invalid-client': 'token-invalid-client',
  'no-run-as-user': 'token-no-run-as-user',
  'max-logins': 'token-max-logins',
  'invalid-grant': 'token-invalid-grant',
  'unsupported-grant': 'token-unsupported-grant',
  other: 'token-refused',
};

/**
 * Maps an error reply of the token endpoint to its diagnosis: an OAuth error by its kind, any
 * other reply (a page, an empty body) by its status.
 */
export function tokenDiagnosis(status: number, body: unknown): DiagnosisId {
  const kind = oauthErrorKind(status, body);
  if (kind !== undefined) return TOKEN_DIAGNOSES[kind];
  return status === 404 || status < 500 ? 'token-endpoint-not-found' : 'token-refused';
}

/** The library's typed first-contact errors (by name) and the diagnosis each one is. */
const START_ERRORS: Readonly<Record<string, DiagnosisId>> = {
  EndpointConfigError: 'endpoint-mismatch',
  AgentNotFoundError: 'agent-unknown',
  AgentInactiveError: 'agent-inactive',
  AgentNotAttachedError: 'agent-not-attached',
  BypassUserError: 'employee-bypass-user',
  TokenFormatError: 'token-not-jwt',
};

/**
 * Maps a failed session start to its diagnosis: by the library's typed error when it named the
 * failure, else by the error's code and status.
 */
export function startDiagnosis(error: ErrorInfo): DiagnosisId {
  const known = START_ERRORS[error.name];
  if (known !== undefined) return known;
  if (error.code === 'connection' || error.code === 'timeout') return 'api-unreachable';
  const { status } = error;
  if (status === 401) return 'start-unauthorized';
  if (status === 404) return 'start-not-found';
  if (status !== undefined && status >= 400 && status < 500) return 'start-refused';
  return 'start-failed';
}
