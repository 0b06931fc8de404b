/* The invitations page: a "copy" button beside each link, and the whole link selected when
   its box is tapped (a tablet makes selecting text in a box fiddly). Without JavaScript the
   box is still there to select by hand. The button's words come from the page. */
(function () {
  "use strict";

  function selectAll(input) {
    input.focus();
    input.setSelectionRange(0, input.value.length);
  }

  function copyByCommand(input) {
    selectAll(input);
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }

  function say(button, word) {
    var original = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", original);
    button.textContent = word;
    window.setTimeout(function () { button.textContent = original; }, 2500);
  }

  Array.prototype.forEach.call(document.querySelectorAll(".copy-row"), function (row) {
    var input = row.querySelector("input.copy-link");
    var button = row.querySelector("button.copy-button");
    if (!input) { return; }
    input.addEventListener("focus", function () { selectAll(input); });
    input.addEventListener("click", function () { selectAll(input); });
    if (!button) { return; }
    button.hidden = false;
    button.setAttribute("aria-live", "polite");
    button.addEventListener("click", function () {
      var done = function () { say(button, button.getAttribute("data-done")); };
      var failed = function () {
        if (copyByCommand(input)) { done(); } else { say(button, button.getAttribute("data-failed")); }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, failed);
      } else {
        failed();
      }
    });
  });
}());
