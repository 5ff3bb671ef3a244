// "Create hook" on the Python and IX glyphs (docs/triggers.md): makes a webhook for the type and
// shows its URL (and signing secret) this once, with a copy button; they cannot be shown again.
import { useState } from 'react';
import { useServices } from '../app/services.js';
import { hookUrl, type CreatedHook } from '../api/triggers.js';
import './triggers.css';

export function HookButton({ scriptType }: { scriptType: string }) {
  const { triggers } = useServices();
  const [sign, setSign] = useState(false);
  const [made, setMade] = useState<CreatedHook | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  const create = async () => {
    setError(null);
    setCopied(false);
    try {
      setMade(await triggers.hooks.create(scriptType, sign));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const url = made ? hookUrl(window.location.origin, made.path) : '';

  return (
    <div className="hook-box" data-hook-for={scriptType}>
      <div className="secrets-form" style={{ margin: '4px 0' }}>
        <button type="button" className="small-button" onClick={() => void create()} aria-label={`Create hook for ${scriptType}`}>
          Create hook
        </button>
        <label className="muted small check-label">
          <input type="checkbox" checked={sign} onChange={(e) => setSign(e.target.checked)} /> signed (X-Hub-Signature-256)
        </label>
      </div>
      {error ? (
        <div className="triggers-error" role="alert">
          {error}
        </div>
      ) : null}
      {made ? (
        <div className="hook-created" role="status" data-hook-id={made.id}>
          <div>
            POST to this URL to run <code>ix {scriptType}</code> with the body as <code>ix.input</code>. It is shown once:
          </div>
          <div className="hook-url" data-testid="hook-url">
            {url}
          </div>
          {made.signing_secret ? (
            <div>
              Signing secret: <span className="hook-url" data-testid="hook-signing-secret">{made.signing_secret}</span>
            </div>
          ) : null}
          <div className="secrets-form" style={{ margin: 0 }}>
            <button
              type="button"
              className="small-button"
              onClick={() =>
                void navigator.clipboard?.writeText(url).then(
                  () => setCopied(true),
                  () => setCopied(false),
                )
              }
            >
              {copied ? 'Copied' : 'Copy URL'}
            </button>
            <button type="button" className="small-button" onClick={() => setMade(null)}>
              Done
            </button>
          </div>
        </div>
      ) : null}
    </div>
  );
}
