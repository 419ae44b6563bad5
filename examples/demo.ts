/**
 * `npm start`: a short conversation with the embedded emulator, through the library. No
 * credentials, no network. Shows each state change, the agent's replies, a question answered, a
 * session expiry recovered without losing the message, and the end.
 */
import { AgentforceClient, clientCredentials, type Turn } from '../src/index.js';
import { EMULATOR_SERVICE_AGENT_ID, startFakeAgentApi } from '../src/fake-server/index.js';

/** The emulator's default Service agent. */
const AGENT_ID = EMULATOR_SERVICE_AGENT_ID;

function show(who: string, turn: Turn): void {
  for (const m of turn.messages) {
    const text = typeof m['message'] === 'string' ? m['message'] : '';
    console.log(`  ${who} [${m.type}] ${text}`);
    const result = m['result'];
    if (Array.isArray(result) && result.length > 0)
      console.log(`      action result: ${JSON.stringify(result[0])}`);
  }
}

async function main(): Promise<void> {
  const api = await startFakeAgentApi({ clientId: 'demo-client', clientSecret: 'demo-secret' });
  const client = new AgentforceClient({
    myDomainUrl: api.url,
    auth: clientCredentials({ clientId: 'demo-client', clientSecret: 'demo-secret' }),
  });
  try {
    const session = client.session({ agentId: AGENT_ID });
    session.on('state', (e) => console.log(`· state → ${e.state}`));
    session.on('session.expired', (e) =>
      console.log(`! session ${e.sessionId} expired on the server`),
    );
    session.on('session.restarted', (e) =>
      console.log(`! new session ${e.sessionId} started; the message is sent again`),
    );

    console.log(`emulator at ${api.url}\n`);
    show('agent', await session.start());

    const ask = 'Where is my order?';
    console.log(`\n  you: ${ask}`);
    const question = await session.send(ask);
    show('agent', question);

    if (question.question) {
      const answer = 'It is order 00012345';
      console.log(`\n  you (answering the question): ${answer}`);
      show('agent', await session.send(answer, { inReplyToMessageId: question.question.id }));
    }

    console.log(`\n(the emulator now expires session ${session.sessionId})`);
    api.expireSession(session.sessionId ?? '');
    const next = 'What is your return policy?';
    console.log(`\n  you: ${next}`);
    show('agent', await session.send(next));

    const outcome = await session.end();
    console.log(`\nclosed: ${JSON.stringify(outcome)}`);
  } finally {
    client.close();
    await api.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
