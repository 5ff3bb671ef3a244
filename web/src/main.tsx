// Entry point of the qntx canvas: trades the URL's access token for the session cookie, then renders.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { App } from './App.js';
import { startSession } from './api/session.js';

function render(): void {
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}

// Rendered after the swap, so that the first requests already carry the cookie.
void startSession({
  location: window.location,
  replaceUrl: (url) => window.history.replaceState(window.history.state, '', url),
  post: (url, init) => window.fetch(url, init),
}).finally(render);
