/* Study heartbeat (learning:heartbeat): every 15 s while the page is visible, the reading page
 * reports {position, duration} of its media; hidden pages send nothing, so a tab left open in the
 * background earns no study time. Media resume at the saved position. No dependencies. */
(function () {
  "use strict";
  var root = document.getElementById("study");
  if (!root || !root.dataset.beatUrl) { return; }
  var url = root.dataset.beatUrl;
  var media = document.getElementById("study-media");
  var status = document.getElementById("study-status");
  var INTERVAL = 15000;
  var timer = null;
  var csrf = (function () {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  })();

  function show(data) {
    if (!status || !data) { return; }
    var minutes = status.querySelector('[data-field="minutes"]');
    var percent = status.querySelector('[data-field="percent"]');
    var done = status.querySelector('[data-field="done"]');
    if (minutes) { minutes.textContent = Math.floor((data.seconds || 0) / 60); }
    if (percent) { percent.textContent = data.percent || 0; }
    if (done && data.completed) { done.classList.remove("d-none"); }
  }

  function beat() {
    if (document.visibilityState !== "visible") { return; }
    var body = {};
    if (media) {
      body.position = Math.floor(media.currentTime || 0);
      if (isFinite(media.duration)) { body.duration = Math.floor(media.duration); }
    }
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (r) { return r.ok ? r.json() : null; }).then(show).catch(function () {});
  }

  function start() {
    if (timer === null) { beat(); timer = window.setInterval(beat, INTERVAL); }
  }
  function stop() {
    if (timer !== null) { window.clearInterval(timer); timer = null; }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { start(); } else { stop(); }
  });

  if (media) {
    var resume = parseInt(root.dataset.resume || "0", 10) || 0;
    media.addEventListener("loadedmetadata", function () {
      if (resume > 0 && (!isFinite(media.duration) || resume < media.duration - 3)) {
        media.currentTime = resume;
      }
    }, { once: true });
    media.addEventListener("pause", beat);
    media.addEventListener("ended", beat);
  }
  if (document.visibilityState === "visible") { start(); }
})();
