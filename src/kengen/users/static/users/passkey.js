// After django-otp-webauthn has registered a passkey, tell Kengen (which issues recovery codes
// on first set-up) by submitting the page's small POST form. No inline script: CSP-friendly.
document.addEventListener("otp_webauthn.register_complete", function () {
  var form = document.getElementById("kg-after-passkey");
  if (form) { form.submit(); }
});
