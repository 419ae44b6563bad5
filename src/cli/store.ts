/**
 * The local store of the scriptable verbs (`start`, `send`, `end`, `sessions`): one JSON file per
 * session handle, holding the persisted session, its agent and where it talks to. Never a secret
 * or a token (the persisted session holds none either).
 *
 * Files are replaced atomically (write to a temporary file, then rename), and every
 * read-modify-write of a handle holds its lock file (`<handle>.lock`, created exclusively), so
 * two processes sending on one session at once take turns instead of corrupting the file or
 * drawing a 423 from the API.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { customAlphabet } from 'nanoid';
import type { PersistedSession } from '../index.js';
import { UsageError } from './exit-codes.js';

export const HANDLE_FORMAT = 'agentforce-session/cli-session@1';

/** Where a stored session talks to. */
export interface StoredTarget {
  /** My Domain URL (the token host and `instanceConfig.endpoint`). */
  myDomainUrl: string;
  /** The Agent API host, when it was set explicitly. */
  apiBaseUrl?: string;
}

/** One stored session. */
export interface HandleRecord {
  format: typeof HANDLE_FORMAT;
  handle: string;
  agentId: string;
  target: StoredTarget;
  createdAt: string;
  updatedAt: string;
  /** User messages answered so far. */
  turns: number;
  /** The top-level state when it was stored. */
  state: string;
  /** The current server session id. */
  sessionId: string | null;
  session: PersistedSession;
  /** The `feedbackId` of the agent's last reply, which `feedback` rates. */
  lastFeedbackId?: string;
}

const HANDLE = /^[a-z0-9][a-z0-9_-]{2,63}$/;
const newHandle = customAlphabet('abcdefghijkmnpqrstuvwxyz23456789', 10);

/** The store directory: `$AGENTFORCE_SESSION_HOME/sessions`, default `~/.agentforce-session/sessions`. */
export function storeDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const home = env['AGENTFORCE_SESSION_HOME'];
  return join(
    home !== undefined && home !== '' ? home : join(homedir(), '.agentforce-session'),
    'sessions',
  );
}

/** Checks a handle given on the command line (it names a file: no paths). */
export function checkHandle(handle: string): string {
  if (!HANDLE.test(handle)) {
    throw new UsageError(
      `"${handle}" is not a session handle (see \`agentforce-session sessions\`)`,
    );
  }
  return handle;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The CLI's stored sessions, one file per handle in `dir` (not the library's `SessionStore`). */
export class HandleStore {
  constructor(readonly dir: string) {}

  #file(handle: string): string {
    return join(this.dir, `${checkHandle(handle)}.json`);
  }

  async #ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /** A new, unused handle. */
  async newHandle(): Promise<string> {
    await this.#ensureDir();
    for (;;) {
      const handle = newHandle();
      try {
        await stat(this.#file(handle));
      } catch {
        return handle;
      }
    }
  }

  /** Reads a stored session; a usage error when there is none. */
  async read(handle: string): Promise<HandleRecord> {
    let text: string;
    try {
      text = await readFile(this.#file(handle), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new NoSuchSessionError(
          `no session ${handle} in ${this.dir} (see \`agentforce-session sessions\`)`,
        );
      }
      throw err;
    }
    let record: HandleRecord;
    try {
      record = JSON.parse(text) as HandleRecord;
    } catch {
      throw new Error(`session file ${this.#file(handle)} is not JSON`);
    }
    if (record.format !== HANDLE_FORMAT) {
      throw new Error(
        `session file ${this.#file(handle)} is not a stored session (${String(record.format)})`,
      );
    }
    return record;
  }

  /** Writes a stored session atomically (temporary file, then rename). */
  async write(record: HandleRecord): Promise<void> {
    await this.#ensureDir();
    const file = this.#file(record.handle);
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, file);
  }

  async remove(handle: string): Promise<void> {
    await rm(this.#file(handle), { force: true });
  }

  /** Every stored session, oldest first. Unreadable files are reported in `broken`. */
  async list(): Promise<{ records: HandleRecord[]; broken: string[] }> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], broken: [] };
      throw err;
    }
    const records: HandleRecord[] = [];
    const broken: string[] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const handle = name.slice(0, -'.json'.length);
      if (!HANDLE.test(handle)) continue;
      try {
        records.push(await this.read(handle));
      } catch {
        broken.push(handle);
      }
    }
    records.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return { records, broken };
  }

  /**
   * Runs `fn` holding the handle's lock. Waits up to `timeoutMs` for another holder; a lock left
   * by a process that is gone is taken over.
   */
  async withLock<T>(handle: string, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
    await this.#ensureDir();
    const lock = join(this.dir, `${checkHandle(handle)}.lock`);
    const deadline = Date.now() + timeoutMs;
    let delay = 10;
    for (;;) {
      try {
        const fh = await open(lock, 'wx', 0o600);
        await fh.writeFile(JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
        await fh.close();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      if (await this.#stale(lock)) {
        await rm(lock, { force: true });
        continue;
      }
      if (Date.now() >= deadline) {
        throw new LockTimeoutError(
          `session ${handle} is busy: another process has held it for more than ${Math.round(timeoutMs / 1000)} s`,
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 200);
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }

  async #stale(lock: string): Promise<boolean> {
    try {
      const { pid } = JSON.parse(await readFile(lock, 'utf8')) as { pid?: unknown };
      return typeof pid === 'number' && pid !== process.pid && !processAlive(pid);
    } catch {
      // Being written right now, or already gone: not stale unless it stays unreadable.
      try {
        const info = await stat(lock);
        return Date.now() - info.mtimeMs > 10_000;
      } catch {
        return false;
      }
    }
  }
}

/** Another process held the session for too long. */
export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
  readonly code = 'lock_timeout';
}

/** No stored session has this handle. */
export class NoSuchSessionError extends UsageError {
  override name = 'NoSuchSessionError';
}
