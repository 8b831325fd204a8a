// The one-time reveal link carries its token in the URL fragment (#…), which browsers never send to
// the server, so it reaches no access log or proxy log. This script moves it into the form, which
// is POSTed, and removes it from the address bar and the history.
(function () {
  "use strict";
  var token = window.location.hash.slice(1);
  var field = document.getElementById("id_token");
  if (!token || !field) { return; }
  field.value = decodeURIComponent(token);
  window.history.replaceState(null, "", window.location.pathname);
  var form = field.form;
  if (form) { form.submit(); }
}());
