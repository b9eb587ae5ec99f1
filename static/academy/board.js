// The live attendance board: counts and the latest check-ins, pushed over the academy's
// websocket (ws/academy/attendance/). Reconnects with back-off when the connection drops.
(function () {
  const script = document.currentScript;
  const status = document.getElementById("board-status");
  const feed = document.getElementById("feed");
  const labels = JSON.parse(document.getElementById("status-labels").textContent);
  const language = document.documentElement.lang || undefined;
  let delay = 1000;

  // Times are the academy's (Asia/Seoul), not the viewing device's.
  function clock(iso) {
    return new Date(iso).toLocaleTimeString(language, { timeZone: "Asia/Seoul", hour: "2-digit", minute: "2-digit" });
  }

  function update(counts, session) {
    if (!counts) return; // a guardian's board names their children, not class counts
    const row = document.querySelector(`tr[data-session="${session}"]`);
    if (!row) return;
    for (const [key, value] of Object.entries(counts)) {
      const cell = row.querySelector(`[data-count="${key}"]`);
      if (cell) cell.textContent = value;
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/academy/attendance/`);
    socket.onopen = () => { status.textContent = script.dataset.live; delay = 1000; };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "board") {
        for (const s of message.sessions) update(s.counts, s.session);
      } else if (message.type === "attendance") {
        update(message.counts, message.session);
        const item = document.createElement("li");
        item.textContent = `${clock(message.at)} ${message.student.name} · ${message.class_name} · ${labels[message.status] || message.status}`;
        feed.prepend(item);
        while (feed.children.length > 10) feed.lastChild.remove();
      }
    };
    socket.onclose = (event) => {
      status.textContent = script.dataset.offline;
      // 4409: this user opened the board in more windows than allowed and this was the
      // oldest; reconnecting would only close another one in turn.
      if (event.code === 4409) return;
      setTimeout(connect, event.code === 4408 ? 0 : delay); // 4408: rejoin under today's scope
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
