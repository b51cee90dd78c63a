/*
 * The company form (portal/company_form.html): the SIRET is asked of a French company, a national
 * registration number of a foreign one. Blocks marked data-show-for="FR" or "foreign" follow the country.
 * Without JavaScript both are shown.
 */
(function () {
  "use strict";

  var country = document.getElementById("id_country");
  if (!country || country.disabled) { return; }
  function update() {
    var french = country.value === "FR";
    document.querySelectorAll("[data-show-for]").forEach(function (el) {
      el.hidden = (el.getAttribute("data-show-for") === "FR") !== french;
    });
  }
  country.addEventListener("change", update);
  update();
})();
