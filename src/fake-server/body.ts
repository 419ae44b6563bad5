import type { IncomingMessage } from 'node:http';

/** Reading request bodies with a size bound, and parsing them. */

/** The raw body of a request. */
export type BodyRead =
  | { readonly kind: 'ok'; readonly bytes: Buffer }
  | { readonly kind: 'too-large'; readonly received: number; readonly drained: boolean }
  | { readonly kind: 'aborted' };

/** Past this many bytes (or 64 × the limit) a too-large body is no longer drained: the connection is closed. */
const DRAIN_CAP = 64 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

/**
 * Reads the body of `req`, keeping at most `maxBytes`. A larger body is drained (discarded) so
 * the client can read the 413, up to a cap after which the caller should close the connection.
 * The server's request timeout bounds how long a slow client can take.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  const declared = Number(req.headers['content-length']);
  const cap = Math.max(DRAIN_CAP, maxBytes * 64);
  if (Number.isFinite(declared) && declared > cap) {
    return Promise.resolve({ kind: 'too-large', received: 0, drained: false });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > maxBytes;
    let settled = false;
    const settle = (r: BodyRead) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onClose);
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true;
      if (tooLarge) {
        chunks.length = 0;
        if (size > cap) settle({ kind: 'too-large', received: size, drained: false });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      if (tooLarge) settle({ kind: 'too-large', received: size, drained: true });
      else
        settle({
          kind: 'ok',
          bytes:
            chunks.length === 1
              ? chunks[0]!
              : chunks.length === 0
                ? EMPTY
                : Buffer.concat(chunks, size),
        });
    };
    const onAbort = () => settle({ kind: 'aborted' });
    const onClose = () => {
      if (!req.complete) settle({ kind: 'aborted' });
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onClose);
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A parsed body: the value, or why it could not be parsed. */
export type ParsedBody =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly problem: 'empty' | 'utf8' | 'json' };

/** Decodes strict UTF-8 and parses JSON. */
export function parseJsonBody(bytes: Buffer): ParsedBody {
  if (bytes.length === 0) return { ok: false, problem: 'empty' };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, problem: 'utf8' };
  }
  if (text.trim() === '') return { ok: false, problem: 'empty' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, problem: 'json' };
  }
}

/** Parses an `application/x-www-form-urlencoded` body into a record (last value wins). */
export function parseFormBody(bytes: Buffer): Record<string, string> | undefined {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return undefined;
  }
  return Object.fromEntries(new URLSearchParams(text));
}

/** The media type of a `Content-Type` header, lower-case, without parameters. */
export function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** Whether a `Content-Type` is JSON (`application/json` or `application/*+json`). */
export function isJsonType(contentType: string | undefined): boolean {
  const t = mediaType(contentType);
  return t === 'application/json' || (t.startsWith('application/') && t.endsWith('+json'));
}
