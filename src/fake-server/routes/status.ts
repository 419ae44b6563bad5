import type { Exchange } from '../exchange.js';
import type { JsonReply } from '../reply.js';

const UP = '{"status":"UP"}';

/** `GET /status`: `{"status":"UP"}` (a Bearer token is required, as on every Agent API call). */
export function statusRoute(exchange: Exchange): JsonReply {
  const denied = exchange.authorize();
  if (denied) return denied;
  return exchange.jsonText(200, UP);
}
