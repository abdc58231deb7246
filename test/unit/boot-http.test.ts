// The web server test's host side (src/boot/http.ts) and qemu's command line for it: the
// page the probe serves is read for its /proc/meminfo, the probe's own errors become reasons,
// and the host's fetches run against a local server that answers as init.c does (a fake of the
// guest; the real one is booted in test/e2e/boot-2.6.test.ts).

import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { exerciseHttp, freeLoopbackPort, httpFailureFromConsole, readServedPage } from '../../src/boot/http.js';
import { nicFor, qemuArgs } from '../../src/boot/qemu.js';
import { httpNic } from '../../src/boot/run.js';

const meminfo = 'MemTotal:          884 kB\nMemFree:           600 kB\nBuffers:             0 kB\n';
const page = `tiny-init: served over TCP by a tiny kernel\nLinux version 2.6.9 (tiny@tiny) (gcc version 12.2.0) #1 Sat Jan 1 00:00:00 UTC 2000\nmeminfo begin\n${meminfo}meminfo end\n`;

describe('qemu for --http', () => {
  it('one card on user networking, only the guest port 80 forwarded from the loopback, the address on the command line', () => {
    const args = qemuArgs({ arch: 'i386', kernel: 'bzImage', root: { kind: 'disk', file: 'root.ext2' }, memKiB: 16384, kernelMemKiB: 2048, net: { device: 'ne2k_pci', hostPort: 40123 } }).join(' ');
    expect(args).toContain('-append console=ttyS0 panic=1 root=0300 rootfstype=ext2 ro mem=2M tiny.http=10.0.2.15 ');
    expect(args).toContain('-netdev user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:40123-:80 -device ne2k_pci,netdev=n0 -no-reboot');
    expect(args).not.toContain('-nic none');
  });

  it("the card is the first of arches/i386.yaml's nics the kernel builds in", () => {
    expect(nicFor('i386', 'CONFIG_NET=y\nCONFIG_NE2K_PCI=y\n')).toEqual({ kconfig: 'NE2K_PCI', device: 'ne2k_pci' });
    expect(nicFor('i386', 'CONFIG_8139TOO=y\n')).toEqual({ kconfig: '8139TOO', device: 'rtl8139' });
    expect(nicFor('i386', 'CONFIG_NE2K_PCI=m\n')).toBeUndefined();
  });

  it('a kernel without TCP/IP or without a card qemu emulates is refused before booting, with the lines to add', () => {
    const refusal = (dotConfig: string) => {
      try {
        httpNic('i386', dotConfig, 'tinyconfig-6.1 queue', 'configs/tinyconfig-6.1.yaml');
      } catch (e) {
        return { message: (e as Error).message, hint: (e as { hint?: string }).hint };
      }
      return undefined;
    };
    expect(refusal('CONFIG_NET=y\n')).toEqual({
      message: 'tinyconfig-6.1 queue cannot serve HTTP: its .config lacks CONFIG_INET',
      hint: 'add to the fragment of configs/tinyconfig-6.1.yaml: INET: y',
    });
    expect(refusal('CONFIG_NET=y\nCONFIG_INET=y\n')).toEqual({
      message: 'tinyconfig-6.1 queue cannot serve HTTP: it has none of the network drivers qemu emulates for i386 built in',
      hint: 'add one to the fragment of configs/tinyconfig-6.1.yaml: NE2K_PCI (ne2k_pci), 8139TOO (rtl8139), 8139CP (rtl8139), E1000 (e1000), PCNET32 (pcnet)',
    });
    expect(refusal('CONFIG_NET=y\nCONFIG_INET=y\nCONFIG_NE2K_PCI=y\n')).toBeUndefined();
  });
});

describe("the probe's page and its errors", () => {
  it('reads /proc/meminfo off the page', () => {
    expect(readServedPage(page.replace(/\n/g, '\r\n'))).toEqual({ ok: true, meminfo: { MemTotal: 884, MemFree: 600, Buffers: 0 } });
    expect(readServedPage('<html>hello</html>').ok).toBe(false);
  });

  it('a missing eth0, a failed bind, and silence are named', () => {
    expect(httpFailureFromConsole('tiny-init: started\ntiny-init: error: http: eth0 address (SIOCSIFADDR): errno 19\ntiny-init: restart\n')).toBe(
      'the probe could not serve: http: eth0 address (SIOCSIFADDR): errno 19 (ENODEV): no eth0 (the kernel has no driver for the card, or it did not find it)',
    );
    expect(httpFailureFromConsole('tiny-init: error: http: bind port 80: errno 98\n')).toBe('the probe could not serve: http: bind port 80: errno 98 (EADDRINUSE)');
    expect(httpFailureFromConsole('tiny-init: error: http: socket: errno 97\n')).toContain('the kernel has no TCP/IP (INET)');
    expect(httpFailureFromConsole('tiny-init: started\ntiny-init: restart\n')).toBe('the probe never said it listens on port 80');
  });
});

describe('exerciseHttp against a server that answers as the probe does', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));
  const listen = async (handler: Parameters<typeof createServer>[1]) => {
    const port = await freeLoopbackPort();
    server = createServer(handler);
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    return port;
  };
  const nic = { device: 'ne2k_pci', kconfig: 'NE2K_PCI' };

  it('three GETs of / and GET /restart: served, with the round trips and MemFree while serving', async () => {
    const paths: string[] = [];
    const port = await listen((req, res) => {
      paths.push(req.url ?? '');
      res.end(page);
    });
    const h = await exerciseHttp({ port, nic, timeoutMs: 5000 });
    expect(paths).toEqual(['/', '/', '/', '/restart']);
    expect(h).toMatchObject({ served: true, requests: 4, nic, guestAddress: '10.0.2.15', pageBytes: Buffer.byteLength(page), memTotalKiB: 884, memFreeKiB: 600 });
    expect(h.roundTripsMs).toHaveLength(3);
  });

  it('a page without /proc/meminfo is not served', async () => {
    const port = await listen((_req, res) => res.end('It works!'));
    const h = await exerciseHttp({ port, nic, timeoutMs: 5000 });
    expect(h).toMatchObject({ served: false, requests: 1, reason: "GET / answered 200 without the probe's page and its /proc/meminfo (9 bytes)" });
  });

  it('nobody answering: the reason names the port', async () => {
    const port = await freeLoopbackPort();
    const h = await exerciseHttp({ port, nic, timeoutMs: 5000 });
    expect(h).toMatchObject({ served: false, requests: 0, reason: `GET / from 127.0.0.1:${port}: connection refused (qemu is not forwarding the port)` });
  });

  it('a guest that accepts and never answers: the timeout', async () => {
    const port = await listen(() => {});
    const h = await exerciseHttp({ port, nic, timeoutMs: 300 });
    expect(h.served).toBe(false);
    expect(h.reason).toMatch(/^GET \/ from 127\.0\.0\.1:\d+: no answer within 0 s$/);
  });
});
