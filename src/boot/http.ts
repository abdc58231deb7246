// `tiny boot --http`: the host's side of the web server test. The boot probe (init.c, asked by
// tiny.http= on the kernel command line) brings eth0 up and answers GETs on port 80; qemu
// forwards a free loopback port of the host to it. tiny waits for the probe to say it listens,
// fetches the page a few times (the round trip, and the guest's /proc/meminfo as the page
// shows it), then asks for /restart, which ends the boot as the plain probe does.

import { request } from 'node:http';
import { createServer } from 'node:net';
import { consoleLines, parseMeminfo } from './console.js';
import { GUEST_ADDRESS } from './qemu.js';

/** What the probe prints about its web server (src/boot/init.c). */
export const HTTP_MARKERS = {
  listening: 'tiny-init: http listening on ',
  served: 'tiny-init: http served ',
  error: 'tiny-init: error: http',
} as const;

/** The path that makes the probe stop serving and restart the machine. */
export const RESTART_PATH = '/restart';
/** GETs of / before /restart: the first pays for ARP and the card's first interrupt, the others are the steady round trip. */
export const PAGE_FETCHES = 3;

export interface HttpResult {
  /** Every GET was answered with the probe's page and its /proc/meminfo. */
  served: boolean;
  /** When not served: why (the probe's own error, or what the host saw). */
  reason?: string;
  /** The qemu network card and the kernel option that drives it. */
  nic: { device: string; kconfig: string };
  guestAddress: string;
  /** GETs answered (the /restart one included). */
  requests: number;
  /** Milliseconds from connect to the page's last byte, for each GET of / in order. */
  roundTripsMs: number[];
  /** Bytes of the page (head and body) of the first GET. */
  pageBytes?: number;
  /** /proc/meminfo as the page of the last GET of / showed it, kB: the server's memory while it serves. */
  memTotalKiB?: number;
  memFreeKiB?: number;
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; closed again before qemu binds it). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no free loopback port'))));
    });
  });
}

export interface Fetched {
  status: number;
  /** The page's bytes as latin1 text (its head is HTTP/1.0 with no chunking). */
  body: string;
  bytes: number;
  ms: number;
}

/** GET http://127.0.0.1:port/path, one connection, no keep-alive; rejects with a one-line reason. */
export function httpGet(port: number, path: string, timeoutMs: number): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', agent: false, headers: { connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => reject(new Error(`GET ${path}: the answer broke off: ${e.message}`)));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, body: body.toString('latin1'), bytes: body.length, ms: Math.round(performance.now() - t0) });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
    req.on('error', (e: NodeJS.ErrnoException) => {
      const why =
        e.code === 'ECONNRESET'
          ? 'the connection was reset (qemu forwarded it, the guest did not accept it)'
          : e.code === 'ECONNREFUSED'
            ? 'connection refused (qemu is not forwarding the port)'
            : e.message;
      reject(new Error(`GET ${path} from 127.0.0.1:${port}: ${why}`));
    });
    req.end();
  });
}

/** The probe's page: its first line, and /proc/meminfo between "meminfo begin" and "meminfo end". */
export function readServedPage(body: string): { ok: boolean; meminfo?: Record<string, number> } {
  const lines = consoleLines(body);
  const ok = lines[0] === 'tiny-init: served over TCP by a tiny kernel';
  const begin = lines.indexOf('meminfo begin');
  const end = lines.indexOf('meminfo end', begin + 1);
  if (begin < 0 || end < 0) return { ok: false };
  const meminfo = parseMeminfo(lines.slice(begin + 1, end).join('\n'));
  return { ok: ok && meminfo.MemFree !== undefined, meminfo };
}

const ERRNO: Record<number, string> = {
  1: 'EPERM',
  12: 'ENOMEM',
  19: 'ENODEV',
  22: 'EINVAL',
  93: 'EPROTONOSUPPORT',
  97: 'EAFNOSUPPORT',
  98: 'EADDRINUSE',
  99: 'EADDRNOTAVAIL',
  105: 'ENOBUFS',
};

/**
 * Why a probe that was asked to serve did not, from its console: its own "error: http ..."
 * line (errno named, and what it means for the kernel), else that it never said it listens.
 */
export function httpFailureFromConsole(text: string): string | undefined {
  const lines = consoleLines(text);
  const error = lines.find((l) => l.startsWith(HTTP_MARKERS.error));
  if (error) {
    const what = error.slice('tiny-init: error: '.length);
    const errno = Number(/errno (\d+)$/.exec(what)?.[1]);
    const name = ERRNO[errno];
    const hint =
      errno === 19 && /eth0/.test(what) ? ': no eth0 (the kernel has no driver for the card, or it did not find it)' : errno === 97 || errno === 93 ? ': the kernel has no TCP/IP (INET)' : '';
    return `the probe could not serve: ${what}${name ? ` (${name})` : ''}${hint}`;
  }
  if (!lines.some((l) => l.startsWith(HTTP_MARKERS.listening))) return 'the probe never said it listens on port 80';
  return undefined;
}

export interface ExerciseOptions {
  port: number;
  nic: { device: string; kconfig: string };
  /** Per GET. */
  timeoutMs: number;
}

/**
 * The host's half, once the probe listens: GET / PAGE_FETCHES times, then GET /restart. The
 * first failure ends it (served: false, the reason); the caller then stops qemu.
 */
export async function exerciseHttp(o: ExerciseOptions): Promise<HttpResult> {
  const result: HttpResult = { served: false, nic: o.nic, guestAddress: GUEST_ADDRESS, requests: 0, roundTripsMs: [] };
  try {
    let last: Record<string, number> | undefined;
    for (let i = 0; i < PAGE_FETCHES; i++) {
      const f = await httpGet(o.port, '/', o.timeoutMs);
      result.requests++;
      if (f.status !== 200) throw new Error(`GET / answered ${f.status}, not 200`);
      const page = readServedPage(f.body);
      if (!page.ok) throw new Error(`GET / answered 200 without the probe's page and its /proc/meminfo (${f.bytes} bytes)`);
      result.roundTripsMs.push(f.ms);
      result.pageBytes ??= f.bytes;
      last = page.meminfo;
    }
    const bye = await httpGet(o.port, RESTART_PATH, o.timeoutMs);
    result.requests++;
    if (bye.status !== 200) throw new Error(`GET ${RESTART_PATH} answered ${bye.status}, not 200`);
    return { ...result, served: true, ...(last?.MemTotal !== undefined ? { memTotalKiB: last.MemTotal } : {}), ...(last?.MemFree !== undefined ? { memFreeKiB: last.MemFree } : {}) };
  } catch (e) {
    return { ...result, reason: (e as Error).message };
  }
}
