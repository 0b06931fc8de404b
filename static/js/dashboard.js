/* The event dashboard refreshes its figures without reloading the page: every 15 seconds
   it asks the JSON endpoint named in data-source and writes each figure into the cell with
   the same data-slot / data-field. Without JavaScript the page still shows the figures of
   its last load and a refresh link. The polls are marked as background requests, so an
   unattended dashboard still signs out after 30 idle minutes (the poll then gets 401 and
   the page reloads to the login). When a poll fails (the network, the server), the figures
   stay, faded, and the line above them says from when they are; a slot added, removed or
   renamed meanwhile reloads the page, whose rows are the slots it was drawn with. */
(function () {
  "use strict";
  var table = document.getElementById("dashboard");
  if (!table || !window.fetch) { return; }
  var source = table.getAttribute("data-source");
  var stamp = document.getElementById("dashboard-updated");
  var hint = document.querySelector(".no-js-hint");
  var INTERVAL = 15000;
  var lastGood = new Date();  // the figures the page came with

  function fill(row, figures) {
    if (!row) { return; }
    Array.prototype.forEach.call(row.querySelectorAll("[data-field]"), function (cell) {
      var name = cell.getAttribute("data-field");
      if (Object.prototype.hasOwnProperty.call(figures, name)) {
        var text = String(figures[name]);
        if (cell.textContent !== text) {
          cell.textContent = text;
          cell.classList.add("changed");
          window.setTimeout(function () { cell.classList.remove("changed"); }, 2000);
        }
      }
    });
  }

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function clock(when) {
    return two(when.getHours()) + ":" + two(when.getMinutes()) + ":" + two(when.getSeconds());
  }

  function sameSlots(slots) {
    var rows = table.querySelectorAll("tbody tr[data-slot]");
    if (rows.length !== slots.length) { return false; }
    return slots.every(function (slot, i) {
      var head = rows[i].querySelector(".row-head");
      return rows[i].getAttribute("data-slot") === slot.key &&
        (!head || head.textContent.trim() === String(slot.label).trim());
    });
  }

  function markStale() {
    table.classList.add("stale");
    if (stamp && stamp.getAttribute("data-stale-label")) {
      stamp.textContent = stamp.getAttribute("data-stale-label").replace("{time}", clock(lastGood));
      stamp.classList.add("stale-note");
    }
  }

  function refresh() {
    fetch(source, {credentials: "same-origin", headers: {"Accept": "application/json", "X-Background-Refresh": "1"}})
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); throw new Error("signed out"); }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        if (!sameSlots(data.slots)) { window.location.reload(); return; }
        data.slots.forEach(function (slot) {
          fill(table.querySelector('tr[data-slot="' + CSS.escape(slot.key) + '"]'), slot);
        });
        fill(table.querySelector('tr[data-slot="__total__"]'), data.totals);
        lastGood = new Date();
        if (stamp) {
          stamp.textContent = stamp.getAttribute("data-label") + " " + clock(lastGood);
          stamp.classList.remove("stale-note");
        }
        table.classList.remove("stale");
      })
      .catch(markStale);
  }

  if (hint) { hint.hidden = true; }
  table.setAttribute("data-live", "1");
  window.setInterval(refresh, INTERVAL);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { refresh(); }
  });
  refresh();
}());
