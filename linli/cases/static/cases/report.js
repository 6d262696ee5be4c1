// The resident's report form, on a phone:
// - the list of spots is shown only where a spot can be named (a public spot of the compound, a part of the
//   building); "my home" has none. Without this script the list is always shown and the server ignores it then;
// - what they type is kept in this tab (sessionStorage) until the form is sent, so that switching the language
//   or leaving the page by mistake does not lose it.
(function () {
  "use strict";
  var KEPT = ["description", "location_note"];
  var STORE = "linli-report-draft";

  function follow(form) {
    var spot = form.querySelector("[data-spot-field]");
    if (!spot) return;
    var checked = form.querySelector("input[name=where]:checked");
    spot.hidden = (checked ? checked.value : "unit") === "unit";
  }

  function draft() {
    try { return JSON.parse(window.sessionStorage.getItem(STORE) || "{}"); } catch (e) { return {}; }
  }

  function keep(form) {
    var values = {};
    KEPT.forEach(function (name) { if (form.elements[name]) values[name] = form.elements[name].value; });
    try { window.sessionStorage.setItem(STORE, JSON.stringify(values)); } catch (e) { /* private mode: no draft */ }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-testid=report-form]");
    if (!form) return;
    follow(form);
    var kept = draft();
    KEPT.forEach(function (name) {  // only into empty fields: a form sent back by the server has its own values
      var field = form.elements[name];
      if (field && !field.value && kept[name]) field.value = kept[name];
    });
    form.addEventListener("change", function (event) {
      if (event.target.name === "where") follow(form);
    });
    form.addEventListener("input", function () { keep(form); });
    form.addEventListener("submit", function () {
      try { window.sessionStorage.removeItem(STORE); } catch (e) { /* nothing kept */ }
    });
  });
})();
