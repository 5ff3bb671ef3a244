// The canvas application: services, Pulse (live), the canvas store, and the surface with its chrome.
import { useEffect, useMemo, useState } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import { CanvasProvider } from './app/canvas.js';
import { PulseProvider } from './app/pulse.js';
import { createServices, ServicesContext } from './app/services.js';
import { Canvas } from './canvas/Canvas.js';
import { CloseGlyphProvider } from './ui/CloseGlyph.js';
import { CommandPalette } from './ui/CommandPalette.js';
import { Shortcuts } from './ui/Shortcuts.js';
import { Toolbar } from './ui/Toolbar.js';
import { UndoToast } from './ui/UndoToast.js';

/** `token`: the access token the page keeps (undefined: none, every request is then refused but /health's). */
export function App({ token }: { token: string | undefined }) {
  const services = useMemo(() => createServices(token), [token]);
  const [paletteOpen, setPaletteOpen] = useState(false);

  useEffect(() => {
    // Capture phase: works even while focus is in the code editor or an input.
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        e.stopPropagation();
        setPaletteOpen((o) => !o);
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);

  return (
    <ServicesContext.Provider value={services}>
      <ReactFlowProvider>
        <PulseProvider>
          <CanvasProvider>
            <CloseGlyphProvider>
              <main className="app">
                <Toolbar onOpenPalette={() => setPaletteOpen(true)} />
                <Canvas />
                <CommandPalette open={paletteOpen} onClose={() => setPaletteOpen(false)} />
                <UndoToast />
                <Shortcuts />
              </main>
            </CloseGlyphProvider>
          </CanvasProvider>
        </PulseProvider>
      </ReactFlowProvider>
    </ServicesContext.Provider>
  );
}
