// The apply button's progress bar: while the POST runs, poll the server's progress feed.
(function () {
  "use strict";
  var form = document.getElementById("apply-form");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    var box = document.getElementById("apply-progress");
    var bar = document.getElementById("apply-bar");
    var phase = document.getElementById("apply-phase");
    var url = form.getAttribute("data-progress");
    box.hidden = false;
    form.querySelector("button").disabled = true;
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (data && data.total) {
            bar.max = data.total;
            bar.value = data.done;
            phase.textContent = data.phase + " " + data.done + "/" + data.total;
          }
        })
        .catch(function () { /* keep polling */ })
        .finally(function () { window.setTimeout(poll, 400); });
    }
    window.setTimeout(poll, 200);
  });
})();
