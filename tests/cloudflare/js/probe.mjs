// The probe that keeps the shims honest: the same WebSocket-upgrade scenarios, traced event by
// event, in real workerd (worker.mjs, GET /probe) and under Node with shim.mjs (probe_node.mjs).
// test_cf_probe.py asserts the two traces are identical at each compat date; the CPython twin
// (cf_fetch.py) is held to the same trace by test_cf_cpython.py.
const SETTLE_MS = 300;
// Only deterministic scenarios: a server's close racing the worker's own sends ends, in real
// workerd, as a clean close, a 1006 close "WebSocket disconnected without sending Close
// frame." or (from 2026-11-01) a bare error event, depending on timing; cf_cases.py's
// peer_closes_while_we_send covers the transport there, and test_cf_transport.py each ending.

export async function probe(fetch, url, badUrl) {
  return {
    serverCloses1000: await scenario(fetch, `${url}&fault=close_after:1:1000`, null),
    serverCloses1011: await scenario(fetch, `${url}&fault=close_after:1:1011`, null),
    workerCloses: await scenario(fetch, url, (ws) => ws.close(1000, "bye")),
    refused: await refused(fetch, badUrl),
  };
}

function upgrade(fetch, url) {
  const target = url.replace(/^ws/, "http");
  return fetch(target, {
    method: "GET",
    headers: { Authorization: "Bearer sk-probe", Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Protocol": "realtime" },
  });
}

async function scenario(fetch, url, afterFirstMessage) {
  const trace = [];
  const response = await upgrade(fetch, url);
  const ws = response.webSocket;
  trace.push(["response", response.status, typeof ws, response.headers.get("sec-websocket-protocol")]);
  trace.push(["before accept", ws.readyState, ws.binaryType, attempt(() => ws.send("{}"))]);
  let first = true;
  let closed;
  const done = new Promise((resolve) => (closed = resolve));
  for (const type of ["open", "message", "close", "error"]) {
    ws.addEventListener(type, (event) => {
      if (type === "message") {
        if (!first) return; // the count of server events is the emulator's business
        first = false;
        trace.push(["message", typeof event.data, ws.readyState]);
        if (afterFirstMessage) {
          afterFirstMessage(ws);
          trace.push(["after close()", ws.readyState, attempt(() => ws.send("{}"))]);
          setTimeout(closed, SETTLE_MS);
        }
        return;
      }
      trace.push([type, event.code ?? null, event.reason ?? null, event.wasClean ?? null, event.message ?? null, ws.readyState]);
      if (type === "close") setTimeout(closed, SETTLE_MS);
    });
  }
  ws.accept();
  await done;
  trace.push(["send after close", attempt(() => ws.send("{}"))]);
  return trace;
}

async function refused(fetch, badUrl) {
  const response = await upgrade(fetch, badUrl);
  const body = await response.text();
  return [["response", response.status, response.webSocket === null ? "null" : typeof response.webSocket, body.slice(0, 40)]];
}

function attempt(action) {
  try {
    action();
    return "ok";
  } catch (error) {
    return `${error.constructor.name}: ${error.message}`;
  }
}
