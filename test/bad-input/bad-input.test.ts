/**
 * Every row of the bad-input table (docs/errors.md, `## Bad input`): the call gets its typed
 * error, and nothing changed: no request reached the emulator, the session's state and snapshot
 * are as they were, no session was made or restored. CLI rows run the built CLI as a process.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAgentApi, type FakeAgentApi } from '../../src/fake-server/index.js';
import { isAgentforceError } from '../../src/index.js';
import { cleanEnv, ensureBuilt, runCli, tempDir } from '../cli/helpers.js';
import {
  CASES,
  startHarness,
  type CliCase,
  type Harness,
  type LibraryCase,
  type Row,
} from './cases.js';

const DOC = fileURLToPath(new URL('../../docs/errors.md', import.meta.url));

/** The rows of the markdown table under `## Bad input`, as trimmed cells. */
function documentedRows(): string[][] {
  const text = readFileSync(DOC, 'utf8');
  const start = text.indexOf('\n## Bad input');
  expect(start, 'docs/errors.md has a "## Bad input" section').toBeGreaterThan(0);
  const rest = text.slice(start + 1);
  const end = rest.indexOf('\n## ', 1);
  const section = end < 0 ? rest : rest.slice(0, end);
  const rows = section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim().replace(/\\\|/g, '|')),
    );
  return rows.slice(2); // header and separator
}

const cells = (r: Row) => [r.entry, r.bad, r.error, r.unchanged];

describe('the bad-input table', () => {
  it('docs/errors.md lists exactly the rows tested here', () => {
    expect(documentedRows()).toEqual(CASES.map(cells));
  });

  it('has one row per entry point and bad value', () => {
    const keys = CASES.map((c) => `${c.entry} ${c.bad}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('bad input to the library changes nothing', () => {
  let harness: Harness;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ harness, close } = await startHarness());
  });
  afterAll(async () => close?.());

  const library = CASES.filter((c): c is LibraryCase => c.kind === 'library');
  it.each(library.map((c) => [`${c.entry} ← ${c.bad}`, c] as const))('%s', async (_name, c) => {
    const subject = c.setup ? await c.setup(harness) : {};
    const session = subject.session;
    const before = {
      requests: harness.api.requests.length,
      state: session?.state,
      snapshot: session ? JSON.stringify(session.snapshot()) : undefined,
      open: subject.client?.openSessions,
    };
    let error: unknown;
    let returned: unknown;
    try {
      returned = await c.act(harness, subject);
    } catch (err) {
      error = err;
    }
    expect(returned, 'the call must fail').toBeUndefined();
    expect(error).toBeInstanceOf(Error);
    const e = error as Error & { code?: string };
    expect(e.name, e.message).toBe(c.expect.name);
    if (c.expect.code !== undefined) {
      expect(isAgentforceError(error)).toBe(true);
      expect(e.code).toBe(c.expect.code);
    }
    expect(e.message.length).toBeGreaterThan(10);
    // Let anything the call may have set off run before looking.
    await new Promise((r) => setTimeout(r, 30));
    expect(harness.api.requests.length, 'no request reached the emulator').toBe(before.requests);
    if (session) {
      expect(session.state).toBe(before.state);
      expect(JSON.stringify(session.snapshot())).toBe(before.snapshot);
    }
    if (subject.client) expect(subject.client.openSessions).toBe(before.open);
    if (subject.inFlight) await expect(subject.inFlight).resolves.toMatchObject({ sequenceId: 1 });
  });
});

describe('bad CLI flags change nothing', () => {
  let api: FakeAgentApi;
  let home: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    ensureBuilt();
    api = await startFakeAgentApi({ anyAgentId: true, streamChunkDelayMs: 0 });
    home = tempDir('afs-bad-input-');
  }, 180_000);
  afterAll(async () => {
    await api?.close();
    home?.cleanup();
  });

  const cli = CASES.filter((c): c is CliCase => c.kind === 'cli');
  it('every flag row exits with its code, names the flag, and starts nothing', async () => {
    // A few processes at a time: dozens of Node start-ups at once starve a small machine.
    const results: { c: CliCase; r: Awaited<ReturnType<typeof runCli>> }[] = [];
    const queue = [...cli];
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const args = c.args.map((a) => (a === '{url}' ? api.url : a));
        results.push({
          c,
          r: await runCli(args, { env: cleanEnv(home.dir), input: 'hello\n', timeoutMs: 60_000 }),
        });
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    for (const { c, r } of results) {
      const what = `${c.entry} ${c.bad}: exit ${String(r.code)}\n${r.stderr}`;
      expect(r.code, what).toBe(c.exit);
      expect(r.stderr, what).toContain(c.stderr);
      expect(r.stdout, what).not.toMatch(/listening on/);
      expect(r.stdout.trim(), what).toBe('');
    }
    expect(api.requests, 'no request reached the emulator').toEqual([]);
  }, 240_000);
});
