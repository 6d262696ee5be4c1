// The resident's report form: the list of spots is shown only where a spot can be named (a public spot of the
// compound, a part of the building); "my home" has none. Without this script the list is always shown and the
// server ignores it for a home.
(function () {
  "use strict";
  function follow(form) {
    var spot = form.querySelector("[data-spot-field]");
    if (!spot) return;
    var checked = form.querySelector("input[name=where]:checked");
    var where = checked ? checked.value : "unit";
    spot.hidden = where === "unit";
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-testid=report-form]");
    if (!form) return;
    follow(form);
    form.addEventListener("change", function (event) {
      if (event.target.name === "where") follow(form);
    });
  });
})();
