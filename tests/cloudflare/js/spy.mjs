// Watches the sockets a fetch hands out: counts the event listeners left on the newest one,
// records exceptions a listener lets escape into the runtime's event dispatch, and lets a test
// close the newest socket behind the channel's back. The sockets are the runtime's own
// (workerd's in layer 3, the shim's in layer 2); their methods are called unchanged.
export function spyOn(fetch) {
  const sockets = [];
  const errors = [];
  async function spied(url, init) {
    const response = await fetch(url, init);
    const ws = response.webSocket;
    if (ws) sockets.push(watch(ws, errors));
    return response;
  }
  return {
    fetch: spied,
    listeners: () => sockets.at(-1).live.size,
    closeSocket: () => sockets.at(-1).ws.close(1000, "closed by the test"),
    errors: () => errors.splice(0).join("\n"),
  };
}

function watch(ws, errors) {
  const live = new Map(); // "type" + callback -> the wrapper registered in its place
  const add = ws.addEventListener.bind(ws);
  const remove = ws.removeEventListener.bind(ws);
  const key = (type, callback) => [type, callback];
  ws.addEventListener = (type, callback) => {
    const guarded = (event) => {
      try {
        return callback(event);
      } catch (error) {
        errors.push(`${type} listener threw: ${error}`);
      }
    };
    live.set(find(live, type, callback) ?? key(type, callback), guarded);
    return add(type, guarded);
  };
  ws.removeEventListener = (type, callback) => {
    const found = find(live, type, callback);
    if (found) {
      remove(type, live.get(found));
      live.delete(found);
    }
  };
  return { ws, live };
}

function find(live, type, callback) {
  for (const entry of live.keys()) if (entry[0] === type && entry[1] === callback) return entry;
  return undefined;
}
