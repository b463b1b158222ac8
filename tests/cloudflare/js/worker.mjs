// Layer 3: Pyodide inside real workerd, running the scenarios (cf_cases.py) through
// CloudflareRealtimeTransportLayer with workerd's own fetch and WebSocket.
//
// A real Python Worker cannot start offline (workerd downloads its Pyodide bundle), so this JS
// worker loads the npm Pyodide itself. Its modules (config.capnp): Pyodide's files, our
// bundle.zip (wheels, pure dependencies, scenarios, the example Worker), spy.mjs. POST /run
// with the options JSON of cf_pyodide_main.run answers with its results; POST /example runs
// the example Worker's handler (cf_pyodide_main.run_example); POST /probe runs probe.mjs
// (no Python); POST /bench/raw and /bench/python serve benchmarks/cloudflare_worker.py.
// Pyodide boots on the first request and is reused by the next ones.
import { hiddenProcess } from "./worker_shim.mjs";
import { loadPyodide } from "./pyodide.mjs";
import createModule314 from "./pyodide.asm.mjs"; // Pyodide 314 (a stub module for 0.28)
import "./pyodide.asm.js"; // Pyodide 0.28 sets globalThis._createPyodideModule (a stub for 314)
import wasm from "./pyodide.asm.wasm";
import stdlib from "./python_stdlib.zip";
import lock from "./pyodide-lock.json";
import bundle from "./bundle.zip";
import { rawTurn } from "./bench_raw.mjs";
import { probe } from "./probe.mjs";
import { spyOn } from "./spy.mjs";

const realFetch = globalThis.fetch;
let booted = null;

function serveWasmFromTheModule() {
  // Pyodide asks for pyodide.asm.wasm by URL; workerd already compiled the embedded one.
  const instantiate = WebAssembly.instantiate.bind(WebAssembly);
  WebAssembly.instantiateStreaming = async (_response, imports) => ({
    instance: await instantiate(wasm, imports),
    module: wasm,
  });
  WebAssembly.instantiate = async (what, imports) =>
    what instanceof WebAssembly.Module ? instantiate(what, imports) : { instance: await instantiate(wasm, imports), module: wasm };
}

function compileThroughUnsafeEval(env) {
  // Emscripten compiles small wasm trampolines at run time, which workerd forbids unless the
  // UNSAFE_EVAL binding does it; instanceof must keep working on the replacement.
  const Real = WebAssembly.Module;
  const Patched = function Module(bytes) {
    return env.UNSAFE_EVAL.newWasmModule(bytes);
  };
  Patched.prototype = Real.prototype;
  Object.setPrototypeOf(Patched, Real);
  WebAssembly.Module = Patched;
}

async function boot(env) {
  serveWasmFromTheModule();
  compileThroughUnsafeEval(env);
  // Pyodide fetches its files from indexURL: the stdlib comes from its module, and the wasm
  // response is never read (instantiateStreaming above ignores it).
  globalThis.fetch = async (url, init) => {
    const name = String(url);
    if (name.endsWith("python_stdlib.zip")) return new Response(stdlib);
    if (name.startsWith("https://pyodide.invalid/")) return new Response(null);
    return realFetch(url, init);
  };
  try {
    const options = { indexURL: "https://pyodide.invalid/", lockFileContents: JSON.stringify(lock) };
    if (typeof globalThis._createPyodideModule !== "function") options.createPyodideModule = createModule314;
    const py = await loadPyodide(options);
    py.unpackArchive(new Uint8Array(bundle), "zip", { extractDir: "/site" });
    py.runPython("import sys; sys.path.insert(0, '/site')");
    return py;
  } finally {
    if (hiddenProcess !== undefined) globalThis.process = hiddenProcess; // see worker_shim.mjs
    globalThis.fetch = realFetch;
  }
}

export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path === "/probe") {
      const options = await request.json();
      return Response.json(await probe(realFetch, options.url, options.bad_url));
    }
    if (path === "/bench/raw") {
      const options = await request.json();
      return Response.json(await rawTurn(realFetch, options.url, options.question));
    }
    const started = Date.now();
    const cold = booted === null;
    booted ??= boot(env);
    const py = await booted;
    const bootMs = Date.now() - started;
    const spy = spyOn(realFetch);
    globalThis.fetch = spy.fetch; // what the transport's default, js.fetch, is
    globalThis.cfSpy = spy;
    try {
      const main = py.pyimport("cf_pyodide_main");
      const run = { "/example": main.run_example, "/bench/python": main.bench }[path] ?? main.run;
      const out = JSON.parse(await run(await request.text()));
      return Response.json({ ...out, cold, bootMs, process: typeof globalThis.process });
    } finally {
      globalThis.fetch = realFetch;
    }
  },
};
