import { loadSettings } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { startServer } from '../src/server/serve.js';
import { tempDir } from '../test/helpers.js';
const dir = tempDir('qntx-hp-');
const server = await startServer(loadSettings({ dataDir: dir, port: 0, logLevel: 'silent' }, {}), { logger: silentLogger() });
for (let t = 0; t < 50; t++) await server.qntx.handlers.register({ script_type: `type-${t}`, code: `print(${t})` }, 'bench');
const auth = { authorization: `Bearer ${server.token}` };
const http = async (p: string) => { const r = await fetch(server.url + p, { headers: auth }); if (r.status !== 200) throw new Error(String(r.status)); await r.arrayBuffer(); };
for (const [name, p] of [['health', '/health'], ['query', '/api/attestations?predicates=ix_handler&contexts=type-7&limit=1']] as const) {
  for (let i = 0; i < 300; i++) await http(p);
  const ms: number[] = [];
  for (let i = 0; i < 2000; i++) { const t = performance.now(); await http(p); ms.push(performance.now() - t); }
  ms.sort((a, b) => a - b);
  console.log(name, 'p50', ms[1000].toFixed(3), 'p90', ms[1800].toFixed(3));
}
await server.close();
