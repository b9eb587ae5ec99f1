// A take's progress, live over the learner's own socket (ws/kzone/): the bar follows the
// analysis, and the page reloads to show the result once the take is finished.
(function () {
  "use strict";
  var box = document.getElementById("status");
  if (!box) return;
  var id = parseInt(box.getAttribute("data-take"), 10);
  var bar = document.getElementById("progress");
  var stage = document.getElementById("stage");
  var scheme = location.protocol === "https:" ? "wss://" : "ws://";
  var socket = new WebSocket(scheme + location.host + "/ws/kzone/");
  function show(take) {
    if (take.take !== id) return;
    bar.value = take.progress;
    bar.textContent = take.progress + " %";
    stage.textContent = take.status + (take.stage ? " · " + take.stage : "");
    box.setAttribute("data-status", take.status);
    if (["succeeded", "failed", "cancelled"].indexOf(take.status) >= 0) location.reload();
  }
  socket.onmessage = function (event) {
    var data = JSON.parse(event.data);
    if (data.type === "take") show(data);
    if (data.type === "takes") {
      var open = data.takes.filter(function (t) { return t.take === id; });
      // Finished between the page's render and the socket's opening: show the result.
      if (!open.length && box.getAttribute("data-status") !== "succeeded") location.reload();
    }
  };
})();
