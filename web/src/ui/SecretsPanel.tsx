// The Secrets panel (docs/triggers.md): names and grants; set, replace and delete a value, grant
// and revoke types. The value field is write-only: nothing ever reads a value back.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useServices } from '../app/services.js';
import type { SecretInfo } from '../api/triggers.js';
import './triggers.css';

const NAME = /^[A-Z_][A-Z0-9_]{0,63}$/;

export function SecretsButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="tool-button" onClick={() => setOpen(true)} aria-label="Secrets" data-open="secrets">
        Secrets
      </button>
      {open ? <SecretsPanel onClose={() => setOpen(false)} /> : null}
    </>
  );
}

export function SecretsPanel({ onClose }: { onClose(): void }) {
  const { triggers } = useServices();
  const [secrets, setSecrets] = useState<SecretInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');

  const reload = useCallback(async () => {
    try {
      setSecrets(await triggers.secrets.list());
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [triggers]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const act = async (work: () => Promise<unknown>) => {
    try {
      await work();
      await reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const onSet = (e: FormEvent) => {
    e.preventDefault();
    if (!NAME.test(name)) return setError('A name is A-Z, 0-9 and _, e.g. GITHUB_TOKEN');
    const v = value;
    // The field is cleared at once: the value is never kept in the page.
    setValue('');
    void act(async () => {
      await triggers.secrets.set(name, v);
      setName('');
    });
  };

  return (
    <div className="secrets-backdrop" onMouseDown={onClose}>
      <section
        className="secrets-panel"
        role="dialog"
        aria-modal="true"
        aria-label="Secrets"
        onMouseDown={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onClose();
        }}
      >
        <div className="secret-head">
          <h2>Secrets</h2>
          <span style={{ flex: 1 }} />
          <button type="button" className="small-button" onClick={onClose} aria-label="Close secrets">
            Close
          </button>
        </div>
        <p className="secrets-note">
          A handler of a granted type reads <code>ix.secrets["NAME"]</code>. Values are stored encrypted and never shown again; printed or attested, they read
          <code> [secret:NAME]</code>.
        </p>
        <form className="secrets-form" onSubmit={onSet} aria-label="Set a secret">
          <input className="secret-name" aria-label="Secret name" placeholder="NAME" value={name} onChange={(e) => setName(e.target.value.toUpperCase())} autoComplete="off" spellCheck={false} />
          <input
            className="secret-value"
            aria-label="Secret value"
            type="password"
            placeholder="value (write-only)"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            autoComplete="new-password"
          />
          <button type="submit" className="small-button" disabled={!name || !value}>
            Set
          </button>
        </form>
        {error ? (
          <div className="triggers-error" role="alert">
            {error}
          </div>
        ) : null}
        {secrets === null ? <div className="secrets-note">Loading…</div> : null}
        {secrets?.length === 0 ? <div className="secrets-note">No secrets yet.</div> : null}
        <ul className="secrets-list">
          {secrets?.map((s) => (
            <SecretRow key={s.name} secret={s} act={act} />
          ))}
        </ul>
      </section>
    </div>
  );
}

function SecretRow({ secret, act }: { secret: SecretInfo; act(work: () => Promise<unknown>): Promise<void> }) {
  const { triggers } = useServices();
  const [replacing, setReplacing] = useState(false);
  const [value, setValue] = useState('');
  const [type, setType] = useState('');
  return (
    <li className="secret-row" data-secret={secret.name}>
      <div className="secret-head">
        <span className="mono">{secret.name}</span>
        <span style={{ flex: 1 }} />
        <button type="button" className="small-button" onClick={() => setReplacing((r) => !r)}>
          Replace
        </button>
        <button type="button" className="small-button danger" onClick={() => void act(() => triggers.secrets.remove(secret.name))} aria-label={`Delete ${secret.name}`}>
          Delete
        </button>
      </div>
      {replacing ? (
        <form
          className="secrets-form"
          onSubmit={(e) => {
            e.preventDefault();
            const v = value;
            setValue('');
            setReplacing(false);
            void act(() => triggers.secrets.set(secret.name, v));
          }}
        >
          <input className="secret-value" aria-label={`New value of ${secret.name}`} type="password" value={value} onChange={(e) => setValue(e.target.value)} autoComplete="new-password" />
          <button type="submit" className="small-button" disabled={!value}>
            Save
          </button>
        </form>
      ) : null}
      <div className="secret-grants">
        <span className="secrets-note" style={{ margin: 0 }}>
          Granted to:
        </span>
        {secret.grants.length === 0 ? <span className="secrets-note" style={{ margin: 0 }}>no type</span> : null}
        {secret.grants.map((g) => (
          <span key={g} className="grant-chip" data-grant={g}>
            {g}
            <button type="button" aria-label={`Revoke ${g}`} onClick={() => void act(() => triggers.secrets.revoke(secret.name, g))}>
              ×
            </button>
          </span>
        ))}
        <form
          className="secrets-form"
          style={{ margin: 0 }}
          onSubmit={(e) => {
            e.preventDefault();
            const t = type.trim();
            setType('');
            if (t) void act(() => triggers.secrets.grant(secret.name, t));
          }}
        >
          <input aria-label={`Grant ${secret.name} to type`} placeholder="type" value={type} onChange={(e) => setType(e.target.value)} style={{ width: 110 }} />
          <button type="submit" className="small-button" disabled={!type.trim()}>
            Grant
          </button>
        </form>
      </div>
    </li>
  );
}
