/*
 * The price schedule of a bid: live amounts and totals while the unit prices are typed.
 *
 * Each line's amount is quantity × unit price rounded to the cent (half up), like the server does;
 * the sum of the lines is compared with the total price typed, and the difference is highlighted.
 * Amounts are computed on integers (BigInt, in thousandths and cents), never on binary floats; what is
 * typed is read, and amounts are written, by numbers.js (the same rule as the server's).
 * No framework: the page works without this script (the server computes the same amounts on save).
 */
(function () {
  "use strict";

  var table = document.querySelector("table[data-price-schedule]");
  if (!table || typeof BigInt === "undefined" || !window.PlatformNumbers) { return; }
  var form = table.closest("form");
  var totalInput = form.querySelector("input[data-total]");
  var check = form.querySelector("[data-check]");
  var copyButton = form.querySelector("[data-copy-sum]");
  var sumCell = table.querySelector("[data-sum]");
  var lang = document.documentElement.lang || "fr";

  var numbers = window.PlatformNumbers;
  var parseScaled = numbers.readScaled;  // the platform's rule: "1 450,50", "45,5", "1450.50"

  /* BigInt of cents → "167 000,00" in the page's language. */
  function formatCents(cents) {
    return numbers.formatScaled(cents, 2, lang);
  }

  var lastSum = 0n;

  function update() {
    var sum = 0n;
    table.querySelectorAll("tbody tr[data-line]").forEach(function (row) {
      var input = row.querySelector("input[data-unit-price]");
      var cell = row.querySelector("[data-amount]");
      var quantity = parseScaled(row.getAttribute("data-quantity"), 3);  // thousandths
      var price = parseScaled(input.value, 2);                            // cents
      row.classList.remove("price-schedule__invalid");
      if (price === undefined) {
        cell.textContent = "—";
        return;
      }
      if (price === null || price < 0n || quantity === null || quantity === undefined) {  // no negative price
        cell.textContent = table.getAttribute("data-msg-invalid");
        row.classList.add("price-schedule__invalid");
        return;
      }
      // thousandths × cents = cents × 1000: divide by 1000, rounding half up.
      var amount = (quantity * price + 500n) / 1000n;
      cell.textContent = formatCents(amount);
      sum += amount;
    });
    lastSum = sum;
    sumCell.textContent = formatCents(sum);

    var total = parseScaled(totalInput.value, 2);
    check.classList.remove("price-check--ok", "price-check--gap");
    totalInput.classList.remove("price-total--gap");
    if (total === undefined || total === null || total < 0n) {
      check.textContent = table.getAttribute("data-msg-no-total");
    } else if (total === sum) {
      check.textContent = table.getAttribute("data-msg-equal");
      check.classList.add("price-check--ok");
    } else {
      var gap = total > sum ? total - sum : sum - total;
      check.textContent = table.getAttribute("data-msg-gap").replace("%(gap)s", formatCents(gap) + " €");
      check.classList.add("price-check--gap");
      totalInput.classList.add("price-total--gap");
    }
  }

  table.addEventListener("input", update);
  totalInput.addEventListener("input", update);
  if (copyButton) {
    copyButton.hidden = false;
    copyButton.addEventListener("click", function () {
      totalInput.value = numbers.formatScaled(lastSum, 2, lang, { field: true });
      update();
      totalInput.focus();
    });
  }
  update();
})();
