/**
 * Streaming: time to the first text delta and events per second through `session.stream()`,
 * against a bare SSE reader (`node:http` + eventsource-parser, each event's JSON parsed) on the
 * same emulator stream route, with no pause between the emulator's events. Two reply sizes: the
 * default agent's answer (progress, 4 text chunks, the message, end of turn: 7 events) for time
 * to first delta, and a long reply (`burst N`: N messages, each as chunks plus the message) for
 * events per second. Variants run interleaved in rounds.
 */
import { createParser } from 'eventsource-parser';
import type http from 'node:http';
import { joinUrl } from '../src/api/index.js';
import { childArgs, printResult, progress } from './lib/process.js';
import { microsSince, round, roundSummary, summarize, type Summary } from './lib/stats.js';
import {
  AGENT_ID,
  TEXT,
  apiHeaders,
  apiPaths,
  endpointOf,
  keepAliveAgent,
  libraryClient,
  nodePost,
  sendBody,
  startRawSession,
  type Endpoint,
} from './lib/wire.js';

export interface StreamingArgs {
  url: string;
  rounds: number;
  /** Short streamed turns per round (time to first delta). */
  shortTurns: number;
  /** Long streamed turns per round (events per second). */
  longTurns: number;
  /** Messages in a long reply. */
  burst: number;
}

interface StreamSample {
  /** µs from the call to the first text delta. */
  firstDeltaUs: number;
  /**
   * µs from the call to the moment the caller holds the end-of-turn event: both sides stop their
   * clock there (reading the rest of the response is not timed on either side).
   */
  totalUs: number;
  events: number;
}

type StreamTurn = (text: string) => Promise<StreamSample>;

export interface StreamingVariant {
  /** Median time to first delta per round (short replies), µs. */
  firstDeltaUs: Summary;
  /** Events per second per round (long replies). */
  eventsPerSec: Summary;
  /** Events in one long reply. */
  eventsPerLongTurn: number;
}

export interface StreamingResult {
  rounds: number;
  burst: number;
  variants: Record<string, StreamingVariant>;
  /** Paired per-round ratios library / bare. */
  firstDeltaRatio: Summary;
  eventsPerSecRatio: Summary;
}

function bareStream(ep: Endpoint, agent: http.Agent, sessionId: string): StreamTurn {
  const url = new URL(joinUrl(ep.apiBase, apiPaths.messagesStream(sessionId)));
  const headers = { ...apiHeaders(ep), accept: 'text/event-stream' };
  let seq = 0;
  return (text) => {
    const start = process.hrtime.bigint();
    const payload = JSON.stringify(sendBody(++seq, text));
    return new Promise((resolve, reject) => {
      let firstDeltaUs = -1;
      let totalUs = -1;
      let events = 0;
      nodePost(
        { agent, url, headers, payload },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            reject(new Error(`stream: HTTP ${res.statusCode}`));
            return;
          }
          const parser = createParser({
            onEvent: (ev) => {
              JSON.parse(ev.data);
              events++;
              if (ev.event === 'TEXT_CHUNK' && firstDeltaUs < 0) firstDeltaUs = microsSince(start);
              if (ev.event === 'END_OF_TURN') totalUs = microsSince(start);
            },
          });
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => parser.feed(chunk));
          res.on('end', () => {
            if (totalUs < 0) reject(new Error('stream: no END_OF_TURN'));
            else resolve({ firstDeltaUs, totalUs, events });
          });
          res.on('error', reject);
        },
        reject,
      );
    });
  };
}

export async function runStreaming(args: StreamingArgs): Promise<StreamingResult> {
  const ep = await endpointOf(args.url);
  const client = libraryClient(args.url);
  const session = client.session({ agentId: AGENT_ID });
  await session.start();
  const agent = keepAliveAgent();
  const variants: Record<string, StreamTurn> = {
    library: async (text) => {
      const start = process.hrtime.bigint();
      let firstDeltaUs = -1;
      let totalUs = -1;
      let events = 0;
      for await (const ev of session.stream(text)) {
        events++;
        if (ev.kind === 'delta' && firstDeltaUs < 0) firstDeltaUs = microsSince(start);
        if (ev.kind === 'end-of-turn') totalUs = microsSince(start);
      }
      if (totalUs < 0) throw new Error('stream: no end-of-turn');
      return { firstDeltaUs, totalUs, events };
    },
    bare: bareStream(ep, agent, await startRawSession(ep)),
  };
  const longText = `burst ${args.burst} ${TEXT}`;
  const names = Object.keys(variants);
  const firstDelta: Record<string, number[]> = {};
  const eps: Record<string, number[]> = {};
  const perLong: Record<string, number> = {};
  const runRound = async (name: string, record: boolean) => {
    const turn = variants[name]!;
    const deltas: number[] = [];
    for (let i = 0; i < args.shortTurns; i++) deltas.push((await turn(TEXT)).firstDeltaUs);
    let events = 0;
    let us = 0;
    for (let i = 0; i < args.longTurns; i++) {
      const s = await turn(longText);
      events += s.events;
      us += s.totalUs;
      perLong[name] = s.events;
    }
    if (record) {
      (firstDelta[name] ??= []).push(summarize(deltas).median);
      (eps[name] ??= []).push(events / (us / 1e6));
    }
  };
  for (const name of names) await runRound(name, false);
  for (let r = 0; r < args.rounds; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]!);
    for (const name of order) await runRound(name, true);
    progress(
      `streaming round ${r + 1}/${args.rounds}: ` +
        names
          .map(
            (n) =>
              `${n} first delta ${firstDelta[n]!.at(-1)!.toFixed(0)} µs, ${eps[n]!.at(-1)!.toFixed(0)} events/s`,
          )
          .join('; '),
    );
  }
  await session.end();
  client.close();
  agent.destroy();
  const result: StreamingResult = {
    rounds: args.rounds,
    burst: args.burst,
    variants: {},
    firstDeltaRatio: roundSummary(
      summarize(firstDelta['library']!.map((x, i) => x / firstDelta['bare']![i]!)),
      3,
    ),
    eventsPerSecRatio: roundSummary(
      summarize(eps['library']!.map((x, i) => x / eps['bare']![i]!)),
      3,
    ),
  };
  for (const name of names) {
    result.variants[name] = {
      firstDeltaUs: roundSummary(summarize(firstDelta[name]!), 0),
      eventsPerSec: roundSummary(summarize(eps[name]!), 0),
      eventsPerLongTurn: perLong[name] ?? 0,
    };
  }
  void round;
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printResult(await runStreaming(childArgs<StreamingArgs>()));
}
