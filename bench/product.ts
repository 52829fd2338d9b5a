/**
 * The soak code a bench worker measures: the compiled dist/ that `bin/mqtt-doctor.js` runs, not src/ through tsx.
 * tsx compiles with esbuild's keepNames (tsx dist: `keepNames: !0`), which wraps every named arrow function in
 * `__name(fn, "name")`, an Object.defineProperty that gives each closure its own dictionary of properties
 * (about 256 B more per closure in a V8 heap snapshot): a soak run from src/ held ~0.6 KB more per idle
 * connection than the product does. `npm run bench` builds dist/ first; a dist/ older than src/ is refused.
 * MQD_BENCH_DIST=dir measures another build instead (e.g. an older commit's, built with tsc --outDir), to
 * compare two builds against the same bare script in the same run.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type Runner = typeof import('../src/measure/soak/runner.js');
type Reconnect = typeof import('../src/config/reconnect.js');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = process.env.MQD_BENCH_DIST ?? join(root, 'dist');

/** Newest modification time (ms) of the .ts/.js files under `dir`. */
function newestMs(dir: string, ext: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith(ext)) newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

/** Throws unless dist/ exists and was built after the last change to src/. Call in the parent, once. */
export function checkBuilt(): void {
  if (process.env.MQD_BENCH_DIST !== undefined) return;
  if (!existsSync(join(dist, 'measure/soak/runner.js')) || newestMs(dist, '.js') < newestMs(join(root, 'src'), '.ts'))
    throw new Error(
      'bench: dist/ is missing or older than src/; run `npm run bench` (it builds) or `npx tsc -p tsconfig.json`',
    );
}

export async function loadSoak(): Promise<{
  startSoak: Runner['startSoak'];
  parseReconnectPolicy: Reconnect['parseReconnectPolicy'];
}> {
  const load = async <T>(rel: string): Promise<T> => (await import(pathToFileURL(join(dist, rel)).href)) as T;
  const { startSoak } = await load<Runner>('measure/soak/runner.js');
  const { parseReconnectPolicy } = await load<Reconnect>('config/reconnect.js');
  return { startSoak, parseReconnectPolicy };
}
