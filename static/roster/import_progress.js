// The import job page's progress bar, fed by ws/academy/imports/<id>/ (a file, not inline:
// the site's Content-Security-Policy runs no inline script).
(function () {
  const script = document.currentScript;
  const labels = JSON.parse(document.getElementById("import-stage-labels").textContent);
  const bar = document.getElementById("import-progress");
  const status = document.getElementById("import-status");
  const stage = document.getElementById("import-stage");
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + script.dataset.socket);
  socket.onmessage = (event) => {
    const m = JSON.parse(event.data);
    if (m.total) { bar.max = m.total; bar.value = m.done; }
    if (m.status_label) { status.textContent = m.status_label; }
    if (m.stage) { stage.textContent = `${labels[m.stage] || m.stage} ${m.done} / ${m.total}`; }
    if (m.finished) { socket.close(); location.reload(); }
  };
})();
