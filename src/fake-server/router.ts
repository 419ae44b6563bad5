import { AGENT_API_PREFIX, TOKEN_PATH } from '../api/index.js';
import type { EmulatorRoute } from './fault-types.js';

/** Maps a request's method and path to an emulator route. */

/** Prefix of the emulator's control API (not part of the Agent API). */
export const CONTROL_PREFIX = '/__emulator/';

/** A matched request. */
export interface RouteMatch {
  /** The route, or `unknown` for a path or method the emulator does not serve. */
  readonly route: EmulatorRoute | 'unknown';
  /** The session id from the path (decoded). */
  readonly sessionId?: string;
  /** The agent id from the path (decoded). */
  readonly agentId?: string;
  /** For a known path with the wrong method: the methods it accepts (the reply is 405). */
  readonly allow?: string;
  /** Whether the path is under the Agent API prefix (errors use the `Error` body then). */
  readonly api: boolean;
}

const UNKNOWN_API: RouteMatch = { route: 'unknown', api: true };
const UNKNOWN_OTHER: RouteMatch = { route: 'unknown', api: false };

function decode(segment: string): string | undefined {
  try {
    const s = decodeURIComponent(segment);
    return s === '' ? undefined : s;
  } catch {
    return undefined;
  }
}

function pick(method: string, want: string, match: RouteMatch): RouteMatch {
  return method === want ? match : { route: 'unknown', api: match.api, allow: want };
}

/** Matches `method` and `pathname` (without query string). */
export function matchRoute(method: string, pathname: string): RouteMatch {
  if (pathname === TOKEN_PATH) return pick(method, 'POST', { route: 'token', api: false });
  if (/^\/services\/data\/v\d+\.\d+\/query\/?$/.test(pathname))
    return pick(method, 'GET', { route: 'query', api: false });
  if (!pathname.startsWith(AGENT_API_PREFIX + '/')) return UNKNOWN_OTHER;
  const rest = pathname.slice(AGENT_API_PREFIX.length + 1);
  const parts = rest.split('/');
  const [a, b, c, d] = parts;
  if (parts.length === 1 && a === 'status')
    return pick(method, 'GET', { route: 'status', api: true });
  if (a === 'agents' && parts.length === 3 && c === 'sessions' && b !== undefined) {
    const agentId = decode(b);
    if (agentId === undefined) return UNKNOWN_API;
    return pick(method, 'POST', { route: 'start', agentId, api: true });
  }
  if (a === 'sessions' && b !== undefined) {
    const sessionId = decode(b);
    if (sessionId === undefined) return UNKNOWN_API;
    if (parts.length === 2) return pick(method, 'DELETE', { route: 'end', sessionId, api: true });
    if (parts.length === 3 && c === 'messages') {
      return pick(method, 'POST', { route: 'send', sessionId, api: true });
    }
    if (parts.length === 4 && c === 'messages' && d === 'stream') {
      return pick(method, 'POST', { route: 'stream', sessionId, api: true });
    }
    if (parts.length === 3 && c === 'feedback') {
      return pick(method, 'POST', { route: 'feedback', sessionId, api: true });
    }
  }
  return UNKNOWN_API;
}
