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

/* A form that decides one row of several (the volunteer review queue: a reason box on each
   row, all in one form). A decision reloads the page, and what was typed into the other
   rows' boxes would be gone. Those values wait in this tab's sessionStorage for the reload
   and go back into boxes that are still there and empty; the box the decision used (its
   button's data-uses) is not put back. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-keep-unsent]");
  var store;
  try { store = window.sessionStorage; } catch (e) { return; }
  if (!form || !store) { return; }
  var key = "openday-unsent:" + location.pathname;

  function kept(el) {
    return el.name && el.name !== "csrf_token" &&
      (el.type === "text" || el.type === "checkbox" || el.tagName === "TEXTAREA");
  }

  var saved = store.getItem(key);
  if (saved) {
    store.removeItem(key);
    var values = {};
    try { values = JSON.parse(saved) || {}; } catch (e) { values = {}; }
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el) || el.disabled || !Object.prototype.hasOwnProperty.call(values, el.name)) { return; }
      if (el.type === "checkbox") {
        if (values[el.name].indexOf(el.value) >= 0) { el.checked = true; }
      } else if (!el.value) {
        el.value = values[el.name];
      }
    });
  }

  var lastButton = null;  // for browsers without SubmitEvent.submitter
  form.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button");
    if (button) { lastButton = button; }
  });
  form.addEventListener("submit", function (event) {
    var button = event.submitter || lastButton;
    var used = (button && button.getAttribute("data-uses")) || "";
    var values = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!kept(el) || el.name === used) { return; }
      if (el.type === "checkbox") {
        values[el.name] = values[el.name] || [];
        if (el.checked) { values[el.name].push(el.value); }
      } else if (el.value) {
        values[el.name] = el.value;
      }
    });
    try { store.setItem(key, JSON.stringify(values)); } catch (e) { /* storage full or off */ }
  });
}());
