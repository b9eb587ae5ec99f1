// K-Zone recorder: MediaRecorder fills the form's file input, so a recording and an uploaded
// file are handed in the same way (one form, one service). Without MediaRecorder or the
// permission, the upload works alone.
(function () {
  "use strict";
  var form = document.querySelector("form[data-recorder]");
  if (!form) return;
  // getUserMedia exists only in a secure context (https, or http://localhost).
  if (!window.MediaRecorder || !navigator.mediaDevices || !window.DataTransfer) {
    form.setAttribute("data-recorder-state", "unavailable");
    return;
  }
  form.setAttribute("data-recorder-state", "ready");
  var video = form.getAttribute("data-recorder") === "video";
  var controls = form.querySelector(".recorder");
  var record = form.querySelector("[data-record]");
  var stop = form.querySelector("[data-stop]");
  var status = form.querySelector("[data-recording-status]");
  var preview = form.querySelector("[data-preview]");
  var input = form.querySelector("input[type=file]");
  var recorder = null, chunks = [], stream = null, started = 0, timer = null;
  controls.hidden = false;

  function extension(type) {
    if (type.indexOf("mp4") >= 0) return ".mp4";
    if (type.indexOf("ogg") >= 0) return ".ogg";
    return ".webm";
  }

  record.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia(video ? { audio: true, video: true } : { audio: true }).then(function (s) {
      stream = s;
      chunks = [];
      recorder = new MediaRecorder(stream);
      recorder.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
      recorder.onstop = function () {
        var type = recorder.mimeType || (video ? "video/webm" : "audio/webm");
        var blob = new Blob(chunks, { type: type });
        var file = new File([blob], "take" + extension(type), { type: type });
        var transfer = new DataTransfer();
        transfer.items.add(file);
        input.files = transfer.files;
        preview.src = URL.createObjectURL(blob);
        preview.hidden = false;
        stream.getTracks().forEach(function (t) { t.stop(); });
        status.textContent = Math.round((Date.now() - started) / 1000) + " s ✓";
      };
      recorder.start(250);
      started = Date.now();
      record.disabled = true;
      stop.disabled = false;
      timer = setInterval(function () { status.textContent = "● " + Math.round((Date.now() - started) / 1000) + " s"; }, 500);
    }).catch(function (err) {
      status.textContent = String(err && err.name || err);
    });
  });
  stop.addEventListener("click", function () {
    if (recorder && recorder.state !== "inactive") recorder.stop();
    clearInterval(timer);
    record.disabled = false;
    stop.disabled = true;
  });
})();
