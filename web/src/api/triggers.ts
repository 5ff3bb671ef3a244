// Endpoints of triggers and secrets (docs/triggers.md): secrets (names and grants; a value only goes in),
// webhooks, and the cron preview.
import type { Http } from './http.js';

export interface SecretInfo {
  name: string;
  grants: string[];
  created_at: number;
  updated_at: number;
}

export interface HookDelivery {
  delivery_id: string | null;
  execution_id: string;
  received_at: number;
  status: string | null;
}

export interface HookInfo {
  id: string;
  script_type: string;
  signed: boolean;
  headers: string[];
  rate_per_minute: number;
  created_at: number;
  last_delivery_at: number | null;
  delivery_count: number;
  last_deliveries: HookDelivery[];
}

export interface CreatedHook extends HookInfo {
  path: string;
  signing_secret: string | null;
}

export interface CronPreview {
  cron: string;
  timezone: string | null;
  next: string[];
  next_ms: number[];
}

const enc = encodeURIComponent;

export function createTriggersApi(http: Http) {
  return {
    secrets: {
      list: async () => (await http.get<{ secrets: SecretInfo[] }>('/api/secrets')).secrets,
      set: (name: string, value: string) => http.put<SecretInfo>(`/api/secrets/${enc(name)}`, { value }),
      remove: (name: string) => http.del<unknown>(`/api/secrets/${enc(name)}`),
      grant: (name: string, scriptType: string) => http.post<SecretInfo>(`/api/secrets/${enc(name)}/grants`, { script_type: scriptType }),
      revoke: (name: string, scriptType: string) => http.del<SecretInfo>(`/api/secrets/${enc(name)}/grants/${enc(scriptType)}`),
    },
    hooks: {
      list: async (scriptType?: string) =>
        (await http.get<{ hooks: HookInfo[] }>(`/api/hooks${scriptType ? `?script_type=${enc(scriptType)}` : ''}`)).hooks,
      create: (scriptType: string, sign: boolean) => http.post<CreatedHook>('/api/hooks', { script_type: scriptType, sign }),
      remove: (id: string) => http.del<unknown>(`/api/hooks/${enc(id)}`),
    },
    cron: {
      preview: (expr: string, tz: string | null) =>
        http.get<CronPreview>(`/api/pulse/cron/preview?expr=${enc(expr)}${tz ? `&tz=${enc(tz)}` : ''}`),
    },
  };
}

export type TriggersApi = ReturnType<typeof createTriggersApi>;

/** The address a hook's path is reached at from this page. */
export function hookUrl(origin: string, path: string): string {
  return origin.replace(/\/+$/, '') + path;
}
