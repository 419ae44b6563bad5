import { AGENT_TYPE_NAMES, type EmulatorAgent } from '../agent-registry.js';
import type { Exchange } from '../exchange.js';
import type { JsonReply } from '../reply.js';

/**
 * `GET /services/data/v{version}/query?q=…`: the REST API's SOQL endpoint, for the one query a
 * client needs: an agent (BotDefinition) by API name or id,
 * `SELECT Id, DeveloperName FROM BotDefinition WHERE DeveloperName = 'Customer_Support'`.
 * Errors use the REST API's body, a list of `{message, errorCode}`.
 */

const FIELDS: Readonly<Record<string, (a: EmulatorAgent) => string>> = {
  id: (a) => a.id,
  developername: (a) => a.developerName,
  masterlabel: (a) => a.label ?? a.developerName,
  agenttype: (a) => AGENT_TYPE_NAMES[a.type],
};
const FIELD_NAMES: Readonly<Record<string, string>> = {
  id: 'Id',
  developername: 'DeveloperName',
  masterlabel: 'MasterLabel',
  agenttype: 'AgentType',
};

const QUERY =
  /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)\s+WHERE\s+(\w+)\s*=\s*'((?:[^'\\]|\\.)*)'\s*(?:LIMIT\s+\d+\s*)?$/i;

function restError(
  exchange: Exchange,
  status: number,
  errorCode: string,
  message: string,
): JsonReply {
  return exchange.json(status, [{ message, errorCode }]);
}

/** The SOQL query route. */
export function queryRoute(exchange: Exchange, query: Readonly<Record<string, string>>): JsonReply {
  const { state } = exchange;
  if (state.options.requireAuth) {
    const check = state.tokens.check(exchange.req.headers.authorization, exchange.now());
    if (check !== 'ok' && check !== 'opaque') {
      return restError(exchange, 401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    }
    if (!state.options.scope.split(/\s+/).includes('api')) {
      return restError(
        exchange,
        403,
        'INVALID_SESSION_ID',
        'This session is not valid for use with the REST API',
      );
    }
  }
  const q = query.q;
  if (q === undefined || q.trim() === '') {
    return restError(exchange, 400, 'MALFORMED_QUERY', 'A query string has to be specified');
  }
  const m = QUERY.exec(q);
  if (!m) return restError(exchange, 400, 'MALFORMED_QUERY', `unexpected query: ${q}`);
  const [, fieldList = '', object = '', where = '', rawValue = ''] = m;
  if (object.toLowerCase() !== 'botdefinition') {
    return restError(exchange, 400, 'INVALID_TYPE', `sObject type '${object}' is not supported.`);
  }
  const fields = fieldList.split(',').map((f) => f.trim().toLowerCase());
  const unknownField = fields.find((f) => FIELDS[f] === undefined);
  if (unknownField !== undefined) {
    return restError(
      exchange,
      400,
      'INVALID_FIELD',
      `No such column '${unknownField}' on entity 'BotDefinition'.`,
    );
  }
  const value = rawValue.replace(/\\(.)/g, '$1');
  const key = where.toLowerCase();
  let agent: EmulatorAgent | undefined;
  if (key === 'developername') agent = state.agents.findByName(value);
  else if (key === 'id')
    agent = state.agents.list().find((a) => a.id.slice(0, 15) === value.slice(0, 15));
  else
    return restError(
      exchange,
      400,
      'INVALID_FIELD',
      `No such column '${where}' on entity 'BotDefinition'.`,
    );
  const version = /\/v(\d+\.\d+)\//.exec(exchange.pathname)?.[1] ?? '62.0';
  const records =
    agent === undefined
      ? []
      : [
          {
            attributes: {
              type: 'BotDefinition',
              url: `/services/data/v${version}/sobjects/BotDefinition/${agent.id}`,
            },
            ...Object.fromEntries(fields.map((f) => [FIELD_NAMES[f], FIELDS[f]!(agent)])),
          },
        ];
  return exchange.json(200, { totalSize: records.length, done: true, records });
}
