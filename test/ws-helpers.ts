// A WebSocket test client that queues messages and lets a test await the next matching one.
import WebSocket from 'ws';
import { authHeader } from './test-tokens.js';

export class WsClient {
  readonly socket: WebSocket;
  private readonly queue: any[] = [];
  private waiters: Array<{ match: (m: any) => boolean; resolve: (m: any) => void }> = [];
  /** A test waiting longer than this for a message fails instead of hanging. */
  static timeoutMs = 30_000;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data) => {
      const msg = JSON.parse(String(data));
      const w = this.waiters.find((x) => x.match(msg));
      if (w) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(msg);
      } else this.queue.push(msg);
    });
  }

  /** Connects with the server's token unless `headers.authorization` is given ('' sends none). */
  static connect(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
    const all: Record<string, string> = { ...authHeader(url), ...headers };
    if (all.authorization === '') delete all.authorization;
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url.replace(/^http/, 'ws') + '/ws', { headers: all });
      const c = new WsClient(socket);
      socket.once('open', () => resolve(c));
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  /** The next message (already received or to come) that matches. */
  next(match: (m: any) => boolean = () => true, timeoutMs = WsClient.timeoutMs): Promise<any> {
    const i = this.queue.findIndex(match);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (m: any) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching WebSocket message within ${timeoutMs} ms: ${match.toString().slice(0, 200)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  send(msg: unknown): void {
    this.socket.send(JSON.stringify(msg));
  }

  close(): void {
    this.socket.close();
  }
}
