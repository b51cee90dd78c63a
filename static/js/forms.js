/*
 * Forms that must not be sent by accident or twice.
 *   <form data-confirm="Question ?">  asks the question first; "Cancel" keeps the page as it is.
 *   <form data-once>                  disables its submit buttons once sent: a double click sends it once.
 * Without JavaScript the forms still work (the services refuse a repeated action).
 */
(function () {
  "use strict";

  document.querySelectorAll("form[data-once], form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var question = form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) { event.preventDefault(); return; }
      if (!form.hasAttribute("data-once")) { return; }
      // After this event: a button disabled now would not be sent with the form.
      setTimeout(function () {
        // form.elements: its buttons, and those outside it that belong to it (form="…").
        Array.prototype.forEach.call(form.elements, function (b) {
          if (b.type === "submit") { b.disabled = true; }
        });
      }, 0);
    });
  });
})();
