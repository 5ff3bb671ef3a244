// Long-lived services every component may use: the API client and the glyph event bus.
import { createContext, useContext } from 'react';
import { createApi, type Api } from '../api/endpoints.js';
import { createHttp } from '../api/http.js';
import { createTriggersApi, type TriggersApi } from '../api/triggers.js';
import { Bus } from '../lib/bus.js';

export interface Services {
  api: Api;
  /** Secrets, webhooks and the cron preview. */
  triggers: TriggersApi;
  bus: Bus;
}

/** Every request carries `token` as a Bearer header (the page keeps it in web storage, see api/session.ts). */
export function createServices(token: string | undefined): Services {
  const http = createHttp((url, init) => window.fetch(url, init), '', token);
  return { api: createApi(http), triggers: createTriggersApi(http), bus: new Bus() };
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const s = useContext(ServicesContext);
  if (!s) throw new Error('useServices outside ServicesContext');
  return s;
}
