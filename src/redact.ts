/**
 * Redaction of secrets from any value on its way out of the process (an inspector, a log, a
 * trace): secret-named keys, bearer tokens, JWTs, Salesforce access tokens, `client_secret=`-style
 * parameters and any string you name are replaced by {@link REDACTED}. See docs/inspect.md.
 */
import type { ActorRefLike } from 'xstate';

/** What a redacted value is replaced with. */
export const REDACTED = '[redacted]';

/** Options of the sanitizers. */
export interface SanitizeOptions {
  /**
   * Exact strings that must never appear (a client secret, a token you hold): every occurrence,
   * anywhere in a string, is replaced. Strings shorter than 4 characters are ignored.
   */
  secrets?: readonly string[] | undefined;
  /** Nesting depth kept; deeper values become `'[depth limit]'`. @default 24 */
  maxDepth?: number | undefined;
}

/**
 * Key names whose value is a secret, compared lower-case without `-` and `_`: `authorization`,
 * `client_secret`, `access_token`, `refresh_token`, `id_token`, `password`, `api_key`, cookies...
 */
const SECRET_KEYS: ReadonlySet<string> = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'clientsecret',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'bearertoken',
  'token',
  'password',
  'passwd',
  'secret',
  'apikey',
  'xapikey',
  'privatekey',
  'assertion',
]);

/** Patterns of secrets inside any string. */
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  // `Authorization: Bearer <token>` and the like.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=!-]+/gi, `$1 ${REDACTED}`],
  // A JWT: three base64url parts, the first starting with `{"` encoded.
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // A Salesforce session id / access token: org id, `!`, opaque part.
  [/\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._-]{16,}/g, REDACTED],
  // Secrets as URL query or form parameters, or as JSON-ish `"key": "value"` text.
  [
    /\b(access_token|refresh_token|id_token|client_secret|password|assertion)=[^&\s"']+/gi,
    `$1=${REDACTED}`,
  ],
  [
    /("(?:access_token|refresh_token|id_token|client_secret|clientSecret|accessToken|authorization|password)"\s*:\s*)"[^"]*"/gi,
    `$1"${REDACTED}"`,
  ],
];

/** Whether a key names a secret (`authorization`, `client_secret`, `accessToken`, ...). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));
}

/** Redacts the secrets inside one string (see {@link redactSecrets}). */
export function redactString(text: string, options: SanitizeOptions = {}): string {
  let out = text;
  for (const secret of options.secrets ?? []) {
    if (typeof secret === 'string' && secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

function isActorRefLike(value: object): value is ActorRefLike & { id?: unknown } {
  const v = value as { sessionId?: unknown; send?: unknown; getSnapshot?: unknown };
  return (
    typeof v.sessionId === 'string' &&
    typeof v.send === 'function' &&
    typeof v.getSnapshot === 'function'
  );
}

function isStateNode(value: object): value is { id: string } {
  const v = value as { id?: unknown; machine?: unknown; path?: unknown };
  return typeof v.id === 'string' && typeof v.machine === 'object' && Array.isArray(v.path);
}

/**
 * A deep, JSON-safe copy of `value` with every secret redacted: values of secret-named keys,
 * bearer tokens, JWTs, Salesforce access tokens and secret parameters inside strings, and the
 * strings listed in `options.secrets`. Errors become `{ name, message, code? }`, actor refs
 * `{ actor: id }`, state nodes `'#id'`, functions `'[function name]'`, cycles `'[circular]'`.
 */
export function redactSecrets(value: unknown, options: SanitizeOptions = {}): unknown {
  const maxDepth = options.maxDepth ?? 24;
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    switch (typeof v) {
      case 'string':
        return redactString(v, options);
      case 'number':
        return Number.isFinite(v) ? v : String(v);
      case 'boolean':
        return v;
      case 'bigint':
        return v.toString();
      case 'function':
        return `[function ${v.name || 'anonymous'}]`;
      case 'undefined':
      case 'symbol':
        return undefined;
      default:
        break;
    }
    if (v === null) return null;
    const obj = v as object;
    if (depth >= maxDepth) return '[depth limit]';
    if (seen.has(obj)) return '[circular]';
    if (isActorRefLike(obj)) {
      return { actor: typeof obj.id === 'string' ? obj.id : obj.sessionId };
    }
    if (isStateNode(obj)) return `#${obj.id}`;
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
    seen.add(obj);
    try {
      if (obj instanceof Error) {
        const e = obj as Error & { code?: unknown; status?: unknown };
        const out: Record<string, unknown> = {
          name: e.name,
          message: redactString(e.message, options),
        };
        if (typeof e.code === 'string') out['code'] = e.code;
        if (typeof e.status === 'number') out['status'] = e.status;
        return out;
      }
      if (Array.isArray(obj)) return obj.map((item) => walk(item, depth + 1) ?? null);
      if (obj instanceof Map) {
        return walk(Object.fromEntries([...obj.entries()].map(([k, x]) => [String(k), x])), depth);
      }
      if (obj instanceof Set) return walk([...obj.values()], depth);
      const toJSON = (obj as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') {
        let json: unknown;
        try {
          json = (toJSON as () => unknown).call(obj);
        } catch {
          json = '[unserializable]';
        }
        if (json !== obj) return walk(json, depth + 1);
      }
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(obj)) {
        if (isSecretKey(key)) {
          if (item !== undefined && item !== null && item !== '') out[key] = REDACTED;
          else out[key] = item;
          continue;
        }
        const copy = walk(item, depth + 1);
        if (copy !== undefined) out[redactString(key, options)] = copy;
      }
      return out;
    } finally {
      seen.delete(obj);
    }
  };
  return walk(value, 0);
}
