// Browser and worker loader: fetches the .wasm next to this file (bundlers can
// rewrite the URL) and instantiates it with the ES-module build of the glue.
import type { NeurovecWasmModule } from '../wasm_module.js';

type Factory = (options: { wasmBinary: ArrayBuffer }) => Promise<NeurovecWasmModule>;

export async function loadBrowserModule(): Promise<NeurovecWasmModule> {
  const { default: factory } = (await import('../wasm/neurovec.mjs' as string)) as { default: Factory };
  const response = await fetch(new URL('../wasm/neurovec.wasm', import.meta.url));
  if (!response.ok) throw new Error(`neurovec: could not load neurovec.wasm (HTTP ${response.status})`);
  return factory({ wasmBinary: await response.arrayBuffer() });
}
