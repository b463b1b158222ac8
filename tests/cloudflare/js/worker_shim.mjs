// Imported first by worker.mjs: the browser-ish globals Pyodide probes for at module load.
// Without them pyodide.mjs throws "Cannot determine runtime environment" inside workerd.
globalThis.importScripts = () => {
  throw new TypeError("no importScripts in workerd"); // Pyodide then uses import()
};
globalThis.location = new URL("https://pyodide.invalid/");
// Emscripten otherwise calls addEventListener("message", cb, true), which workerd rejects.
globalThis.setImmediate = (callback, ...args) => setTimeout(callback, 0, ...args);
// From compat 2026-11-01 workerd has `process` (and Buffer): pyodide.mjs, evaluated right
// after this module, would then take its Node path ("require is not defined"). Hidden until
// Pyodide has booted; worker.mjs puts it back.
export const hiddenProcess = globalThis.process;
delete globalThis.process;
