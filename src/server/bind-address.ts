// What the server's own addresses are: whether a bind address is loopback (decided on parsed
// addresses, a name resolved first, never by string prefix), and the names a Host header may use.
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';

const loopback = new net.BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Whether an IP literal is a loopback address (127.0.0.0/8, ::1, and ::ffff:127.x mapped). */
export function isLoopbackIp(ip: string): boolean {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const family = net.isIP(bare);
  if (family === 4) return loopback.check(bare, 'ipv4');
  if (family !== 6) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  return mapped ? loopback.check(mapped[1]!, 'ipv4') : loopback.check(bare, 'ipv6');
}

export type LookupAll = (name: string) => Promise<Array<{ address: string }>>;

const lookupAll: LookupAll = (name) => lookup(name, { all: true, verbatim: true });

/** Whether binding `host` listens on loopback only: every address the name resolves to is loopback. */
export async function bindsLoopbackOnly(host: string, resolve: LookupAll = lookupAll): Promise<boolean> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (net.isIP(bare)) return isLoopbackIp(bare);
  try {
    const addrs = await resolve(bare);
    return addrs.length > 0 && addrs.every((a) => isLoopbackIp(a.address));
  } catch {
    return false;
  }
}

/** A host name as it appears in a Host header: IPv6 in brackets, lower case. */
export function hostLiteral(host: string): string {
  const h = host.toLowerCase();
  return net.isIP(h) === 6 ? `[${h}]` : h;
}

/**
 * The `name:port` strings a Host header may hold for a server bound to `bindHost` on `port`: the
 * loopback names, the bound address, and on a wildcard bind every address of this machine.
 */
export function ownHostNames(bindHost: string, port: number): Set<string> {
  const names = ['localhost', '127.0.0.1', '[::1]', hostLiteral(bindHost)];
  if (bindHost === '0.0.0.0' || bindHost === '::' || bindHost === '[::]') {
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) names.push(hostLiteral(a.address.split('%')[0]!));
    }
  }
  return new Set(names.map((n) => `${n}:${port}`));
}
