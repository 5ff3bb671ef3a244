// The access token of each server a test started, by origin: the helpers that talk to a server
// (request, api, WsClient) send it as a Bearer header without every test passing it around.
const byOrigin = new Map<string, string>();

export function rememberToken(url: string, token: string | undefined): void {
  if (token) byOrigin.set(new URL(url).origin, token);
}

export function tokenFor(url: string): string | undefined {
  return byOrigin.get(new URL(url.replace(/^ws/, 'http')).origin);
}

/** `{authorization: 'Bearer …'}` for a server a test started, or nothing. */
export function authHeader(url: string): Record<string, string> {
  const t = tokenFor(url);
  return t ? { authorization: `Bearer ${t}` } : {};
}
