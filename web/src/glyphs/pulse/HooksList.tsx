// Webhooks in the Pulse panel (docs/triggers.md): each hook with its type, deliveries and the
// status of its last ones; revoke. Their URLs are never shown again after creation.
import { useCallback, useEffect, useState } from 'react';
import type { HookInfo } from '../../api/triggers.js';
import { useServices } from '../../app/services.js';
import { formatAgo } from '../../lib/format.js';
import '../../ui/triggers.css';

export function HooksList({ now }: { now: number }) {
  const { triggers, bus } = useServices();
  const [hooks, setHooks] = useState<HookInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setHooks(await triggers.hooks.list());
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [triggers]);
  useEffect(() => {
    void load();
    // A hook's run has no schedule: its events are followed here.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = bus.on('serverEvent', (e) => {
      if (!e.type.startsWith('pulse_execution_') || !('schedule_id' in e) || e.schedule_id) return;
      clearTimeout(timer);
      timer = setTimeout(() => void load(), 200);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [load, bus]);
  if (!hooks?.length && !error) return null;
  return (
    <section className="pulse-hooks" aria-label="Webhooks">
      <h3 className="section-title">Webhooks</h3>
      {error ? <p className="form-error">{error}</p> : null}
      <ul className="hooks-list">
        {hooks?.map((h) => (
          <li key={h.id} className="hook-row" data-hook-id={h.id}>
            <span className="mono">ix {h.script_type}</span> · {h.delivery_count} deliver{h.delivery_count === 1 ? 'y' : 'ies'}
            {h.signed ? ' · signed' : ''}
            {h.last_delivery_at ? ` · last ${formatAgo(h.last_delivery_at, now)}` : ''}{' '}
            <button type="button" className="link-button" onClick={() => void triggers.hooks.remove(h.id).then(load, (e: unknown) => setError((e as Error).message))}>
              Revoke
            </button>
            {h.last_deliveries.length ? (
              <div className="hook-deliveries">
                {h.last_deliveries.map((d) => (
                  <span key={d.execution_id} data-execution-id={d.execution_id} title={d.delivery_id ?? ''}>
                    {d.status ?? 'pruned'}{' '}
                  </span>
                ))}
              </div>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
