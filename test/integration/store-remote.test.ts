// TINY_STORE_URL: a remote record store over plain HTTP (here a small server on 127.0.0.1 that
// keeps what is PUT in memory). A build offers every record it makes; a build in another cache
// finds them there and builds nothing; the remote never has a key overwritten; a remote that
// does not answer is reported once and the build goes on without it.

import { createServer, type Server } from 'node:http';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRecords, openRecordStore } from '../../src/store/index.js';
import { tempCache, tiny } from '../helpers/cli.js';

const FIX = 'test/fixtures/build';
const BUILD = ['build', '--config', `${FIX}/configs/fake-tiny.yaml`, '--queue', `${FIX}/fake-queue`, '--runtime', 'host'];

describe('TINY_STORE_URL: records shared through an HTTP store', () => {
  const objects = new Map<string, Buffer>();
  const requests: string[] = [];
  let server: Server;
  let url: string;
  const caches: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '/';
      requests.push(`${req.method} ${path}`);
      if (req.method === 'PUT') {
        if (req.headers['if-none-match'] === '*' && objects.has(path)) return void res.writeHead(412).end();
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          objects.set(path, Buffer.concat(chunks));
          res.writeHead(201).end();
        });
        return;
      }
      const body = objects.get(path);
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/tiny`;
    for (let i = 0; i < 3; i++) caches.push(await tempCache(`tiny-remote-${i}-`));
  });

  afterAll(async () => {
    server?.close();
    for (const c of caches) await rm(c, { recursive: true, force: true });
  });

  it('a build offers each record it makes; a build in another cache takes them and builds nothing', async () => {
    const a = await tiny(BUILD, { env: { TINY_CACHE: caches[0], TINY_STORE_URL: url } });
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/^6 toggles: 5 built, 1 cached, 0 failed/m);
    const stored = [...objects.keys()].sort();
    expect(stored).toHaveLength(5);
    for (const k of stored) expect(k).toMatch(/^\/tiny\/[0-9a-f]{64}\.tar$/);
    expect(requests.filter((r) => r.startsWith('PUT'))).toHaveLength(5);

    const b = await tiny(BUILD, { env: { TINY_CACHE: caches[1], TINY_STORE_URL: url } });
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/^6 toggles: 0 built, 6 cached, 0 failed/m);
    const keysOf = async (c: string) => (await listRecords(await openRecordStore(c))).map((r) => `${r.key} ${r.artifacts.vmlinux?.sha256}`).sort();
    expect(await keysOf(caches[1]!)).toEqual(await keysOf(caches[0]!));
    // Nothing was offered again: the remote had every key.
    expect(requests.filter((r) => r.startsWith('PUT'))).toHaveLength(5);
  });

  it('a remote that does not answer is said once, and the build goes on without it', async () => {
    const r = await tiny([...BUILD, '--only', 'queue'], { env: { TINY_CACHE: caches[2], TINY_STORE_URL: 'http://127.0.0.1:9/tiny' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^1 toggles: 1 built, 0 cached, 0 failed/m);
    expect(r.stderr.match(/the remote store http:\/\/127\.0\.0\.1:9\/tiny did not answer \(GET: fetch failed\): building without it/g)).toHaveLength(1);
    const bad = await tiny(BUILD, { env: { TINY_CACHE: caches[2], TINY_STORE_URL: 'ftp://x' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("TINY_STORE_URL: 'ftp://x' is not an http:// or https:// URL");
  });
});
