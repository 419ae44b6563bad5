/**
 * Authentication: where the bearer token comes from, how long it is kept, and its refresh.
 */
import type { AxiosInstance } from 'axios';
import { TOKEN_PATH, TokenResponseSchema, joinUrl } from './api/index.js';
import { HINTS } from './error-hints.js';
import { AuthenticationError, InvalidArgumentError, TokenFormatError, withHint } from './errors.js';
import { errorFromResponse, errorFromTransport } from './http/errors.js';
import { withRetries, type RetryNotice, type RetryOptions } from './http/retry.js';
import { REDACTED } from './redact.js';

/** A bearer token and what the token endpoint said about it. */
export interface AccessToken {
  /** The bearer token. Never logged, persisted or emitted by this library. */
  accessToken: string;
  /** The Agent API host (`api_instance_url`), when the token endpoint gave one. */
  apiInstanceUrl?: string | undefined;
  /** Epoch ms when the token expires, when known (from the JWT `exp`). */
  expiresAt?: number | undefined;
}

/** What a token provider is given each time a token is needed. */
export interface TokenRequestContext {
  /** The org's My Domain URL (the client's `myDomainUrl`). */
  myDomainUrl: string;
  /** The client's HTTP transport (keep-alive, timeouts). */
  http: AxiosInstance;
  /** True when the last token was refused (a 401): do not hand back a cached one. */
  forceRefresh: boolean;
  signal?: AbortSignal | undefined;
  /** The client's retry policy: a provider that makes requests retries through it. */
  retry: RetryOptions;
  /** The client's `onRetry`: told before a provider waits to repeat its request. */
  onRetry?: ((notice: RetryNotice) => void) | undefined;
}

/** Supplies bearer tokens. Use {@link clientCredentials}, or pass a token or a function. */
export interface AuthProvider {
  readonly kind: string;
  getToken(context: TokenRequestContext): Promise<AccessToken>;
}

/** The `auth` option: a provider, a fixed token, or a function returning a token. */
export type AuthOption =
  | AuthProvider
  | string
  | ((context: { forceRefresh: boolean }) => string | AccessToken | Promise<string | AccessToken>);

/**
 * Whether a token has the shape of a JWT: three dot-separated base64url parts, the first two JSON
 * objects. Nothing is verified: the Agent API does that.
 */
export function isJwt(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return false;
  return parts.slice(0, 2).every((part) => {
    try {
      const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    } catch {
      return false;
    }
  });
}

/** Reads `exp` (seconds) from a JWT without verifying it; undefined when it is not a JWT. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * OAuth 2.0 client credentials against `{myDomainUrl}/services/oauth2/token`. The secret is kept in
 * a closure: it is not a property, so it cannot leak through `JSON.stringify`, `util.inspect` or a
 * snapshot.
 *
 * @example
 * ```ts
 * const client = new AgentforceClient({
 *   myDomainUrl: 'https://example.my.salesforce.com',
 *   auth: clientCredentials({ clientId: process.env.SF_CLIENT_ID!, clientSecret: process.env.SF_CLIENT_SECRET! }),
 * });
 * ```
 */
export function clientCredentials(options: {
  clientId: string;
  clientSecret: string;
}): AuthProvider {
  const { clientId, clientSecret } = options ?? ({} as typeof options);
  if (typeof clientId !== 'string' || clientId.trim() === '') {
    throw new InvalidArgumentError('clientCredentials: clientId must be a non-empty string');
  }
  if (typeof clientSecret !== 'string' || clientSecret === '') {
    throw new InvalidArgumentError('clientCredentials: clientSecret must be a non-empty string');
  }
  const provider: AuthProvider & { toJSON(): unknown } = {
    kind: 'clientCredentials',
    async getToken(ctx) {
      const url = joinUrl(ctx.myDomainUrl, TOKEN_PATH);
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
      }).toString();
      const loop = {
        what: 'token request',
        repeatability: 'idempotent' as const,
        retry: ctx.retry,
        onRetry: ctx.onRetry,
        signal: ctx.signal,
      };
      return withRetries(loop, async () => {
        let res;
        try {
          res = await ctx.http.post<unknown>(url, form, {
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              accept: 'application/json',
            },
            ...(ctx.signal ? { signal: ctx.signal } : {}),
            validateStatus: () => true,
          });
        } catch (err) {
          throw errorFromTransport(err, 'token request', ctx.signal);
        }
        if (res.status < 200 || res.status >= 300) {
          // OAuth errors (invalid_client, invalid_grant, …) become typed errors with their fix.
          throw errorFromResponse(res.status, res.headers, res.data, 'token request');
        }
        const parsed = TokenResponseSchema.safeParse(res.data);
        if (!parsed.success) {
          throw new AuthenticationError('the token endpoint sent a reply without access_token', {
            status: res.status,
          });
        }
        const t = parsed.data;
        return {
          accessToken: t.access_token,
          apiInstanceUrl: t.api_instance_url,
          expiresAt: jwtExpiry(t.access_token),
        };
      });
    },
    toJSON: () => ({ kind: 'clientCredentials', clientId, clientSecret: REDACTED }),
  };
  Object.defineProperty(provider, Symbol.for('nodejs.util.inspect.custom'), {
    value: () => `clientCredentials { clientId: '${clientId}', clientSecret: '${REDACTED}' }`,
  });
  return provider;
}

