// The benchmark's floor (benchmarks/cloudflare_worker.py): what a plain JS worker does for one
// Realtime turn over the same fetch() upgrade — accept, JSON.parse every frame, base64-decode
// each audio delta — with no Python anywhere. Times with performance.now().
export async function rawTurn(fetch, url, question) {
  const started = performance.now();
  const response = await fetch(url.replace(/^ws/, "http"), {
    method: "GET",
    headers: { Authorization: "Bearer sk-bench", Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Protocol": "realtime" },
  });
  const ws = response.webSocket;
  ws.binaryType = "arraybuffer";
  let created;
  let turnStarted;
  let deltas = 0;
  let bytes = 0;
  const done = new Promise((resolve) => {
    ws.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "session.created") {
        created = performance.now();
        turnStarted = performance.now();
        ws.send(JSON.stringify({ type: "conversation.item.create", item: { type: "message", role: "user", content: [{ type: "input_text", text: question }] } }));
        ws.send(JSON.stringify({ type: "response.create" }));
      } else if (message.type === "response.output_audio.delta") {
        bytes += decode(message.delta).length;
        deltas += 1;
      } else if (message.type === "response.done") {
        resolve(performance.now());
      }
    });
  });
  ws.accept();
  const ended = await done;
  ws.close(1000, "");
  return { connectMs: created - started, turnMs: ended - turnStarted, deltas, bytes };
}

function decode(base64) {
  // The cheapest base64 decode workerd offers on every compat date (no Buffer before 2026-11-01).
  const text = atob(base64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
