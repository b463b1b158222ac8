// The voice page: the microphone goes to the Realtime API over WebRTC, the reply plays from
// the call's audio track, and the call's events (data channel "oai-events") draw the
// transcript. The agent's tools run on the server, attached to the call by its id.
"use strict";

const $ = (id) => document.getElementById(id);

// What the page knows, readable from the console (and by the browser tests).
const voice = (window.voice = {
  status: "idle", callId: null, error: null, key: null,
  micLevel: 0, replyLevel: 0, replyPeak: 0, events: [], apiErrors: [],
});
let pc = null, channel = null, micTrack = null, audioContext = null, meterTimer = null;

function setStatus(state, text) {
  voice.status = state;
  const el = $("status");
  el.dataset.state = state;
  el.textContent = text;
  document.body.classList.toggle("speaking", state === "speaking");
}

function showError(message) {
  voice.error = message;
  const el = $("error");
  el.textContent = message;
  el.hidden = false;
  setStatus("error", "Not connected");
}

async function postJSON(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body || {}),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((data.error && data.error.message) || `HTTP ${response.status}`);
  return data;
}

// A key is minted when the page loads, so Start connects at once. It expires (the server
// chooses how soon): a page left open too long is told to reload.
async function mintKey() {
  try {
    voice.key = await postJSON("session");
  } catch (error) {
    showError(`Could not get a session key from the server: ${error.message}`);
  }
}

// -- transcript ------------------------------------------------------------------------------

const bubbles = new Map();

function bubble(id, who) {
  let el = bubbles.get(id);
  if (!el) {
    $("hint")?.remove();
    el = document.createElement("div");
    el.className = `msg ${who}`;
    el.dataset.item = id;
    const label = document.createElement("small");
    label.textContent = who === "user" ? "You" : "Agent";
    el.append(label, document.createElement("span"));
    $("transcript").append(el);
    bubbles.set(id, el);
  }
  return el;
}

function write(id, who, text, append) {
  const span = bubble(id, who).querySelector("span");
  span.textContent = append ? span.textContent + text : text;
  $("transcript").scrollTop = $("transcript").scrollHeight;
}

function toolCard(callId, name, args) {
  $("hint")?.remove();
  const el = document.createElement("div");
  el.className = "tool";
  el.dataset.call = callId;
  const head = document.createElement("div");
  head.innerHTML = "<span class=\"tag\">tool</span> <b></b> <code></code>";
  head.querySelector("b").textContent = name;
  head.querySelector("code").textContent = args;
  const result = document.createElement("div");
  result.className = "result";
  result.textContent = "running on the server…";
  el.append(head, result);
  $("transcript").append(el);
  bubbles.set(`tool:${callId}`, el);
}

function notice(text) {
  const el = document.createElement("div");
  el.className = "notice";
  el.textContent = text;
  $("transcript").append(el);
}

function toolResult(callId, output) {
  const el = bubbles.get(`tool:${callId}`);
  if (el) el.querySelector(".result").textContent = `→ ${output}`;
}

// -- the call's events -----------------------------------------------------------------------

const QUIET_ERRORS = new Set(["response_cancel_not_active", "event_too_large"]);

function onEvent(event) {
  voice.events.push(event.type);
  switch (event.type) {
    case "input_audio_buffer.speech_started":
      setStatus("listening", "Listening…");
      bubble(event.item_id, "user");
      break;
    case "conversation.item.input_audio_transcription.delta":
      write(event.item_id, "user", event.delta, true);
      break;
    case "conversation.item.input_audio_transcription.completed":
      write(event.item_id, "user", event.transcript, false);
      break;
    case "response.output_audio_transcript.delta":
    case "response.output_text.delta":
      write(event.item_id, "agent", event.delta, true);
      break;
    case "response.output_item.done":
      if (event.item.type === "function_call") {
        toolCard(event.item.call_id, event.item.name, event.item.arguments);
      }
      break;
    case "conversation.item.added":
    case "conversation.item.done":
      if (event.item.type === "function_call_output") toolResult(event.item.call_id, event.item.output);
      break;
    case "output_audio_buffer.started":
      setStatus("speaking", "Speaking…");
      break;
    case "output_audio_buffer.stopped":
      setStatus("listening", "Listening…");
      break;
    case "output_audio_buffer.cleared":
      markInterrupted();
      setStatus("listening", "Interrupted — listening…");
      break;
    case "error":
      // An error event does not end the call (that is the data channel closing): show it in
      // the conversation and carry on. Not news for the user: a cancel with nothing to cancel,
      // and an event too large for the data channel (the server's sideband retrieves whole
      // items, long audio included; the page never asks for them).
      if (event.error && !QUIET_ERRORS.has(event.error.code)) {
        voice.apiErrors.push(event.error.message);
        notice(`The API reported: ${event.error.message}`);
      }
      break;
  }
}

