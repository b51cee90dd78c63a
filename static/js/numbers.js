/*
 * Numbers as people write and read them, for the scripts: the same rule as procurement/numbers.py (read
 * its docstring); tests/number_cases.json holds the cases both must agree on.
 *
 *   PlatformNumbers.read("1 450,50")        → "1450.50"  (a plain decimal text), null when refused
 *   PlatformNumbers.readScaled("45,5", 2)   → 4550n      (BigInt in hundredths, rounded half up)
 *   PlatformNumbers.format("1450.5", 2, "fr") → "1 450,50" (no-break spaces; "en": "1,450.50");
 *     options {trim: true} → "1 450,5", {field: true} → as a form field shows it ("en": "1450.50")
 *
 * Amounts are computed on integers (BigInt), never on binary floats.
 */
(function (root) {
  "use strict";

  var SPACES = " \u00a0\u202f\u2009";
  var SHAPE = new RegExp("^([-\u2212]?)([0-9]+|[0-9]{1,3}(?:[" + SPACES + "][0-9]{3})+)(?:[.,]([0-9]*))?" +
                         "(?:[" + SPACES + "]*€)?$");
  var SEPARATORS = { fr: [",", "\u00a0"], en: [".", ","] };

  /* The plain decimal text of what was typed ("-1450.5"), or null when the rule refuses it. */
  function read(text) {
    var match = SHAPE.exec(String(text === undefined || text === null ? "" : text).trim());
    if (!match) { return null; }
    var digits = match[2].replace(new RegExp("[" + SPACES + "]", "g"), "");
    return (match[1] ? "-" : "") + digits + (match[3] ? "." + match[3] : "");
  }

  /* What was typed as a BigInt scaled by 10^places, rounded half up (away from zero); undefined when
     nothing was typed, null when the rule refuses it. */
  function readScaled(text, places) {
    if (String(text === undefined || text === null ? "" : text).trim() === "") { return undefined; }
    var plain = read(text);
    if (plain === null) { return null; }
    var negative = plain.charAt(0) === "-";
    var parts = plain.replace("-", "").split(".");
    var decimals = parts[1] || "";
    var value = BigInt(parts[0] + (decimals + "0".repeat(places)).slice(0, places));
    if (decimals.length > places && decimals.charAt(places) >= "5") { value += 1n; }
    return negative ? -value : value;
  }

  function language(lang) {
    var code = String(lang || "fr").split("-")[0];
    return SEPARATORS[code] ? code : "fr";
  }

  /* A BigInt scaled by 10^places written the page's way: "1 450,50". Options: trim (trailing zeros
     dropped: "2 350,5"), field (as a form field shows it: never grouped with an English comma). */
  function formatScaled(scaled, places, lang, options) {
    options = options || {};
    var marks = SEPARATORS[language(lang)];
    var group = options.field && marks[0] === "." ? "" : marks[1];
    var negative = scaled < 0n;
    var digits = (negative ? -scaled : scaled).toString().padStart(places + 1, "0");
    var whole = digits.slice(0, digits.length - places);
    var decimals = places ? digits.slice(digits.length - places) : "";
    if (options.trim) { decimals = decimals.replace(/0+$/, ""); }
    var grouped = whole.replace(/\B(?=(\d{3})+$)/g, group);
    return (negative && scaled !== 0n ? "\u2212" : "") + grouped + (decimals ? marks[0] + decimals : "");
  }

  /* Any value the rule reads, rounded half up to places and written the page's way; "" otherwise. */
  function format(value, places, lang, options) {
    var scaled = readScaled(value, places);
    if (scaled === undefined || scaled === null) { return ""; }
    return formatScaled(scaled, places, lang, options);
  }

  root.PlatformNumbers = { read: read, readScaled: readScaled, formatScaled: formatScaled, format: format };
})(window);
