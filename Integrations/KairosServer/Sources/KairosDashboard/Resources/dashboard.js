// Kairos dashboard: refreshes the page's live regions when the scheduler's events arrive.
// The page works without it; this only saves a reload.
(function () {
  "use strict";
  var source = document.body.getAttribute("data-events");
  if (!source || !window.EventSource || !window.fetch || !window.DOMParser) return;
  var status = document.getElementById("live-status");
  // What is announced for each kind of event (those without words only refresh the page).
  var words = { started: "Run of {} started.", succeeded: "Run of {} succeeded.", failed: "Run of {} failed.",
    timedOut: "Run of {} timed out.", runCancelled: "Run of {} was cancelled.", missed: "{} missed a run.",
    overlapSkipped: "{} skipped an overlapping run.", bufferDropped: "{} dropped a buffered run.", scheduled: null,
    paused: "{} was paused.", resumed: "{} was resumed.", rescheduled: null, completed: "{} completed.", cancelled: null };
  var pending = null;
  var running = false;

  function refresh() {
    pending = null;
    if (running) { pending = setTimeout(refresh, 300); return; }
    running = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (text) {
        if (!text) return;
        var fresh = new DOMParser().parseFromString(text, "text/html");
        document.querySelectorAll("[data-live][id]").forEach(function (region) {
          var replacement = fresh.getElementById(region.id);
          if (!replacement) return;
          if (region.contains(document.activeElement) && document.activeElement !== document.body) return;
          if (region.querySelector("details[open]")) return;
          region.innerHTML = replacement.innerHTML;
        });
        document.body.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () {})
      .then(function () { running = false; });
  }

  var events = new EventSource(source);
  Object.keys(words).forEach(function (kind) {
    events.addEventListener(kind, function (event) {
      try {
        var data = JSON.parse(event.data);
        if (status && words[kind]) status.textContent = words[kind].replace("{}", data.jobName || "a schedule");
      } catch (ignored) {}
      if (pending === null) pending = setTimeout(refresh, 250);
    });
  });
  events.addEventListener("open", function () { document.body.setAttribute("data-live-connected", "true"); });
  window.addEventListener("pagehide", function () { events.close(); });
})();
