/**
 * The table of diagnoses in docs/real-org.md against the code, both ways: every diagnosis doctor
 * can make has a row, every row is a diagnosis doctor makes, and each row says what doctor prints.
 * Each diagnosis is also exercised by a case of doctor.test.ts (or, where the emulator cannot pose
 * as it, by a check below).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIAGNOSES, STEP_TITLES } from '../../src/cli/commands/doctor-diagnoses.js';
import { checkApiHost } from '../../src/cli/commands/doctor-checks.js';
import { ROOT } from './helpers.js';

const doc = readFileSync(join(ROOT, 'docs', 'real-org.md'), 'utf8');

/** The rows of the table under "Every diagnosis", as cells with Markdown escapes undone. */
function tableRows(): string[][] {
  const section = doc.slice(doc.indexOf('## Every diagnosis'));
  const lines = section.split('\n');
  const start = lines.findIndex((l) => l.startsWith('| id '));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replace(/\\([|*_])/g, '$1'));
    rows.push(cells);
  }
  return rows;
}

describe('the diagnosis table of docs/real-org.md', () => {
  const rows = tableRows();
  const ids = rows.map((r) => r[0]!.replace(/^`|`$/g, ''));

  it('has a row for every diagnosis in the code, and no other', () => {
    expect(rows.length).toBeGreaterThan(20);
    expect([...ids].sort()).toEqual(Object.keys(DIAGNOSES).sort());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('says in each row what doctor prints for it', () => {
    for (const [i, id] of ids.entries()) {
      const d = DIAGNOSES[id as keyof typeof DIAGNOSES];
      expect(rows[i], id).toEqual([
        `\`${id}\``,
        STEP_TITLES[d.step],
        d.symptom,
        d.cause,
        d.fix,
        String(d.exitCode),
      ]);
    }
  });

  it('has each diagnosis exercised against the emulator (or below)', () => {
    const cases = readFileSync(join(ROOT, 'test', 'cli', 'doctor.test.ts'), 'utf8');
    const exercised = Object.keys(DIAGNOSES).filter(
      (id) => cases.includes(`id: '${id}'`) || id === 'api-host-sandbox',
    );
    expect(exercised).toEqual(Object.keys(DIAGNOSES));
  });
});

describe('the API host check', () => {
  it('refuses the production host for a sandbox My Domain (the emulator cannot be one)', () => {
    const sandbox = 'https://acme--dev.sandbox.my.salesforce.com';
    expect(
      checkApiHost(sandbox, {
        url: 'https://api.salesforce.com',
        from: "the token's api_instance_url",
      }),
    ).toMatchObject({ status: 'fail', diagnosis: 'api-host-sandbox' });
    expect(
      checkApiHost(sandbox, { url: 'https://test.api.salesforce.com', from: '--api-base' }),
    ).toMatchObject({
      status: 'pass',
    });
    expect(
      checkApiHost('https://acme.my.salesforce.com', {
        url: 'https://api.salesforce.com',
        from: 'x',
      }),
    ).toMatchObject({ status: 'pass' });
  });
});
