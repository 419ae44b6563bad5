/**
 * Agents by API name: `client.session({ agentName })` finds the agent's id with the REST API's
 * SOQL query on the org's BotDefinition, once per client and name.
 */
import { isAgentId, queryPath } from './api/index.js';
import { HINTS } from './error-hints.js';
import { NotFoundError, withHint } from './errors.js';
import { apiRequest, type ApiContext } from './http/request.js';

/** An agent as its BotDefinition describes it. */
export interface AgentRecord {
  /** The BotDefinition id, `0Xx…`. */
  id: string;
  /** The API name. */
  developerName: string;
  /** `AgentType`, e.g. `EinsteinServiceAgent` or `AgentforceEmployeeAgent`, when the org says. */
  agentType: string | undefined;
}

/** The SOQL query of an agent by API name (the name is checked, so it cannot break the quotes). */
export function agentQuery(name: string): string {
  return `SELECT Id, DeveloperName, AgentType FROM BotDefinition WHERE DeveloperName = '${name}'`;
}

/** Finds agents by API name for one client, each name once (a failed lookup is tried again). */
export class AgentDirectory {
  readonly #found = new Map<string, Promise<AgentRecord>>();

  constructor(
    private readonly ctx: ApiContext,
    private readonly myDomainUrl: string,
  ) {}

  /** The agent id of an agent id or API name. */
  async agentId(agent: string, signal?: AbortSignal): Promise<string> {
    return isAgentId(agent) ? agent : (await this.find(agent, signal)).id;
  }

  /**
   * The agent with this API name. Rejects with a {@link NotFoundError} when the org has none, a
   * {@link PermissionDeniedError} when the token may not use the REST API (no `api` scope), or the
   * typed error of the request.
   */
  find(name: string, signal?: AbortSignal): Promise<AgentRecord> {
    let found = this.#found.get(name);
    if (!found) {
      found = this.#query(name, signal);
      this.#found.set(name, found);
      found.catch(() => this.#found.delete(name));
    }
    return found;
  }

  async #query(name: string, signal?: AbortSignal): Promise<AgentRecord> {
    const res = await apiRequest(this.ctx, {
      method: 'GET',
      baseUrl: this.myDomainUrl,
      path: `${queryPath()}?q=${encodeURIComponent(agentQuery(name))}`,
      what: 'agent lookup',
      signal,
      repeatability: 'idempotent',
    });
    const records = (res.data as { records?: unknown } | null)?.records;
    const record = Array.isArray(records) ? (records[0] as Record<string, unknown>) : undefined;
    const id = record?.['Id'];
    if (!isAgentId(id)) {
      const hint = HINTS.agentName;
      throw new NotFoundError(withHint(`agent lookup: no agent named ${name} in this org`, hint), {
        hint,
      });
    }
    const agentType = record?.['AgentType'];
    return {
      id,
      developerName: typeof record?.['DeveloperName'] === 'string' ? record['DeveloperName'] : name,
      agentType: typeof agentType === 'string' ? agentType : undefined,
    };
  }
}