/** Wraps a fixed token or a token function as a provider. */
export function toAuthProvider(auth: AuthOption): AuthProvider {
  if (typeof auth === 'string') {
    const token: AccessToken = { accessToken: auth, expiresAt: jwtExpiry(auth) };
    return { kind: 'token', getToken: () => Promise.resolve(token) };
  }
  if (typeof auth === 'function') {
    return {
      kind: 'function',
      async getToken(ctx) {
        const t = await auth({ forceRefresh: ctx.forceRefresh });
        if (typeof t === 'string') return { accessToken: t, expiresAt: jwtExpiry(t) };
        return t;
      },
    };
  }
  return auth;
}

/**
 * Caches the token of one client until shortly before it expires, and fetches it once for all
 * concurrent sessions (single flight).
 */
export class TokenManager {
  #current: AccessToken | undefined;
  #inFlight: Promise<AccessToken> | undefined;

  constructor(
    private readonly provider: AuthProvider,
    private readonly context: Omit<TokenRequestContext, 'forceRefresh' | 'signal'>,
    private readonly now: () => number,
    private readonly refreshMarginMs = 60_000,
  ) {}

  /** A valid token, from the cache when it is fresh. */
  get(signal?: AbortSignal): Promise<AccessToken> {
    const t = this.#current;
    if (t && (t.expiresAt === undefined || t.expiresAt - this.refreshMarginMs > this.now())) {
      return Promise.resolve(t);
    }
    return this.#fetch(false, signal);
  }

  /** Drops `refused` (if it is still the cached one) and fetches a new token. */
  refresh(refused: AccessToken, signal?: AbortSignal): Promise<AccessToken> {
    if (this.#current !== refused && this.#current !== undefined)
      return Promise.resolve(this.#current);
    this.#current = undefined;
    return this.#fetch(true, signal);
  }

  /** The cached token's expiry, if a token is cached. */
  get expiresAt(): number | null {
    return this.#current?.expiresAt ?? null;
  }

  #fetch(forceRefresh: boolean, signal?: AbortSignal): Promise<AccessToken> {
    // Single flight: one request for every caller; a caller's abort does not cancel it for others.
    this.#inFlight ??= this.provider
      .getToken({ ...this.context, forceRefresh })
      .then((t) => {
        if (typeof t?.accessToken !== 'string' || t.accessToken === '') {
          throw new AuthenticationError('the auth provider returned no access token');
        }
        if (!isJwt(t.accessToken)) {
          // The Agent API would answer every call with a 404 and an empty body.
          throw new TokenFormatError(withHint('the access token is not a JWT', HINTS.jwt), {
            hint: HINTS.jwt,
          });
        }
        this.#current = t;
        return t;
      })
      .finally(() => {
        this.#inFlight = undefined;
      });
    const shared = this.#inFlight;
    if (!signal) return shared;
    return Promise.race([
      shared,
      new Promise<never>((_, reject) => {
        if (signal.aborted) reject(errorFromTransport(undefined, 'token request', signal));
        signal.addEventListener(
          'abort',
          () => reject(errorFromTransport(undefined, 'token request', signal)),
          {
            once: true,
          },
        );
      }),
    ]);
  }
}
