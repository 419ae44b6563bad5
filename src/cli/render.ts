/**
 * How an agent's messages look to a human: every message of a reply, each by its kind, with the
 * citations and action results of an `Inform`.
 */
import type { ResponseMessage, SessionOutcome } from '../index.js';
import type { Styles } from './output.js';

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function short(value: unknown, max = 160): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `copilotActionOutput/LookupOrder` → `LookupOrder`. */
function actionName(type: unknown): string {
  const t = typeof type === 'string' ? type : 'action';
  return t.slice(t.lastIndexOf('/') + 1) || t;
}

/** The extra lines of a message: citations and action results. */
export function renderExtras(m: ResponseMessage, s: Styles): string[] {
  const lines: string[] = [];
  const refs = m['citedReferences'];
  if (Array.isArray(refs)) {
    refs.forEach((ref: unknown, i) => {
      const r = (ref ?? {}) as { label?: unknown; value?: unknown; recordId?: unknown };
      const label = str(r.label) ?? str(r.recordId) ?? 'source';
      lines.push(s.dim(`  [${i + 1}] ${label}${str(r.value) ? ` — ${String(r.value)}` : ''}`));
    });
  }
  const results = m['result'];
  if (Array.isArray(results)) {
    for (const result of results) {
      const r = (result ?? {}) as { type?: unknown; value?: unknown };
      lines.push(s.dim(`  ⚙ ${actionName(r.type)} → ${short(r.value)}`));
    }
  }
  return lines;
}

/** The lines of one message, by its kind. */
export function renderMessage(m: ResponseMessage, s: Styles): string[] {
  const text = str(m['message']);
  switch (m.type) {
    case 'Inform':
      return [...(text ? [text] : []), ...renderExtras(m, s)];
    case 'Inquire':
      return [s.cyan(`? ${text ?? 'The agent needs more information.'}`), ...renderExtras(m, s)];
    case 'Confirm':
      return [s.cyan(`? ${text ?? 'Please confirm.'} [yes/no]`), ...renderExtras(m, s)];
    case 'Failure': {
      const code = str(m['code']);
      const errors = Array.isArray(m['errors']) ? (m['errors'] as unknown[]).map(String) : [];
      return [
        s.red(
          `✗ ${text ?? 'The agent could not complete the request.'}${code ? ` (${code})` : ''}`,
        ),
        ...errors.map((e) => s.dim(`  ${e}`)),
      ];
    }
    case 'Escalate': {
      const targets = Array.isArray(m['targets']) ? (m['targets'] as unknown[]) : [];
      const to = targets
        .map((t) => {
          const r = (t ?? {}) as { type?: unknown; value?: unknown };
          const kind = typeof r.type === 'string' ? r.type.split(':').at(-2) : undefined;
          return [kind, str(r.value)].filter(Boolean).join(' ');
        })
        .filter((t) => t !== '');
      return [
        s.magenta(
          `⇢ escalated to a human agent${to.length > 0 ? ` (${to.join(', ')})` : ''}${text ? `: ${text}` : ''}`,
        ),
      ];
    }
    case 'SessionEnded':
      return [s.yellow(`■ the agent ended the session (${str(m['reason']) ?? 'no reason given'})`)];
    case 'Error':
      return [s.red(`✗ error from the agent: ${text ?? short(m)}`)];
    case 'ProgressIndicator':
      return [s.dim(`… ${text ?? 'working'}`)];
    default:
      return [
        ...(text ? [text] : []),
        s.dim(
          `  [${m.type}] ${short(Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'type' && k !== 'id')))}`,
        ),
      ];
  }
}

/** How a session closed, in words. */
export function describeOutcome(outcome: SessionOutcome): string {
  switch (outcome.reason) {
    case 'ended':
      return `ended${outcome.endReason ? ` (${outcome.endReason})` : ''}${outcome.error ? `; the end request failed: ${outcome.error.message}` : ''}`;
    case 'ended-by-server':
      return `ended by the agent (${outcome.serverReason ?? 'no reason given'})`;
    case 'expired':
      return `expired${outcome.error ? `: ${outcome.error.message}` : ''}`;
    case 'failed':
      return `failed${outcome.error ? `: ${outcome.error.code}: ${outcome.error.message}` : ''}`;
  }
}
