// Layer 2: the scenarios in Pyodide under Node, with the workerd-semantics fetch (shim.mjs).
//   node node_runner.mjs '<options JSON>'
// options: pyodide ("pyodide" | "pyodide-314": which npm package), bundle (zip path), compat,
// url, bad_url, cases (names). Prints one JSON line: the Python version and each case's outcome.
import { readFileSync } from "node:fs";
import { workerdFetch } from "./shim.mjs";
import { spyOn } from "./spy.mjs";

const options = JSON.parse(process.argv[2]);
const { loadPyodide } = await import(`${options.pyodide}/pyodide.mjs`);
const py = await loadPyodide();
// Only after loading: Pyodide reads its own files without fetch under Node, and the shim
// must not stand in for anything but the transport's upgrade.
const spy = spyOn(workerdFetch(options.compat));
globalThis.fetch = spy.fetch;
globalThis.cfSpy = spy;
py.unpackArchive(new Uint8Array(readFileSync(options.bundle)), "zip", { extractDir: "/site" });
py.runPython("import sys; sys.path.insert(0, '/site')");
const main = py.pyimport("cf_pyodide_main");
console.log(await main.run(JSON.stringify(options)));
process.exit(0);
