import { randomBytes } from 'node:crypto';
import { nanoid } from 'nanoid';
import type { TokenResponse } from '../api/index.js';

/**
 * Access tokens: JWT-shaped (three base64url parts; the signature is random bytes, nothing is
 * signed), with the claims Agent API clients read (`sub`, `iss`, `sfdc_app_id`, `scope`, `iat`,
 * `exp`). Only tokens this emulator issued and that have not expired on its clock are accepted.
 */

/** The scope string the emulator grants. */
export const GRANTED_SCOPE = 'sfap_api chatbot_api api';
/** The org id in the emulator's identity URL. */
export const ORG_ID = '00Dxx0000000001AAA';
/** The user id (`sub`) of issued tokens. */
export const USER_ID = '005xx0000000001AAA';
/** The connected-app id (`sfdc_app_id`) of issued tokens. */
export const APP_ID = '0H4xx0000000001AAA';

/** The claims of an emulator token. */
export interface TokenClaims {
  readonly sub: string;
  readonly iss: string;
  readonly aud: string;
  readonly sfdc_app_id: string;
  readonly client_id: string;
  readonly scope: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
}

/**
 * The result of checking an `Authorization` header: `opaque` is a valid token that is not a JWT
 * (the Agent API answers it with a 404 and an empty body).
 */
export type TokenCheck = 'ok' | 'opaque' | 'missing' | 'invalid' | 'expired';

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Issues and checks the emulator's access tokens. */
export class TokenIssuer {
  readonly #expiries = new Map<string, number>();
  readonly #opaque = new Set<string>();
  #issuedSincePrune = 0;

  /**
   * @param ttlMs - token lifetime on the emulator clock.
   * @param baseUrl - the emulator's URL (`iss`, `instance_url`, `api_instance_url`, `id`).
   * @param format - `jwt`, or `opaque` (a connected app with the JWT toggle off).
   * @param scope - the scopes granted, space-separated.
   */
  constructor(
    private readonly ttlMs: number,
    private readonly baseUrl: () => string,
    private readonly format: 'jwt' | 'opaque' = 'jwt',
    private readonly scope: string = GRANTED_SCOPE,
  ) {}

  /** Issues a token for `clientId` at time `now` and returns the token endpoint's 200 body. */
  issue(clientId: string, now: number): TokenResponse {
    const iat = Math.floor(now / 1000);
    const expMs = now + this.ttlMs;
    const base = this.baseUrl();
    const claims: TokenClaims = {
      sub: USER_ID,
      iss: base,
      aud: 'api',
      sfdc_app_id: APP_ID,
      client_id: clientId,
      scope: this.scope,
      iat,
      exp: Math.floor(expMs / 1000),
      jti: nanoid(),
    };
    const header = { alg: 'RS256', typ: 'JWT', kid: 'emulator' };
    const opaque = this.format === 'opaque';
    // An opaque token looks like a Salesforce session id: `<org id>!<random>`.
    const token = opaque
      ? `${ORG_ID.slice(0, 15)}!${randomBytes(48).toString('base64url')}`
      : `${b64url(header)}.${b64url(claims)}.${randomBytes(32).toString('base64url')}`;
    this.#expiries.set(token, expMs);
    if (opaque) this.#opaque.add(token);
    if (++this.#issuedSincePrune >= 1000) this.#prune(now);
    return {
      access_token: token,
      signature: randomBytes(32).toString('base64'),
      ...(!opaque && { token_format: 'jwt' }),
      scope: this.scope,
      instance_url: base,
      id: `${base}/id/${ORG_ID}/${USER_ID}`,
      token_type: 'Bearer',
      issued_at: String(now),
      api_instance_url: base,
    };
  }

  /** Checks an `Authorization` header value at time `now`. */
  check(authorization: string | undefined, now: number): TokenCheck {
    if (authorization === undefined || authorization === '') return 'missing';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match?.[1]) return 'invalid';
    const exp = this.#expiries.get(match[1]);
    if (exp === undefined) return 'invalid';
    if (now >= exp) return 'expired';
    return this.#opaque.has(match[1]) ? 'opaque' : 'ok';
  }

  /** Forgets every issued token (they all become invalid). */
  revokeAll(): void {
    this.#expiries.clear();
    this.#opaque.clear();
  }

  #prune(now: number): void {
    this.#issuedSincePrune = 0;
    // Keep expired tokens for a while so that they answer "expired" rather than "invalid".
    const horizon = now - 24 * 60 * 60 * 1000;
    for (const [token, exp] of this.#expiries) {
      if (exp < horizon) {
        this.#expiries.delete(token);
        this.#opaque.delete(token);
      }
    }
  }
}
