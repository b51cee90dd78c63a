/*
 * The price schedule of a bid: live amounts and totals while the unit prices are typed.
 *
 * Each line's amount is quantity × unit price rounded to the cent (half up), like the server does;
 * the sum of the lines is compared with the total price typed, and the difference is highlighted.
 * Amounts are computed on integers (BigInt, in thousandths and cents), never on binary floats.
 * No framework: the page works without this script (the server computes the same amounts on save).
 */
(function () {
  "use strict";

  var table = document.querySelector("table[data-price-schedule]");
  if (!table || typeof BigInt === "undefined") { return; }
  var form = table.closest("form");
  var totalInput = form.querySelector("input[data-total]");
  var check = form.querySelector("[data-check]");
  var copyButton = form.querySelector("[data-copy-sum]");
  var sumCell = table.querySelector("[data-sum]");
  var lang = document.documentElement.lang || "fr";

  /* "1 250,5" or "1250.50" → BigInt scaled by 10^places (rounded half up), or null when unreadable. */
  function parseScaled(text, places) {
    var clean = String(text || "").replace(/[\s\u00a0\u202f]/g, "").replace(",", ".");
    if (clean === "") { return undefined; }
    var match = /^(\d+)(?:\.(\d*))?$/.exec(clean);
    if (!match) { return null; }
    var decimals = match[2] || "";
    var kept = (decimals + "0".repeat(places)).slice(0, places);
    var value = BigInt(match[1] + kept);
    if (decimals.length > places && decimals.charAt(places) >= "5") { value += 1n; }
    return value;
  }

  /* BigInt of cents → "167 000,00" in the page's language. */
  function formatCents(cents) {
    var negative = cents < 0n;
    if (negative) { cents = -cents; }
    var units = cents / 100n;
    var rest = (cents % 100n).toString().padStart(2, "0");
    var grouped = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 }).format(units);
    var decimal = new Intl.NumberFormat(lang).format(1.5).charAt(1);
    return (negative ? "−" : "") + grouped + decimal + rest;
  }

  /* BigInt of cents → "167000.00", what the total field takes. */
  function plainCents(cents) {
    return (cents / 100n).toString() + "." + (cents % 100n).toString().padStart(2, "0");
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
      if (price === null || quantity === null || quantity === undefined) {
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
    if (total === undefined || total === null) {
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
      totalInput.value = plainCents(lastSum);
      update();
      totalInput.focus();
    });
  }
  update();
})();
