import { isAgentId } from '../api/index.js';

/**
 * The agents an emulated org knows, as the real API tells them apart: a well-formed id of no
 * agent, an inactive agent, an Employee agent (which refuses `bypassUser: true`) and an agent the
 * connected app is not attached to each fail the way Salesforce fails.
 */

/** An agent of the emulated org (a BotDefinition). */
export interface EmulatorAgent {
  /** The BotDefinition id, `0Xx…`, 15 or 18 characters. */
  readonly id: string;
  /** The API name (`DeveloperName`), e.g. `Customer_Support`. */
  readonly developerName: string;
  /** The label shown in Setup; default the API name with spaces for underscores. */
  readonly label?: string | undefined;
  /** `service` (runs as the agent's user) or `employee` (runs as the token's user). */
  readonly type: 'service' | 'employee';
  /** Whether the agent has an active version; starting an inactive one gets 422. */
  readonly active: boolean;
  /**
   * Whether the connected app is attached to the agent (an API connection); when false, starting
   * a session gets 401 "Connected app is not attached to Agent". Default true.
   */
  readonly connected?: boolean | undefined;
}

/** `AgentType` of a BotDefinition for each agent type, as SOQL returns it. */
export const AGENT_TYPE_NAMES = {
  service: 'EinsteinServiceAgent',
  employee: 'AgentforceEmployeeAgent',
} as const;

/** The id of the default active Service agent (the CLI's embedded emulator talks to it). */
export const EMULATOR_SERVICE_AGENT_ID = '0XxEMULATOR0000001';
/** The id of the default active Employee agent. */
export const EMULATOR_EMPLOYEE_AGENT_ID = '0XxEMPLOYEE0000002';
/** The id of the default inactive agent. */
export const EMULATOR_INACTIVE_AGENT_ID = '0XxINACTIVE0000003';
/** The id of the default agent the connected app is not attached to. */
export const EMULATOR_UNATTACHED_AGENT_ID = '0XxUNATTACHED00004';

/** The agents every emulator knows (options add more). */
export const DEFAULT_EMULATOR_AGENTS: readonly EmulatorAgent[] = [
  {
    id: EMULATOR_SERVICE_AGENT_ID,
    developerName: 'Customer_Support',
    label: 'Customer Support',
    type: 'service',
    active: true,
  },
  {
    id: EMULATOR_EMPLOYEE_AGENT_ID,
    developerName: 'Employee_Helper',
    label: 'Employee Helper',
    type: 'employee',
    active: true,
  },
  {
    id: EMULATOR_INACTIVE_AGENT_ID,
    developerName: 'Retired_Agent',
    label: 'Retired Agent',
    type: 'service',
    active: false,
  },
  {
    id: EMULATOR_UNATTACHED_AGENT_ID,
    developerName: 'Unconnected_Agent',
    label: 'Unconnected Agent',
    type: 'service',
    active: true,
    connected: false,
  },
];

/** The 15-character form of an agent id (ids compare on it: the 18-character form adds a checksum). */
function shortId(id: string): string {
  return id.slice(0, 15);
}

/** Checks one agent given as an option. @throws TypeError naming what is wrong. */
export function checkEmulatorAgent(value: unknown, where: string): EmulatorAgent {
  const a = value as Partial<EmulatorAgent> | null;
  const fail = (what: string): never => {
    throw new TypeError(`startFakeAgentApi: ${where} ${what}`);
  };
  if (typeof a !== 'object' || a === null) return fail('must be an object');
  if (!isAgentId(a.id)) fail('needs an id of 15 or 18 characters starting with 0Xx');
  if (typeof a.developerName !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*$/.test(a.developerName))
    fail('needs a developerName (letters, digits and underscores)');
  if (a.type !== 'service' && a.type !== 'employee') fail("needs type 'service' or 'employee'");
  if (typeof a.active !== 'boolean') fail('needs active: true or false');
  if (a.connected !== undefined && typeof a.connected !== 'boolean')
    fail('connected must be a boolean');
  return {
    id: a.id!,
    developerName: a.developerName!,
    label: typeof a.label === 'string' ? a.label : a.developerName!.replace(/_/g, ' '),
    type: a.type!,
    active: a.active!,
    ...(a.connected !== undefined && { connected: a.connected }),
  };
}

/** The agents of one emulator. */
export class AgentRegistry {
  readonly #byId = new Map<string, EmulatorAgent>();

  /**
   * @param agents - the agents (later ones replace earlier ones with the same id).
   * @param anyAgentId - when true, a well-formed id of no agent is an active Service agent.
   */
  constructor(
    agents: readonly EmulatorAgent[],
    private readonly anyAgentId: boolean,
  ) {
    for (const a of agents) {
      this.#byId.set(shortId(a.id), { ...a, label: a.label ?? a.developerName.replace(/_/g, ' ') });
    }
  }

  /** The agent with this id (15 or 18 characters), if the org has one. */
  find(id: string): EmulatorAgent | undefined {
    const known = this.#byId.get(shortId(id));
    if (known !== undefined || !this.anyAgentId) return known;
    return { id, developerName: 'Any_Agent', label: 'Any Agent', type: 'service', active: true };
  }

  /** The agent with this API name (case-insensitive, as SOQL compares). */
  findByName(developerName: string): EmulatorAgent | undefined {
    const want = developerName.toLowerCase();
    for (const a of this.#byId.values()) if (a.developerName.toLowerCase() === want) return a;
    return undefined;
  }

  /** Every agent, in the order given. */
  list(): EmulatorAgent[] {
    return [...this.#byId.values()];
  }
}