function markInterrupted() {
  const agents = document.querySelectorAll(".msg.agent");
  if (agents.length) agents[agents.length - 1].classList.add("interrupted");
}

// -- levels (WebAudio): what the microphone hears and what the reply plays -------------------

function analyser(stream) {
  const node = audioContext.createAnalyser();
  node.fftSize = 1024;
  audioContext.createMediaStreamSource(stream).connect(node);
  const samples = new Float32Array(node.fftSize);
  return () => {
    node.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    return Math.sqrt(sum / samples.length);
  };
}

function startMeters(micStream, replyStream) {
  const mic = analyser(micStream), reply = analyser(replyStream);
  meterTimer = setInterval(() => {
    voice.micLevel = mic();
    voice.replyLevel = reply();
    voice.replyPeak = Math.max(voice.replyPeak, voice.replyLevel);
    $("mic-level").style.width = `${Math.min(100, voice.micLevel * 400)}%`;
    $("reply-level").style.width = `${Math.min(100, voice.replyLevel * 400)}%`;
  }, 50);
}

// -- connecting ------------------------------------------------------------------------------

function gathered(peer) {
  // The API takes the offer with its candidates (no trickle): wait for gathering to end.
  if (peer.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    peer.addEventListener("icegatheringstatechange", () => {
      if (peer.iceGatheringState === "complete") resolve();
    });
    setTimeout(resolve, 3000);
  });
}

async function start() {
  $("error").hidden = true;
  voice.error = null;
  if (!voice.key) await mintKey();
  if (!voice.key) return;
  setStatus("connecting", "Connecting…");
  $("start").disabled = true;
  try {
    audioContext = new AudioContext();
    const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
    micTrack = mic.getAudioTracks()[0];
    pc = new RTCPeerConnection();
    pc.addTrack(micTrack, mic);
    const replyReady = new Promise((resolve) => {
      pc.ontrack = (event) => {
        const stream = event.streams[0] || new MediaStream([event.track]);
        $("reply").srcObject = stream;  // Chrome feeds WebAudio a remote track only if it plays
        resolve(stream);
      };
    });
    channel = pc.createDataChannel("oai-events");
    channel.onmessage = (message) => onEvent(JSON.parse(message.data));
    channel.onclose = () => hangUp("The call ended.");
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);

    const response = await fetch(voice.key.calls_url, {
      method: "POST", body: pc.localDescription.sdp,
      headers: { Authorization: `Bearer ${voice.key.value}`, "Content-Type": "application/sdp" },
    });
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      throw new Error(callError(response.status, data));
    }
    voice.callId = response.headers.get("Location").split("/").pop();
    await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
    await postJSON("call", { call_id: voice.callId });
    startMeters(mic, await replyReady);
    setStatus("listening", "Listening…");
    for (const id of ["mute", "interrupt", "stop"]) $(id).disabled = false;
  } catch (error) {
    hangUp();
    showError(error.message);
  }
}

function callError(status, data) {
  if (status === 401) {
    // Ephemeral keys are short-lived: a page left open past its key's life lands here.
    voice.key = null;  // the next Start mints a new one
    return "This page's session key has expired. Press Start again (or reload the page) to get a new one.";
  }
  const message = (data.error && data.error.message) || `HTTP ${status}`;
  return `The Realtime API refused the call (${status}): ${message}`;
}

function send(event) {
  if (channel && channel.readyState === "open") channel.send(JSON.stringify(event));
}

function interrupt() {
  // Over WebRTC the server owns playback: cancel the response and clear what is queued.
  send({ type: "response.cancel" });
  send({ type: "output_audio_buffer.clear" });
}

function toggleMute() {
  if (!micTrack) return;
  micTrack.enabled = !micTrack.enabled;
  $("mute").setAttribute("aria-pressed", String(!micTrack.enabled));
  $("mute").textContent = micTrack.enabled ? "Mute" : "Unmute";
}

function hangUp(message) {
  clearInterval(meterTimer);
  if (channel) channel.onclose = null;
  if (pc) pc.close();
  if (micTrack) micTrack.stop();
  if (audioContext) audioContext.close();
  pc = channel = micTrack = audioContext = null;
  for (const id of ["mute", "interrupt", "stop"]) $(id).disabled = true;
  $("start").disabled = false;
  if (message) setStatus("idle", message);
}

$("start").addEventListener("click", start);
$("mute").addEventListener("click", toggleMute);
$("interrupt").addEventListener("click", interrupt);
$("stop").addEventListener("click", () => hangUp("Call ended — press Start to talk again."));
mintKey();
