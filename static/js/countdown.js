/*
 * Live countdown to a deadline: every <time class="countdown" data-deadline="ISO 8601"> shows "J-3 04:12:10"
 * (days, then hours:minutes:seconds) and keeps the formatted date in its title. Without JavaScript the
 * element keeps the formatted date written by the server. Once the deadline passes it shows
 * data-passed-label (default "échéance atteinte") and gets the class "countdown--passed".
 */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function format(ms) {
    var total = Math.floor(ms / 1000);
    var days = Math.floor(total / 86400);
    var rest = total % 86400;
    return "J-" + days + " " + pad(Math.floor(rest / 3600)) + ":" + pad(Math.floor((rest % 3600) / 60)) + ":" + pad(rest % 60);
  }

  function tick(nodes) {
    var now = Date.now();
    nodes.forEach(function (node) {
      var left = node._deadline - now;
      if (left > 0) {
        node.textContent = format(left);
      } else if (!node.classList.contains("countdown--passed")) {
        node.textContent = node.getAttribute("data-passed-label") || "échéance atteinte";
        node.classList.add("countdown--passed");
      }
    });
  }

  function start() {
    var nodes = [];
    document.querySelectorAll("[data-deadline]").forEach(function (node) {
      var at = Date.parse(node.getAttribute("data-deadline"));
      if (isNaN(at)) { return; }
      node._deadline = at;
      if (!node.title) { node.title = node.textContent.trim(); }
      node.classList.add("countdown--live");
      nodes.push(node);
    });
    if (!nodes.length) { return; }
    tick(nodes);
    window.setInterval(function () { tick(nodes); }, 1000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
