// facetrack guided capture: camera frames to /capture/frame (>= 10 per second), live checks,
// the ghost outline of the baseline face, and a burst of three photos when all is in tolerance.
"use strict";
(function () {
  const FRAME_WIDTH = 1280;     // frames sent for feedback: 720p (larger cameras downscaled)
  const IN_FLIGHT = 2;          // requests at once: keeps the rate up while one is measured
  const READY_FRAMES = 3;       // consecutive frames in tolerance before the burst
  const BURST = 3, BURST_GAP_MS = 250;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const video = document.getElementById("video");
  const ghost = document.getElementById("ghost");
  const status = document.getElementById("status");
  const checks = document.getElementById("checks");
  const advice = document.getElementById("advice");
  const rate = document.getElementById("rate");
  const taken = document.getElementById("taken");
  const startButton = document.getElementById("start");
  const stopButton = document.getElementById("stop");
  const small = document.createElement("canvas");
  let stream = null, running = false, inFlight = 0, readyRun = 0, busy = false;
  let times = [], latencies = [];
  window.facetrackCapture = { frames: 0, bursts: 0, imported: [] };

  function setStatus(text) { status.textContent = text; }

  function drawGhost(data) {
    const g = data && data.ghost;
    ghost.width = video.videoWidth; ghost.height = video.videoHeight;
    const ctx = ghost.getContext("2d");
    ctx.clearRect(0, 0, ghost.width, ghost.height);
    if (!g) return;
    ctx.strokeStyle = "rgba(255,255,255,0.75)";
    ctx.lineWidth = Math.max(2, ghost.width / 400);
    ctx.setLineDash([8, 6]);
    Object.values(g.groups).forEach(function (points) {
      ctx.beginPath();
      points.forEach(function (p, i) { if (i) ctx.lineTo(p[0], p[1]); else ctx.moveTo(p[0], p[1]); });
      ctx.stroke();
    });
  }

  function showFeedback(f) {
    checks.replaceChildren();
    if (!f.face) {
      setStatus("No face found: face the camera.");
      advice.textContent = "";
      return;
    }
    f.checks.forEach(function (c) {
      const li = document.createElement("li");
      li.className = c.ok ? "ok" : "bad";
      li.dataset.check = c.name;
      li.textContent = c.name + ": " + c.value + (c.hint ? " – " + c.hint : "");
      checks.appendChild(li);
    });
    advice.textContent = f.advice ? "To match your usual photos: " + f.advice : "";
    if (f.ready) setStatus("Hold still…");
    else if (f.reasons.length) setStatus("Not yet: " + f.reasons[0]);
    else setStatus("Adjust as shown.");
  }

  function sendFrame() {
    if (!running || busy || inFlight >= IN_FLIGHT || !video.videoWidth) return;
    const scale = Math.min(1, FRAME_WIDTH / video.videoWidth);
    small.width = Math.round(video.videoWidth * scale);
    small.height = Math.round(video.videoHeight * scale);
    small.getContext("2d").drawImage(video, 0, 0, small.width, small.height);
    inFlight += 1;
    const started = performance.now();
    small.toBlob(function (blob) {
      fetch("/capture/frame", { method: "POST", body: blob, credentials: "same-origin",
        headers: { "Content-Type": "image/jpeg", "X-CSRF-Token": csrf } })
        .then(function (r) { return r.json(); })
        .then(function (f) {
          inFlight -= 1;
          const now = performance.now();
          times.push(now); latencies.push(now - started);
          times = times.filter(function (t) { return now - t < 2000; });
          latencies = latencies.slice(-20);
          window.facetrackCapture.frames += 1;
          const mean = latencies.reduce(function (a, b) { return a + b; }, 0) / latencies.length;
          rate.textContent = (times.length / 2).toFixed(1) + " frames/s, feedback in " +
            Math.round(mean) + " ms";
          if (!running || busy) return;
          showFeedback(f);
          readyRun = f.ready ? readyRun + 1 : 0;
          if (readyRun >= READY_FRAMES) burst();
          else sendFrame();
        })
        .catch(function () { inFlight -= 1; });
    }, "image/jpeg", 0.8);
  }

  function grab() {
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.92); });
  }

  function wait(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  async function burst() {
    busy = true;
    setStatus("Taking three photos…");
    const blobs = [];
    for (let i = 0; i < BURST; i += 1) {
      blobs.push(await grab());
      if (i < BURST - 1) await wait(BURST_GAP_MS);
    }
    const data = new FormData();
    blobs.forEach(function (b, i) { data.append("files", b, "capture-" + (i + 1) + ".jpg"); });
    const session = document.getElementById("session").value;
    if (session) data.append("session", session);
    setStatus("Importing…");
    try {
      const response = await fetch("/capture/burst", { method: "POST", body: data,
        credentials: "same-origin", headers: { "X-CSRF-Token": csrf } });
      const body = await response.json();
      window.facetrackCapture.bursts += 1;
      taken.replaceChildren();
      (body.results || []).forEach(function (r) {
        const p = document.createElement("p");
        p.className = r.outcome === "imported" && r.status === "ok" ? "" : "reason";
        p.textContent = r.name + ": " + (r.outcome === "imported" ? r.status +
          (r.reasons.length ? " (" + r.reasons.join("; ") + ")" : "") : (r.error || r.outcome));
        if (r.id) window.facetrackCapture.imported.push(r.id);
        taken.appendChild(p);
      });
      setStatus(body.error ? "Not imported: " + body.error : "Done: three photos in your library.");
    } catch (e) {
      setStatus("The photos could not be imported.");
    }
    stop();
  }

  async function start() {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: false,
        video: { width: { ideal: 1280 }, height: { ideal: 720 }, facingMode: "user" } });
    } catch (e) {
      setStatus("No camera: " + e.message);
      return;
    }
    video.srcObject = stream;
    await video.play();
    if (!video.videoWidth) await new Promise(function (r) { video.onloadedmetadata = r; });
    const g = await fetch("/capture/ghost?w=" + video.videoWidth + "&h=" + video.videoHeight,
      { credentials: "same-origin" }).then(function (r) { return r.json(); });
    drawGhost(g);
    running = true; busy = false; readyRun = 0;
    startButton.hidden = true; stopButton.hidden = false;
    setStatus("Looking…");
    for (let i = 0; i < IN_FLIGHT; i += 1) sendFrame();
    // a steady tick keeps the rate up should a reply be lost
    window.facetrackTick = setInterval(sendFrame, 50);
  }

  function stop() {
    running = false;
    clearInterval(window.facetrackTick);
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    startButton.hidden = false; stopButton.hidden = true;
    startButton.textContent = "Take more";
  }

  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", function () { stop(); setStatus("Camera off."); });
})();
