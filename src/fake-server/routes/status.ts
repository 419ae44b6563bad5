import type { Exchange, JsonReply } from '../exchange.js';

const UP = '{"status":"UP"}';

/** `GET /status`: `{"status":"UP"}` (a Bearer token is required, as on every Agent API call). */
export function statusRoute(x: Exchange): JsonReply {
  const denied = x.authorize();
  if (denied) return denied;
  return x.jsonText(200, UP);
}
