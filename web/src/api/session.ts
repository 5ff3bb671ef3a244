// Page bootstrap: the URL `qntx serve` prints holds ?token=…; the page keeps the token in
// localStorage and takes it out of the address bar, so it stays out of history, bookmarks and
// Referer headers. Every request sends it as `Authorization: Bearer`; /ws is opened with a
// single-use ticket bought with it (live/socket.ts).
//
// Why localStorage: it is scoped to the page's origin (scheme, host and port), so a page on
// another port of the same host never sees it, unlike a cookie, which browsers send to every
// port of a host. sessionStorage is per tab: a second tab opened without ?token= would have
// none. Never a cookie: the server does not read one.

/** The key under which the page's origin keeps its token. */
export const TOKEN_KEY = 'qntx.token';

export interface TokenStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface SessionEnv {
  location: { pathname: string; search: string; hash: string };
  replaceUrl(url: string): void;
  /** The origin's localStorage; undefined (or throwing) when the browser refuses storage. */
  storage: TokenStorage | undefined;
}

/** The URL without its token parameter (other parameters and the hash kept). */
export function urlWithoutToken(loc: SessionEnv['location']): string {
  const params = new URLSearchParams(loc.search);
  params.delete('token');
  const q = params.toString();
  return `${loc.pathname}${q ? `?${q}` : ''}${loc.hash}`;
}

/**
 * The token this page uses: a ?token= of the URL (stored, then taken out of the address bar), else
 * the one stored by an earlier visit of this origin; undefined when there is neither.
 */
export function takeToken(env: SessionEnv): string | undefined {
  const fromUrl = new URLSearchParams(env.location.search).get('token') || undefined;
  if (fromUrl !== undefined) {
    try {
      env.storage?.setItem(TOKEN_KEY, fromUrl);
    } catch {
      // Storage refused (private mode, quota): the token serves this page only.
    }
    env.replaceUrl(urlWithoutToken(env.location));
    return fromUrl;
  }
  try {
    return env.storage?.getItem(TOKEN_KEY) || undefined;
  } catch {
    return undefined;
  }
}
