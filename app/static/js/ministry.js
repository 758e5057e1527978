/* Ministry console: poll a running round's progress and reload when it is done.
   The page works without this file (it has a Refresh link). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("round-progress");
    if (!box || !window.fetch) return;
    var url = box.getAttribute("data-progress-url");
    var bar = document.getElementById("round-progress-bar");
    var note = document.getElementById("round-progress-note");
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (bar) bar.value = data.progress;
          if (note) note.textContent = data.progress + "% · " + data.note;
          if (data.done) {
            window.location.reload();
          } else {
            window.setTimeout(poll, 1500);
          }
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 1000);
  });
})();
