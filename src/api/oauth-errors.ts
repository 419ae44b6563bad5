/**
 * The token endpoint's OAuth error replies (`{ error, error_description }`), told apart by what
 * fixes each: the library turns a kind into a typed error with a hint, `doctor` into a diagnosis.
 */

/** An OAuth error of the token endpoint, by its fix. */
export type OAuthErrorKind =
  | 'rate-limited'
  | 'invalid-client-id'
  | 'invalid-client'
  | 'no-run-as-user'
  | 'max-logins'
  | 'invalid-grant'
  | 'unsupported-grant'
  | 'other';

function field(body: unknown, name: string): string | undefined {
  const value = (body as Record<string, unknown> | null | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * The kind of a token endpoint's error reply: a 429 or a "rate exceeded" description is
 * `rate-limited` whatever the body; otherwise `undefined` when the body is no OAuth error (a page,
 * an empty body), `other` for an OAuth error without a fix of its own.
 */
export function oauthErrorKind(status: number, body: unknown): OAuthErrorKind | undefined {
  const error = field(body, 'error');
  const description = field(body, 'error_description') ?? '';
  if (status === 429 || /rate exceeded/i.test(`${error ?? ''} ${description}`)) {
    return 'rate-limited';
  }
  switch (error) {
    case undefined:
      return undefined;
    case 'invalid_client_id':
      return 'invalid-client-id';
    case 'invalid_client':
      return 'invalid-client';
    case 'unsupported_grant_type':
      return 'unsupported-grant';
    case 'invalid_grant':
      if (/no client credentials user/i.test(description)) return 'no-run-as-user';
      if (/maximum logins/i.test(description)) return 'max-logins';
      return 'invalid-grant';
    default:
      return 'other';
  }
}
