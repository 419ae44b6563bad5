/** Prints a soak report as plain-text tables. */
import type { SoakReport } from './run.js';

function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function pairs(map: Record<string, number>): string {
  const entries = Object.entries(map).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? '—' : entries.map(([k, v]) => `${k} ${v}`).join(', ');
}

/** The report as text: the summary, the fault table, then the violations. */
export function formatReport(r: SoakReport): string {
  const s = r.server;
  const o = s.openAfterEnd;
  const summary = table([
    ['result', r.ok ? 'PASS (0 violations)' : `FAIL (${r.violations.total} violations)`],
    ['duration', `${(r.durationMs / 1000).toFixed(1)} s`],
    ['emulator', r.emulator],
    [
      'load',
      `${r.options.sessions} concurrent × ${r.options.turns} turns${r.options.durationS > 0 ? ` for ${r.options.durationS} s` : ''}, seed ${r.options.seed}`,
    ],
    ['conversations', `${r.conversations} (${r.sessionsOpened} AgentSessions)`],
    [
      'messages',
      `${r.messages.total} (${r.messages.viaStream} streamed): ${r.messages.replied} replied (${r.messages.repliedAfterRestart} after a restart), ${r.messages.failed} typed failures`,
    ],
    ['failures by code', pairs(r.messages.failedByCode)],
    ['… with no fault', pairs(r.faults.failuresWithoutFault)],
    [
      'client',
      `${r.client.restarts} restarts, ${r.client.expiries} expiries, ${r.client.repliesDropped} stale replies dropped, ${r.client.unauthorized401} 401s refreshed over ${r.client.tokenRequests} token requests (${r.client.clockJumps} clock jumps)`,
    ],
    ['sessions closed by', pairs(r.client.closedBy)],
    ['end() failures', pairs(r.client.endFailures)],
    [
      'server sessions',
      `${s.sessions}: ${s.endedByClient} ended by the client, ${s.endedByServer} by the server, ${s.expired} expired; ${s.turnsProcessed} turns processed`,
    ],
    [
      'open after end',
      `${o.total} (start reply lost ${o.startReplyLost}, DELETE failed ${o.endFailed}, fatal close ${o.closedOnFatalError}, leaked ${o.leaked}); after TTL: ${s.openAfterTtl}`,
    ],
    [
      'heap',
      `${r.heap.beforeMb} MB → ${r.heap.afterMb} MB (${r.heap.growthMb >= 0 ? '+' : ''}${r.heap.growthMb} MB, slack ${r.heap.slackMb} MB${r.heap.gc ? '' : ', no forced GC'}${r.heap.enforced ? '' : ', not enforced'}); ${r.heap.withRecordsMb} MB with the soak's records`,
    ],
    [
      'process',
      `${r.process.unhandledRejections} unhandled rejections, ${r.process.uncaughtExceptions} uncaught exceptions`,
    ],
    [
      'event-loop delay',
      `p50 ${r.eventLoopDelayMs.p50} ms, p99 ${r.eventLoopDelayMs.p99} ms, max ${r.eventLoopDelayMs.max} ms (soak process)`,
    ],
    [
      'request record',
      `${r.faults.recordCoverage.recorded} of ${r.faults.recordCoverage.received} requests`,
    ],
  ]);
  const faultRows: string[][] = [['fault', 'injected', 'handling']];
  const names = new Set([...Object.keys(r.faults.injected), ...Object.keys(r.faults.handling)]);
  for (const name of [...names].sort()) {
    faultRows.push([
      name,
      String(r.faults.injected[name] ?? '—'),
      pairs(r.faults.handling[name] ?? {}),
    ]);
  }
  const parts = [summary, '', table(faultRows)];
  if (r.violations.total > 0) {
    parts.push('', `violations: ${pairs(r.violations.byKind)}`);
    for (const line of r.violations.samples) parts.push(`  ${line}`);
  }
  return parts.join('\n');
}
