/* While documents are being generated, refresh the progress bar every two seconds; reload when done. */
(function () {
  "use strict";

  var box = document.querySelector("[data-progress-url]");
  if (!box) { return; }
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-progress-text]");

  function poll() {
    fetch(box.dataset.progressUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (progress) {
        if (!progress) { return; }
        bar.value = progress.percent;
        bar.textContent = progress.percent + " %";
        text.textContent = progress.ready + " / " + progress.total;
        if (progress.done) { window.location.reload(); } else { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
})();
