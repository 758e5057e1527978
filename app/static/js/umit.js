/* Umit: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Ask before destructive actions: <form data-confirm="…"> or <button data-confirm="…">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter || null;
    var message = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      return;
    }
    // Prevent double submits: <form data-once> or a submit button with data-once.
    if (form.hasAttribute("data-submitted")) {
      event.preventDefault();
      return;
    }
    if (form.hasAttribute("data-once") || (submitter && submitter.hasAttribute("data-once"))) {
      form.setAttribute("data-submitted", "");
      // Disable after the event so the button's name/value is still sent with the form.
      window.setTimeout(function () {
        var buttons = form.querySelectorAll("button[type=submit], input[type=submit]");
        for (var i = 0; i < buttons.length; i++) {
          buttons[i].disabled = true;
          buttons[i].setAttribute("aria-disabled", "true");
        }
      }, 0);
    }
  });

  // A page restored from the back/forward cache gets its buttons back.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    var forms = document.querySelectorAll("form[data-submitted]");
    for (var i = 0; i < forms.length; i++) {
      forms[i].removeAttribute("data-submitted");
      var buttons = forms[i].querySelectorAll("[aria-disabled=true]");
      for (var j = 0; j < buttons.length; j++) {
        buttons[j].disabled = false;
        buttons[j].removeAttribute("aria-disabled");
      }
    }
  });

  // The skip link moves focus to main without putting #main in the address: a form without an
  // action posts to the address, and the page that comes back would then focus main, not its
  // error summary.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.skip-link");
    var main = document.getElementById("main");
    if (link && main) {
      event.preventDefault();
      main.focus();
      main.scrollIntoView();
    }
  });

  // Move focus to the error summary so screen readers announce it and keyboard users start there.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) {
      if (window.location.hash) {  // an old #fragment must not take the focus from it
        window.history.replaceState(null, "", window.location.pathname + window.location.search);
      }
      summary.focus();
    }
    // Links in the summary focus the field itself, not just scroll to it.
    var links = document.querySelectorAll(".error-summary a[href^='#']");
    for (var i = 0; i < links.length; i++) {
      links[i].addEventListener("click", function (event) {
        var target = document.getElementById(this.getAttribute("href").slice(1));
        if (target) {
          event.preventDefault();
          target.focus();
          target.scrollIntoView({ block: "center" });
        }
      });
    }
  });
})();
