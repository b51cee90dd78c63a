/* The password-reset page: the mailed link carries its secret after "#", which the browser never sends to a
   server. Post the link at once, as if the person had pasted it, and forget the fragment. */
(function () {
  "use strict";

  var form = document.querySelector("form[data-reset-link]");
  if (!form || !window.location.hash || form.querySelector(".errorlist")) { return; }
  var field = form.querySelector("input[name=link]");
  field.value = window.location.href;
  history.replaceState(null, "", window.location.pathname);
  var waiting = form.querySelector("[data-reset-link-waiting]");
  if (waiting) { waiting.hidden = false; }
  form.submit();
})();
