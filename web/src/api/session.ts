// Page bootstrap: the URL `qntx serve` prints holds ?token=…; the page trades it for the server's
// HttpOnly, SameSite=Strict cookie (POST /api/session) and takes it out of the address bar, so the
// token stays out of history, bookmarks, Referer headers and page scripts. Every later request
// and the /ws connection carry the cookie.

export interface SessionEnv {
  location: { pathname: string; search: string; hash: string };
  replaceUrl(url: string): void;
  post(url: string, init: { method: 'POST'; headers: Record<string, string>; body: string }): Promise<{ ok: boolean; status: number }>;
}

/** The URL without its token parameter (other parameters and the hash kept). */
export function urlWithoutToken(loc: SessionEnv['location']): string {
  const params = new URLSearchParams(loc.search);
  params.delete('token');
  const q = params.toString();
  return `${loc.pathname}${q ? `?${q}` : ''}${loc.hash}`;
}

/** Swaps a ?token= for the cookie. Resolves false when there was none or the server refused it. */
export async function startSession(env: SessionEnv): Promise<boolean> {
  const token = new URLSearchParams(env.location.search).get('token');
  if (!token) return false;
  let ok = false;
  try {
    const res = await env.post('/api/session', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    ok = res.ok;
  } catch {
    ok = false;
  }
  // Out of the address bar either way: a wrong token is no use there, a right one is now a cookie.
  env.replaceUrl(urlWithoutToken(env.location));
  return ok;
}
