// Entry point of the qntx canvas: takes the access token (from the URL, else web storage), then renders.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { App } from './App.js';
import { takeToken } from './api/session.js';

/** localStorage, or undefined when the browser refuses it (reading the property itself may throw). */
function localStore(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

const token = takeToken({
  location: window.location,
  replaceUrl: (url) => window.history.replaceState(window.history.state, '', url),
  storage: localStore(),
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App token={token} />
  </StrictMode>,
);
