/**
 * The demo (`npm start`) and the README's example questions reach the emulator's scripted
 * replies they are meant to show, not its echo of anything it does not recognise.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';
import { harness } from '../client/helpers.js';

describe('the demo and the README examples', { timeout: 60_000 }, () => {
  it('npm start runs the demo to its end, and its return policy question gets the policy', () => {
    const tsx = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const r = spawnSync(process.execPath, [tsx, join(ROOT, 'examples', 'demo.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 50_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/agent \[Inform\] You can return any item within 30 days/);
    expect(r.stdout).toMatch(/^closed: \{"reason":"ended"/m);
  });

  it("the README's streamed question gets the cited policy", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const question = /session\.stream\('([^']+)'\)/.exec(readme)?.[1];
    expect(question).toBeDefined();
    const { session } = await harness({ emulator: { streamChunkDelayMs: 0 } });
    await session.start();
    const turn = await session.stream(question!).turn;
    expect(turn.messages[0]?.['citedReferences']).toHaveLength(1);
    await session.end();
  });
});
