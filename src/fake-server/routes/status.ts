import type { Exchange } from '../exchange.js';
import type { JsonReply } from '../reply.js';

const UP = '{"status":"UP"}';

/** `GET /status`: `{"status":"UP"}` (a Bearer token is required, as on every Agent API call). */
export function statusRoute(x: Exchange): JsonReply {
  const denied = x.authorize();
  if (denied) return denied;
  return x.jsonText(200, UP);
}
