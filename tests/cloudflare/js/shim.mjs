// A fetch for Node with workerd's WebSocket-upgrade semantics, built on the `ws` client.
//
// Layer 2 of the Cloudflare tests runs Pyodide under Node with this as globalThis.fetch. It is
// the JavaScript twin of ../cf_fetch.py, and probe.mjs compares it with real workerd:
//   - a non-101 answer is a Response with webSocket === null and a readable body;
//   - send() before accept() throws; messages wait for accept(); there is no "open" event;
//   - binaryType defaults to "arraybuffer" before compat 2026-11-01 and "blob" from it;
//   - readyState changes when the close event is dispatched: 2 before 2026-11-01, 3 from it
//     (3 for a close the worker started);
//   - a server's close gives "close" (wasClean) and, from 2026-11-01, then an "error" event
//     "Network connection lost."; send() after it is ignored before that date, throws from it;
//   - send() after the worker's own close() throws at both dates.
import WebSocket from "ws";

export const NEW_COMPAT = "2026-11-01";
const HOP = new Set(["upgrade", "connection", "sec-websocket-protocol"]);

class WorkerdSocket extends EventTarget {
  constructor(client, compat) {
    super();
    this._client = client;
    this._new = compat >= NEW_COMPAT;
    this.binaryType = this._new ? "blob" : "arraybuffer";
    this.readyState = 1;
    this._accepted = false;
    this._closedByUs = false;
    this._closedByPeer = false;
    this._pending = [];
    client.on("message", (data, isBinary) => {
      if (!isBinary) return this._queue(messageEvent(data.toString("utf8")));
      const bytes = new Uint8Array(data);
      const body = this.binaryType === "arraybuffer" ? bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) : new Blob([bytes]);
      this._queue(messageEvent(body));
    });
    client.on("close", (code, reason) => {
      const byUs = this._closedByUs;
      this._closedByPeer = !byUs;
      const event = new Event("close");
      Object.assign(event, { code, reason: byUs ? "" : reason.toString("utf8"), wasClean: code !== 1006 });
      // readyState changes as the event is dispatched, not when the frame arrives.
      this._queue(event, () => (this.readyState = byUs || this._new ? 3 : 2));
      if (this._new && !byUs) {
        const error = new Event("error");
        Object.assign(error, { message: "Uncaught Error: Network connection lost.", error: null });
        this._queue(error);
      }
    });
    client.on("error", () => {}); // a lost connection also closes: reported as "close"
  }
  accept() {
    this._accepted = true;
    const pending = this._pending;
    this._pending = [];
    for (const [event, before] of pending) this._dispatchLater(event, before);
  }
  send(data) {
    if (!this._accepted) throw new TypeError("You must call one of accept() or state.acceptWebSocket() on this WebSocket before sending messages.");
    if (this._closedByUs || (this._closedByPeer && this._new)) throw new TypeError("Can't call WebSocket send() after close().");
    if (this._closedByPeer) return; // ignored before 2026-11-01
    this._client.send(data);
  }
  close(code = 1000, reason = "") {
    if (this._closedByUs || this._closedByPeer) return;
    this._closedByUs = true;
    this.readyState = 2;
    this._client.close(code, reason);
  }
  _queue(event, before = null) {
    if (this._accepted) this._dispatchLater(event, before);
    else this._pending.push([event, before]);
  }
  _dispatchLater(event, before) {
    setTimeout(() => {
      before?.();
      this.dispatchEvent(event);
    }, 0);
  }
}

function messageEvent(data) {
  const event = new Event("message");
  event.data = data;
  return event;
}

export function workerdFetch(compat) {
  return async function fetch(url, init = {}) {
    const headers = {};
    const all = init.headers instanceof Map ? Object.fromEntries(init.headers) : (init.headers ?? {});
    let protocols = [];
    for (const [name, value] of Object.entries(all)) {
      if (name.toLowerCase() === "sec-websocket-protocol") protocols = value.split(",").map((p) => p.trim()).filter(Boolean);
      else if (!HOP.has(name.toLowerCase())) headers[name] = value;
    }
    const target = String(url).replace(/^http/, "ws");
    return await new Promise((resolve, reject) => {
      const client = new WebSocket(target, protocols, { headers });
      client.once("upgrade", () => {});
      client.once("open", () => {
        const chosen = client.protocol ? { "sec-websocket-protocol": client.protocol } : {};
        resolve(response(101, new WorkerdSocket(client, compat), chosen, ""));
      });
      client.once("unexpected-response", (request, res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => {
          resolve(response(res.statusCode, null, {}, Buffer.concat(chunks).toString("utf8")));
          request.destroy();
        });
      });
      client.once("error", (error) => reject(new TypeError(`Network connection lost. (${error.message})`)));
    });
  };
}

function response(status, webSocket, headers, body) {
  return { status, webSocket, headers: new Headers(headers), text: async () => body };
}
