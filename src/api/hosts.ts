/**
 * The Agent API host of an org, told from its My Domain URL when the token endpoint does not say
 * (a token passed in as is has no `api_instance_url`).
 */
import { parseUrl } from './urls.js';

/** The Agent API host of production orgs. */
export const PRODUCTION_API_BASE = 'https://api.salesforce.com';
/** The Agent API host of sandboxes and scratch orgs (their tokens name it in `api_instance_url`). */
export const SANDBOX_API_BASE = 'https://test.api.salesforce.com';

/**
 * The Agent API host for a My Domain URL, where the URL leaves no doubt: a sandbox
 * (`*.sandbox.my.salesforce.com`) or scratch org (`*.scratch.my.salesforce.com`) uses
 * `test.api.salesforce.com`, any other `*.my.salesforce.com` org `api.salesforce.com`. Undefined
 * for any other host (Government Cloud, a custom domain, a local server): then only `apiBaseUrl`
 * can say.
 */
export function apiBaseForMyDomain(myDomainUrl: string): string | undefined {
  const host = parseUrl(myDomainUrl)?.hostname;
  if (host === undefined || !host.endsWith('.my.salesforce.com')) return undefined;
  return /\.(sandbox|scratch)\.my\.salesforce\.com$/.test(host)
    ? SANDBOX_API_BASE
    : PRODUCTION_API_BASE;
}
