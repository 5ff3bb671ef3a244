// Raw HTTP/1.1 over node:net for attack tests: the exact path bytes and headers go on the wire as
// written (no client normalises `%61pi`, `//api` or `/api/./`), and the answer is parsed by hand.
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as text (chunked encoding undone). */
  text: string;
  /** The body parsed as JSON, or undefined. */
  json: any;
}

export interface RawRequest {
  method: string;
  /** Sent verbatim as the request target. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Leave out the Host header (it is `127.0.0.1:<port>` otherwise, unless `headers.host` is given). */
  noHost?: boolean;
}

/** Sends one request on a fresh connection and reads the whole answer (Connection: close). */
export function rawRequest(port: number, r: RawRequest): Promise<RawResponse> {
  const headers: Record<string, string> = { ...(r.noHost ? {} : { host: `127.0.0.1:${port}` }), connection: 'close', ...r.headers };
  const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body);
  if (body && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-length')) headers['content-length'] = String(body.length);
  const head = `${r.method} ${r.path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  return exchange(port, Buffer.concat([Buffer.from(head, 'latin1'), body ?? Buffer.alloc(0)]));
}

/** Writes bytes, collects everything until the server closes, parses the response. */
export function exchange(port: number, bytes: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (err) {
        reject(err as Error);
      }
    });
    socket.write(bytes);
  });
}

export function parseResponse(buf: Buffer): RawResponse {
  const sep = buf.indexOf('\r\n\r\n');
  if (sep < 0) throw new Error(`no HTTP response head in ${JSON.stringify(buf.toString('latin1').slice(0, 200))}`);
  const [statusLine, ...lines] = buf.subarray(0, sep).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1]);
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    const k = l.slice(0, i).trim().toLowerCase();
    const v = l.slice(i + 1).trim();
    headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
  }
  let body = buf.subarray(sep + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = unchunk(body);
  const text = body.toString('utf8');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status, headers, text, json };
}

function unchunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', i);
    if (eol < 0) break;
    const size = parseInt(b.subarray(i, eol).toString('latin1'), 16);
    if (!size) break;
    out.push(b.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** Asserts-free check used by every test: the error body {error, details[], hint?}. */
export function isErrorShape(body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const b = body as Record<string, unknown>;
  const keys = Object.keys(b);
  return (
    typeof b.error === 'string' &&
    Array.isArray(b.details) &&
    b.details.every((d) => typeof d === 'string') &&
    (b.hint === undefined || typeof b.hint === 'string') &&
    keys.every((k) => k === 'error' || k === 'details' || k === 'hint')
  );
}

/** The port of a server URL. */
export function portOf(url: string): number {
  return Number(new URL(url).port);
}
