/*
 * The tender wizard (console/tender_form.html): rows added to and removed from the criteria and price
 * schedule tables, the live total of the weights, and how many companies the chosen category would invite
 * (#invitee-count: data-url answers {"label": …}, data-category names the category select).
 * Without JavaScript the page works: an empty row is ignored on save.
 */
(function () {
  "use strict";

  var form = document.getElementById("tender-form");
  if (!form) { return; }

  function addRow(name) {
    var template = document.getElementById(name + "-row");
    var body = form.querySelector('[data-table="' + name + '"] tbody');
    body.appendChild(template.content.cloneNode(true));
    var inputs = body.lastElementChild.querySelectorAll("input");
    if (inputs.length) { inputs[0].focus(); }
  }

  function total() {
    var sum = 0;
    form.querySelectorAll(".tender-weight").forEach(function (input) {
      var value = parseInt(input.value, 10);
      if (!isNaN(value)) { sum += value; }
    });
    var output = document.getElementById("weight-total");
    output.textContent = sum;
    output.classList.toggle("console-negative", sum !== 100);
  }

  form.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-row]");
    if (add) { addRow(add.dataset.addRow); total(); return; }
    var remove = event.target.closest("[data-remove-row]");
    if (remove) { remove.closest("tr").remove(); total(); }
  });
  form.addEventListener("input", function (event) {
    if (event.target.classList.contains("tender-weight")) { total(); }
  });

  var counter = document.getElementById("invitee-count");
  var select = counter && document.getElementById(counter.dataset.category);
  if (select && counter) {
    select.addEventListener("change", function () {
      if (!select.value) { return; }
      fetch(counter.dataset.url + "?category=" + encodeURIComponent(select.value), {credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body) { return; }
          var strong = document.createElement("strong");
          strong.textContent = body.label;
          counter.replaceChildren(strong);
        })
        .catch(function () {});
    });
  }
})();
