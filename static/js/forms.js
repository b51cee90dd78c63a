/*
 * Forms that must not be sent by accident or twice.
 *   <form data-confirm="Question ?" data-confirm-details="What follows.">
 *       an irreversible action ({% confirm_attrs url %}): the dialog of base.html (_confirm_dialog.html) asks
 *       first; "Confirmer" sends the form with confirmed=1, "Annuler" (or Escape) keeps the page as it is.
 *       A button may carry its own data-confirm (it alone takes the decision), and a button with a
 *       formaction but no data-confirm posts without asking.
 *   <form data-once>  disables its submit buttons once sent: a double click sends it once.
 *   [data-error-summary]  the summary of a form that failed (_form_errors.html) receives the focus.
 * Without JavaScript the server asks instead (a confirmation page) and the services refuse a repeated action.
 */
(function () {
  "use strict";

  var dialog = document.getElementById("confirm-dialog");

  function ask(question, details, onYes) {
    if (!dialog || typeof dialog.showModal !== "function") {
      if (window.confirm(details ? question + "\n\n" + details : question)) { onYes(); }
      return;
    }
    dialog.querySelector("#confirm-dialog-title").textContent = question;
    dialog.querySelector("#confirm-dialog-details").textContent = details || "";
    var yes = dialog.querySelector("[data-confirm-yes]");
    var no = dialog.querySelector("[data-confirm-no]");
    function done(confirmed) {
      yes.removeEventListener("click", onConfirm);
      no.removeEventListener("click", onCancel);
      dialog.removeEventListener("cancel", onCancel);
      dialog.close();
      if (confirmed) { onYes(); }
    }
    function onConfirm() { done(true); }
    function onCancel(event) { if (event) { event.preventDefault(); } done(false); }
    yes.addEventListener("click", onConfirm);
    no.addEventListener("click", onCancel);
    dialog.addEventListener("cancel", onCancel);
    dialog.showModal();
    no.focus();  // the safe choice has the focus: Enter does not decide
  }

  function source(form, submitter) {
    // The element whose question applies: the button when it has its own, or posts elsewhere; else the form.
    if (submitter && (submitter.hasAttribute("data-confirm") || submitter.hasAttribute("formaction"))) {
      return submitter;
    }
    return form;
  }

  function markConfirmed(form) {
    var input = form.querySelector("input[type=hidden][name=confirmed]");
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = "confirmed";
      form.appendChild(input);
    }
    input.value = "1";
  }

  Array.prototype.filter.call(document.forms, function (form) {
    return form.hasAttribute("data-once") || form.hasAttribute("data-confirm") || form.querySelector("[data-confirm]");
  }).forEach(function (form) {
    var confirmedOnce = false;
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter || null;
      var question = source(form, submitter).getAttribute("data-confirm");
      if (question && !confirmedOnce) {
        event.preventDefault();
        var stale = form.querySelector("input[type=hidden][name=confirmed]");
        if (stale) { stale.remove(); }
        ask(question, source(form, submitter).getAttribute("data-confirm-details"), function () {
          markConfirmed(form);
          confirmedOnce = true;
          if (typeof form.requestSubmit === "function") {
            form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
          } else {
            form.submit();
          }
        });
        return;
      }
      confirmedOnce = false;
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

  // The summary of a form that failed takes the focus. A page opened at an anchor (the form's own: the page
  // stays where the form is) has the browser move the focus to that anchor once loaded: focus again then.
  var summary = document.querySelector("[data-error-summary]");
  function focusSummary() {
    if (document.activeElement === document.body || document.activeElement === null) { summary.focus(); }
  }
  if (summary) {
    summary.focus();
    window.addEventListener("load", function () { setTimeout(focusSummary, 0); });
  }
})();
