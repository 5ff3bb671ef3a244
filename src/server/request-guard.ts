// The checks every request meets before routing matters, HTTP and /ws alike: the Host must name
// this server (DNS rebinding), an Origin must be this server's on anything but GET/HEAD (cross-site
// requests), and a body must be JSON, body-less POSTs included (no cross-site "simple" requests).
import type { IncomingHttpHeaders } from 'node:http';
import { ForbiddenError, UnsupportedMediaTypeError } from '../errors.js';
import { hostLiteral, ownHostNames } from './bind-address.js';

export interface GuardOptions {
  /** The address the server is bound to. */
  bindHost: string;
  /** Names a reverse proxy may use: `name` (its default ports only) or `name:port`. */
  allowedHosts: readonly string[];
  /** The port the server listens on (known once it listens). */
  port(): number;
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const SAFE_METHODS = new Set(['GET', 'HEAD']);
/** The ports a bare allowed name stands for: http's and https's defaults. */
const DEFAULT_PORTS = new Set(['80', '443']);

interface HostPort {
  name: string;
  port: string | null;
}

/** Splits `name[:port]` or `[v6][:port]`; anything else (user info, paths, spaces) is null. */
function splitHost(value: string): HostPort | null {
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/i.exec(value);
  return m ? { name: m[1]!.toLowerCase(), port: m[2] ?? null } : null;
}

export class RequestGuard {
  private ownCache: { port: number; names: Set<string> } | undefined;

  constructor(private readonly o: GuardOptions) {}

  private own(): Set<string> {
    const port = this.o.port();
    if (this.ownCache?.port !== port) this.ownCache = { port, names: ownHostNames(this.o.bindHost, port) };
    return this.ownCache.names;
  }

  /** The allowed entries naming `name`: `port` null for a bare name. */
  private allowedFor(name: string): HostPort[] {
    const literal = hostLiteral(name);
    return this.o.allowedHosts.flatMap((entry) => {
      const e = splitHost(entry);
      return e && hostLiteral(e.name) === literal ? [e] : [];
    });
  }

  /**
   * Whether a Host header names this server (its own names with its port) or an allowed one. A
   * bare allowed name means its default ports: none given, 80 or 443 (a Host does not say which
   * scheme); `name:port` that port, or none given when the port is 80 or 443.
   */
  private servesHost(hp: HostPort): boolean {
    if (hp.port !== null && this.own().has(`${hp.name}:${hp.port}`)) return true;
    return this.allowedFor(hp.name).some((e) => {
      if (e.port === null) return hp.port === null || DEFAULT_PORTS.has(hp.port);
      return hp.port === e.port || (hp.port === null && DEFAULT_PORTS.has(e.port));
    });
  }

  checkHost(host: string | undefined): void {
    const hp = host ? splitHost(host) : null;
    if (!hp || !this.servesHost(hp)) {
      throw new ForbiddenError(host ? `this server does not answer to the Host '${host.slice(0, 200)}'` : 'a Host header is required', {
        details: [`host=${(host ?? '').slice(0, 200)}`],
        hint: 'use http://127.0.0.1:<port>, or name this host with --allowed-host (QNTX_ALLOWED_HOSTS)',
      });
    }
  }

  /**
   * Whether an Origin names this server, by scheme, name and port: `http:` on its own names with
   * its port; on an allowed name, a bare entry takes the scheme's default port only (http 80,
   * https 443) and `name:port` that port.
   */
  originAllowed(origin: string): boolean {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    const name = url.hostname.toLowerCase();
    // The URL parser leaves the port empty when it is the scheme's default.
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    if (url.protocol === 'http:' && this.own().has(`${name}:${port}`)) return true;
    return this.allowedFor(name).some((e) => (e.port === null ? url.port === '' : e.port === port));
  }

  checkOrigin(method: string, origin: string | undefined): void {
    if (origin === undefined || SAFE_METHODS.has(method)) return;
    if (!this.originAllowed(origin)) {
      throw new ForbiddenError('requests from other sites are refused', {
        details: [`origin=${origin.slice(0, 200)}`, `method=${method}`],
        hint: 'call the API from the qntx page itself, or from a client that sends no Origin',
      });
    }
  }

  checkContentType(method: string, headers: IncomingHttpHeaders): void {
    const hasBody = headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
    if (!BODY_METHODS.has(method) && !hasBody) return;
    const type = headers['content-type'];
    if (!isJsonType(type)) {
      throw new UnsupportedMediaTypeError(`a ${method} body must be application/json`, {
        details: [`content-type=${(type ?? '').slice(0, 100)}`],
        hint: 'send Content-Type: application/json (with a JSON body, or none)',
      });
    }
  }

  /** Every check of an HTTP request, in order: Host, Origin, body type. */
  check(method: string, headers: IncomingHttpHeaders): void {
    this.checkHost(headers.host);
    this.checkOrigin(method, headers.origin);
    this.checkContentType(method, headers);
  }

  /** The checks of a WebSocket upgrade: the Host, and an Origin (browsers always send one) of this server. */
  checkUpgrade(headers: IncomingHttpHeaders): void {
    this.checkHost(headers.host);
    this.checkOrigin('UPGRADE', headers.origin);
  }
}

function isJsonType(value: string | undefined): boolean {
  if (!value) return false;
  const [type, ...params] = value.split(';').map((s) => s.trim().toLowerCase());
  if (type !== 'application/json') return false;
  return params.every((p) => !p.startsWith('charset=') || p === 'charset=utf-8' || p === 'charset="utf-8"');
}
