// A progress bar fed by one of the platform's websockets (an import, an invoicing run): the
// bar and the status line follow each message, the page reloads when the work has finished.
// `more(message)` shows what else the page shows. A file, not inline: the site's
// Content-Security-Policy runs no inline script.
window.liveProgress = function (socketPath, bar, status, more) {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + socketPath);
  socket.onmessage = (event) => {
    const m = JSON.parse(event.data);
    if (m.total) { bar.max = m.total; bar.value = m.done; }
    if (m.status_label) { status.textContent = m.status_label; }
    more(m);
    if (m.finished) { socket.close(); location.reload(); }
  };
};
