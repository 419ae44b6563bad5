import { afterEach, describe, expect, it } from 'vitest';
import {
  OAuthErrorBodySchema,
  TOKEN_PATH,
  TokenResponseSchema,
  apiPaths,
} from '../../src/api/index.js';
import { decodeTokenClaims, type FakeAgentApi } from '../../src/fake-server/index.js';
import { call, checkError, getToken, startApi } from './helpers.js';

function form(fields: Record<string, string>) {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

describe('POST /services/oauth2/token', () => {
  let api: FakeAgentApi;
  afterEach(async () => api?.close());

  it('issues a JWT-shaped token with the documented fields and claims', async () => {
    api = await startApi();
    const before = api.clock.now();
    const r = await call(
      api.url + TOKEN_PATH,
      form({ grant_type: 'client_credentials', client_id: 'abc', client_secret: 'shh' }),
    );
    expect(r.status).toBe(200);
    expect(r.headers.get('x-request-id')).toBeTruthy();
    const body = TokenResponseSchema.parse(r.body);
    expect(body).toMatchObject({
      token_format: 'jwt',
      scope: 'sfap_api chatbot_api api',
      instance_url: api.url,
      api_instance_url: api.url,
      token_type: 'Bearer',
    });
    expect(body.signature).toBeTruthy();
    expect(body.id).toMatch(new RegExp(`^${api.url}/id/00D\\w+/005\\w+$`));
    expect(Number(body.issued_at)).toBeGreaterThanOrEqual(before);
    expect(body.access_token.split('.')).toHaveLength(3);
    const claims = decodeTokenClaims(body.access_token)!;
    expect(claims).toMatchObject({ iss: api.url, scope: 'sfap_api chatbot_api api' });
    expect(typeof claims.sub).toBe('string');
    expect(typeof claims.sfdc_app_id).toBe('string');
    expect(claims.exp as number).toBe((claims.iat as number) + 30 * 60);
  });

  it('answers OAuth errors for a bad grant type and missing fields', async () => {
    api = await startApi();
    const cases: [Record<string, string>, string][] = [
      [{ client_id: 'a', client_secret: 'b' }, 'unsupported_grant_type'],
      [{ grant_type: 'password', client_id: 'a', client_secret: 'b' }, 'unsupported_grant_type'],
      [{ grant_type: 'client_credentials', client_secret: 'b' }, 'invalid_client_id'],
      [{ grant_type: 'client_credentials', client_id: 'a' }, 'invalid_client'],
    ];
    for (const [fields, error] of cases) {
      const r = await call(api.url + TOKEN_PATH, form(fields));
      expect(r.status).toBe(400);
      expect(OAuthErrorBodySchema.parse(r.body).error).toBe(error);
    }
  });

  it('checks configured client credentials', async () => {
    api = await startApi({ clientId: 'the-id', clientSecret: 'the-secret' });
    const wrong = await call(
      api.url + TOKEN_PATH,
      form({ grant_type: 'client_credentials', client_id: 'the-id', client_secret: 'nope' }),
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body).toEqual({
      error: 'invalid_client',
      error_description: 'invalid client credentials',
    });
    const wrongId = await call(
      api.url + TOKEN_PATH,
      form({ grant_type: 'client_credentials', client_id: 'other', client_secret: 'the-secret' }),
    );
    expect(wrongId.status).toBe(400);
    // An unknown consumer key is not a wrong secret (real-api-fidelity row 5).
    expect(wrongId.body).toEqual({
      error: 'invalid_client_id',
      error_description: 'client identifier invalid',
    });
    await getToken(api, 'the-id', 'the-secret');
  });

  it('accepts the fields in the query string too', async () => {
    api = await startApi();
    const r = await call(
      `${api.url}${TOKEN_PATH}?grant_type=client_credentials&client_id=a&client_secret=b`,
      { method: 'POST' },
    );
    expect(r.status).toBe(200);
    expect(api.requests[0]!.query).toEqual({
      grant_type: 'client_credentials',
      client_id: 'a',
      client_secret: '[REDACTED]',
    });
  });

  it('records the request with the secret and the bearer token redacted', async () => {
    api = await startApi();
    const token = await getToken(api, 'abc', 'very-secret');
    await call(api.apiUrl + '/status', { headers: { authorization: `Bearer ${token}` } });
    const [tokenReq, statusReq] = api.requests;
    expect(tokenReq).toMatchObject({
      method: 'POST',
      path: TOKEN_PATH,
      route: 'token',
      status: 200,
    });
    expect(tokenReq!.body).toEqual({
      grant_type: 'client_credentials',
      client_id: 'abc',
      client_secret: '[REDACTED]',
    });
    expect(statusReq!.headers.authorization).toBe('Bearer [REDACTED]');
    expect(JSON.stringify(api.requests)).not.toContain('very-secret');
    expect(JSON.stringify(api.requests)).not.toContain(token);
  });

  it('tokens expire after tokenTtlMs on the emulator clock', async () => {
    api = await startApi({ tokenTtlMs: 60_000 });
    const token = await getToken(api);
    const ok = await call(api.url + apiPaths.status(), {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ status: 'UP' });
    api.clock.advance(60_000);
    const expired = await call(api.url + apiPaths.status(), {
      headers: { authorization: `Bearer ${token}` },
    });
    checkError(expired, 401, 'UnauthorizedException', 'Access bearer token is missing or invalid');
    // A fresh token works again.
    const fresh = await getToken(api);
    const again = await call(api.url + apiPaths.status(), {
      headers: { authorization: `Bearer ${fresh}` },
    });
    expect(again.status).toBe(200);
  });
});
