/**
 * The URLs the library and the CLI accept for the My Domain and the Agent API host, the loopback
 * rule, and the host a URL names (for messages).
 */

/** A URL parsed, or `undefined` where it is not one (`URL.parse` of newer Node versions). */
export function parseUrl(value: string, base?: string): URL | undefined {
  try {
    return new URL(value, base);
  } catch {
    return undefined;
  }
}

/**
 * Whether a URL's `hostname` is this machine: `localhost`, an IPv4 address in 127.0.0.0/8, or
 * `[::1]`. A name that only starts with `127.` (`127.example.com`) is not.
 */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/** A URL that passed {@link parseApiUrl}. */
export interface ApiUrl {
  /** The URL as given, without a trailing slash. */
  url: string;
  /** Whether its host is this machine (then plain http is allowed). */
  loopback: boolean;
}

/** Why a URL was refused by {@link parseApiUrl}. */
export interface ApiUrlProblem {
  /** What is wrong, to follow the option's name: `must use https (…)`. */
  problem: string;
  /** Whether the value may be shown with the message (not when it carries a password). */
  showValue: boolean;
}

/**
 * Checks a My Domain or Agent API URL: absolute, no credentials in it, https, or http on loopback
 * only. The credentials are checked first, so that no message echoes a URL that carries a password.
 */
export function parseApiUrl(value: unknown): ApiUrl | ApiUrlProblem {
  if (typeof value !== 'string' || value.trim() === '')
    return { problem: 'must be a URL', showValue: true };
  const url = parseUrl(value);
  if (url === undefined) return { problem: 'must be an absolute URL', showValue: true };
  if (url.username !== '' || url.password !== '')
    return { problem: 'must not carry credentials', showValue: false };
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    return { problem: 'must use https (http is allowed on loopback only)', showValue: true };
  }
  return { url: value.replace(/\/+$/, ''), loopback };
}
