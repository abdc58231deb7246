// A remote record store at TINY_STORE_URL: plain HTTP, one store export per record at
// <url>/<key>.tar (the format of `tiny store export`). `tiny build` asks it for a toggle's
// record before building (GET: 200 gives the record, imported as `tiny store import` would,
// 404 means not there), and offers every record it builds (HEAD, then PUT with
// If-None-Match: * when absent: a key is never overwritten). Any HTTP server that answers GET,
// HEAD and PUT will do (nginx with WebDAV, a bucket behind a proxy).
//
// The remote is a cache, not the truth: when it cannot be reached the build goes on without it
// and says so once; an import conflict (the remote has other bytes for a key) is an error of
// that toggle, as `tiny store import` makes it.

import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TinyError } from '../util/diagnostics.js';
import { exportStore, importStores } from './export.js';
import type { RecordStore } from './records.js';

export interface RemoteStore {
  url: string;
  /** Fetch and import the record of `key`: true when the remote had it. */
  fetch(key: string): Promise<boolean>;
  /** Offer the stored record of `key` to the remote (no-op when the remote has it). */
  push(key: string): Promise<void>;
}

export function checkStoreUrl(url: string): string {
  const u = url.trim().replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(u)) throw new TinyError(`TINY_STORE_URL: '${url}' is not an http:// or https:// URL`, 2, [], 'e.g. TINY_STORE_URL=http://records.example.org/tiny');
  return u;
}

/** The remote store at `url`, importing into and exporting from `store`. */
export function openRemoteStore(store: RecordStore, url: string, onWarn: (line: string) => void = () => {}): RemoteStore {
  const base = checkStoreUrl(url);
  let down = false;
  const warn = (what: string, e: unknown) => {
    if (down) return;
    down = true;
    onWarn(`the remote store ${base} did not answer (${what}: ${(e as Error).message ?? String(e)}): building without it`);
  };
  const tmp = () => join(store.tmp, `remote.${process.pid}.${randomBytes(6).toString('hex')}.tar`);
  return {
    url: base,
    async fetch(key) {
      if (down) return false;
      let res: Response;
      try {
        res = await fetch(`${base}/${key}.tar`);
      } catch (e) {
        warn('GET', e);
        return false;
      }
      if (res.status === 404) return false;
      if (!res.ok) {
        warn('GET', new Error(`HTTP ${res.status}`));
        return false;
      }
      const file = tmp();
      try {
        await writeFile(file, Buffer.from(await res.arrayBuffer()));
        await importStores(store, [file]);
        return true;
      } catch (e) {
        if (e instanceof TinyError) throw new TinyError(`the remote store's ${base}/${key}.tar: ${e.message}`, e.exitCode, e.diagnostics, e.hint);
        throw e;
      } finally {
        await rm(file, { force: true });
      }
    },
    async push(key) {
      if (down) return;
      try {
        const head = await fetch(`${base}/${key}.tar`, { method: 'HEAD' });
        if (head.ok) return;
      } catch (e) {
        warn('HEAD', e);
        return;
      }
      const file = tmp();
      try {
        await exportStore(store, { out: file, keys: [key], noRuns: true });
        const res = await fetch(`${base}/${key}.tar`, { method: 'PUT', body: await readFile(file), headers: { 'content-type': 'application/x-tar', 'if-none-match': '*' } });
        // 412: another machine stored the key meanwhile; keys are content addresses.
        if (!res.ok && res.status !== 412) warn('PUT', new Error(`HTTP ${res.status}`));
      } catch (e) {
        warn('PUT', e);
      } finally {
        await rm(file, { force: true });
      }
    },
  };
}
