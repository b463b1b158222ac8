// A fetch for Node with workerd's WebSocket-upgrade semantics, built on the `ws` client.
//
// Layer 2 of the Cloudflare tests runs Pyodide under Node with this as globalThis.fetch. It is
// the JavaScript twin of ../cf_fetch.py, and probe.mjs compares it with real workerd:
//   - a non-101 answer is a Response with webSocket === null and a readable body;
//   - send() before accept() throws; messages wait for accept(); there is no "open" event;
//   - binaryType defaults to "arraybuffer" before compat 2026-11-01 and "blob" from it;
//   - a close gives "close" (wasClean) and, from 2026-11-01, then an "error" event
//     "Network connection lost."; send() after close is ignored before that date, throws from it.
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
    this._closed = false;
    this._pending = [];
    client.on("message", (data, isBinary) => {
      if (!isBinary) return this._queue(messageEvent(data.toString("utf8")));
      const bytes = new Uint8Array(data);
      const body = this.binaryType === "arraybuffer" ? bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) : new Blob([bytes]);
      this._queue(messageEvent(body));
    });
    client.on("close", (code, reason) => {
      this._closed = true;
      this.readyState = this._new ? 3 : 2;
      const clean = code !== 1006;
      const event = new Event("close");
      Object.assign(event, { code, reason: reason.toString("utf8"), wasClean: clean });
      this._queue(event);
      if (this._new) {
        const error = new Event("error");
        Object.assign(error, { message: "Network connection lost.", error: null });
        this._queue(error);
      }
    });
    client.on("error", () => {}); // a lost connection also closes: reported as "close"
  }
  accept() {
    this._accepted = true;
    const pending = this._pending;
    this._pending = [];
    for (const event of pending) this._dispatchLater(event);
  }
  send(data) {
    if (!this._accepted) throw new TypeError("You must call one of accept() or state.acceptWebSocket() first.");
    if (this._closed) {
      if (this._new) throw new TypeError("Can't call WebSocket send() after close().");
      return;
    }
    this._client.send(data);
  }
  close(code = 1000, reason = "") {
    if (this._closed) return;
    this._closed = true;
    this.readyState = 2;
    this._client.close(code, reason);
  }
  _queue(event) {
    if (this._accepted) this._dispatchLater(event);
    else this._pending.push(event);
  }
  _dispatchLater(event) {
    setTimeout(() => this.dispatchEvent(event), 0);
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
