// Throwaway PostgreSQL clusters for tests that need a server of their own: a primary (initdb) and a
// streaming replica of it (pg_basebackup -R), each a `postgres` on a free port, run as the postgres
// user when the tests run as root. Removed by stop().
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The binaries of the newest PostgreSQL installed, or undefined. */
export function pgBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'pg_basebackup')));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

const asRoot = process.getuid?.() === 0;

async function pg(bin: string, tool: string, args: string[]): Promise<void> {
  const file = path.join(bin, tool);
  if (asRoot) await run('runuser', ['-u', 'postgres', '--', file, ...args]);
  else await run(file, args);
}

export interface Node {
  dir: string;
  port: number;
  url: string;
}

export class PgPair {
  private constructor(
    readonly bin: string,
    readonly base: string,
    readonly primary: Node,
    readonly replica: Node,
  ) {}

  static async start(bin: string): Promise<PgPair> {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'qntx-pgpair-'));
    if (asRoot) await run('chown', ['postgres', base]);
    const node = async (name: string): Promise<Node> => {
      const port = await freePort();
      return { dir: path.join(base, name), port, url: `postgres://postgres@127.0.0.1:${port}/postgres` };
    };
    const primary = await node('primary');
    const replica = await node('replica');
    const pair = new PgPair(bin, base, primary, replica);
    try {
      await pg(bin, 'initdb', ['-D', primary.dir, '-U', 'postgres', '--auth=trust', '--no-sync']);
      await pair.startNode(primary);
      await pg(bin, 'pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', replica.dir, '-R', '-X', 'stream', '-c', 'fast']);
      await pair.startNode(replica);
    } catch (err) {
      await pair.stop();
      throw err;
    }
    return pair;
  }

  /** pg_ctl start -w: returns once the server accepts connections. */
  async startNode(n: Node): Promise<void> {
    const opts = `-p ${n.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.base} -c fsync=off -c wal_level=replica -c max_wal_senders=4 -c hot_standby=on -c autovacuum=off`;
    await pg(this.bin, 'pg_ctl', ['-D', n.dir, '-o', opts, '-l', `${n.dir}.log`, '-w', 'start']);
  }

  async stopNode(n: Node): Promise<void> {
    await pg(this.bin, 'pg_ctl', ['-D', n.dir, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
  }

  async stop(): Promise<void> {
    for (const n of [this.replica, this.primary]) if (fs.existsSync(path.join(n.dir, 'postmaster.pid'))) await this.stopNode(n);
    fs.rmSync(this.base, { recursive: true, force: true });
  }
}
