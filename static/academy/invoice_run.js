// The progress bar of an invoicing run (이번 달 청구서 발행), fed by
// ws/academy/invoicing/<id>/; reloads the page when the run has finished.
(function () {
  const script = document.currentScript;
  const bar = document.getElementById("run-progress");
  const status = document.getElementById("run-status");
  const counts = document.getElementById("run-counts");
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + script.dataset.socket);
  socket.onmessage = (event) => {
    const m = JSON.parse(event.data);
    if (m.total) { bar.max = m.total; bar.value = m.done; }
    if (m.status_label) { status.textContent = m.status_label; }
    if (m.total !== undefined) {
      counts.textContent = script.dataset.counts
        .replace("%(done)s", m.done).replace("%(total)s", m.total).replace("%(issued)s", m.issued);
    }
    if (m.finished) { socket.close(); location.reload(); }
  };
})();
