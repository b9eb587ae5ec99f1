// The import job page's progress bar, fed by ws/academy/imports/<id>/ through
// js/live_progress.js.
(function () {
  const script = document.currentScript;
  const labels = JSON.parse(document.getElementById("import-stage-labels").textContent);
  const stage = document.getElementById("import-stage");
  const bar = document.getElementById("import-progress");
  window.liveProgress(script.dataset.socket, bar, document.getElementById("import-status"), (m) => {
    if (m.stage) { stage.textContent = `${labels[m.stage] || m.stage} ${m.done} / ${m.total}`; }
  });
})();
