// The cron field of the IX glyph (docs/triggers.md): an expression and its time zone, with the
// next five run times from the server's preview (the same library the ticker uses) before Run.
import { useEffect, useState } from 'react';
import { useServices } from '../../app/services.js';
import '../../ui/triggers.css';

export function CronField({ cron, tz, onChange }: { cron: string; tz: string; onChange(patch: { cron?: string; tz?: string }): void }) {
  const { triggers } = useServices();
  const [next, setNext] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const expr = cron.trim();
    if (!expr) {
      setNext([]);
      setError(null);
      return;
    }
    let live = true;
    const t = setTimeout(() => {
      triggers.cron.preview(expr, tz.trim() || null).then(
        (p) => {
          if (!live) return;
          setNext(p.next);
          setError(null);
        },
        (e: unknown) => {
          if (!live) return;
          setNext([]);
          setError((e as Error).message);
        },
      );
    }, 300);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [cron, tz, triggers]);

  return (
    <div className="ix-cron">
      <div className="secrets-form" style={{ margin: '4px 0' }}>
        <input
          className="input mono ix-cron-expr"
          value={cron}
          placeholder='cron, e.g. 0 9 * * 1-5 (instead of the interval)'
          aria-label="Cron expression (instead of the interval)"
          spellCheck={false}
          onChange={(e) => onChange({ cron: e.target.value })}
        />
        <input className="input ix-cron-tz" value={tz} placeholder="UTC" aria-label="Cron time zone" spellCheck={false} onChange={(e) => onChange({ tz: e.target.value })} style={{ width: 130 }} />
      </div>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {next.length ? (
        <>
          <p className="cron-next-caption muted small">Next runs, {zoneName(tz)} time:</p>
          <ol className="cron-next" aria-label={`Next run times, ${zoneName(tz)} time`} data-testid="cron-next">
            {next.map((t) => (
              <li key={t}>{inZone(t, tz)}</li>
            ))}
          </ol>
        </>
      ) : null}
    </div>
  );
}

function zoneName(tz: string): string {
  return tz.trim() || 'UTC';
}

/** A run time as the cron's own zone reads it (the server said the zone is valid). */
function inZone(iso: string, tz: string): string {
  try {
    return new Date(iso).toLocaleString(undefined, { timeZone: zoneName(tz), dateStyle: 'medium', timeStyle: 'short' });
  } catch {
    return iso;
  }
}
