/* Keeps what someone has typed into a form when they tap the language or large-text
   switch: the switch reloads the page, so the values wait in this tab's sessionStorage
   for the reload, are put back, and are forgotten. Without JavaScript the switch still
   works; the form is then empty again. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-keep-input]");
  var store;
  try { store = window.sessionStorage; } catch (e) { return; }
  if (!form || !store) { return; }
  var key = "openday-input:" + location.pathname;

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "website" && el.name !== "csrf_token" &&
        ["hidden", "submit", "button", "password"].indexOf(el.type) < 0;
    });
  }

  var saved = store.getItem(key);
  if (saved) {
    store.removeItem(key);
    var values = {};
    try { values = JSON.parse(saved) || {}; } catch (e) { values = {}; }
    fields().forEach(function (el) {
      if (!Object.prototype.hasOwnProperty.call(values, el.name) || el.disabled) { return; }
      var value = values[el.name];
      if (el.type === "radio") {
        if (el.value === value) { el.checked = true; }
      } else if (el.type === "checkbox") {
        el.checked = Array.isArray(value) && value.indexOf(el.value) >= 0;
      } else if (!el.value || el.tagName === "SELECT") {
        el.value = value;
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form.prefs"), function (prefs) {
    prefs.addEventListener("submit", function () {
      var values = {};
      fields().forEach(function (el) {
        if (el.type === "radio") {
          if (el.checked) { values[el.name] = el.value; }
        } else if (el.type === "checkbox") {
          values[el.name] = values[el.name] || [];
          if (el.checked) { values[el.name].push(el.value); }
        } else if (el.value) {
          values[el.name] = el.value;
        }
      });
      try { store.setItem(key, JSON.stringify(values)); } catch (e) { /* storage full or off */ }
    });
  });
}());
