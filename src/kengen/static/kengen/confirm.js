// Kengen: ask before an irreversible action (issue 11). The Content-Security-Policy forbids inline
// scripts, so a button or form says what to ask in data-confirm="…" and this file asks it. Without
// JavaScript the action goes through as before (the services still refuse what is not allowed).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  }, true);
})();
