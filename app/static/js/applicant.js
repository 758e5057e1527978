/* Applicant pages: small enhancements; every page works without this file. */
(function () {
  "use strict";

  // Upload form: ask for the kind of alternative evidence only when that is the document kind.
  document.addEventListener("DOMContentLoaded", function () {
    var kind = document.getElementById("kind");
    var evidence = document.getElementById("evidence_type");
    if (!kind || !evidence) return;
    var wrapper = evidence.closest(".field");
    function sync() {
      var show = kind.value === "alternative_evidence";
      if (wrapper) wrapper.hidden = !show;
      if (!show) evidence.value = "";
    }
    kind.addEventListener("change", sync);
    sync();
  });
})();
