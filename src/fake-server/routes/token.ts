import { TokenRequestSchema } from '../../api/index.js';
import { mediaType } from '../body.js';
import { oauthErrorBody } from '../errors.js';
import type { Exchange } from '../exchange.js';
import type { JsonReply } from '../reply.js';

/**
 * `POST /services/oauth2/token`, client-credentials flow. Fields come from the form body
 * (`application/x-www-form-urlencoded`) and the query string, as Salesforce accepts both.
 */
export function tokenRoute(exchange: Exchange, query: Readonly<Record<string, string>>): JsonReply {
  const form =
    mediaType(exchange.req.headers['content-type']) === 'application/x-www-form-urlencoded' &&
    typeof exchange.body === 'object' &&
    exchange.body !== null
      ? (exchange.body as Record<string, string>)
      : {};
  const fields = { ...query, ...form };
  const headers = { 'cache-control': 'no-store' };
  const fail = (error: string, description: string) =>
    exchange.json(400, oauthErrorBody(error, description), headers);
  const parsed = TokenRequestSchema.safeParse(fields);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path[0];
    if (field === 'grant_type') return fail('unsupported_grant_type', 'grant type not supported');
    if (field === 'client_id') return fail('invalid_client_id', 'client identifier invalid');
    return fail('invalid_client', 'invalid client credentials');
  }
  const { clientId, clientSecret } = exchange.state.options;
  // An unknown consumer key and a wrong secret are told apart, as Salesforce does.
  if (clientId !== undefined && parsed.data.client_id !== clientId) {
    return fail('invalid_client_id', 'client identifier invalid');
  }
  if (clientSecret !== undefined && parsed.data.client_secret !== clientSecret) {
    return fail('invalid_client', 'invalid client credentials');
  }
  return exchange.json(
    200,
    exchange.state.tokens.issue(parsed.data.client_id, exchange.now()),
    headers,
  );
}
