// The progress bar of an invoicing run (이번 달 청구서 발행), fed by
// ws/academy/invoicing/<id>/ through js/live_progress.js.
(function () {
  const script = document.currentScript;
  const counts = document.getElementById("run-counts");
  const bar = document.getElementById("run-progress");
  window.liveProgress(script.dataset.socket, bar, document.getElementById("run-status"), (m) => {
    if (m.total !== undefined) {
      counts.textContent = script.dataset.counts
        .replace("%(done)s", m.done).replace("%(total)s", m.total).replace("%(issued)s", m.issued);
    }
  });
})();
