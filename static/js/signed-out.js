/* The sign-in page (where signing out ends): this device keeps no list of tickets once no
   steward is signed in. The check-in screen's offline list (masked names, hashed codes) and
   its saved copy of the screen are removed, so a tablet left at the door shows nobody's
   data and cannot admit anyone offline. Scans not yet sent (the queue) are kept: they reach
   the server when a steward next opens the screen on this device. Signing in again fetches
   a fresh list. */
(function () {
  "use strict";
  try {
    var stale = [];
    for (var i = 0; i < window.localStorage.length; i++) {
      var key = window.localStorage.key(i);
      if (key && key.indexOf("openday.checkin.list.") === 0) { stale.push(key); }
    }
    stale.forEach(function (key) { window.localStorage.removeItem(key); });
  } catch (e) { /* storage switched off: nothing was kept */ }
  if (window.caches && window.caches.keys) {
    window.caches.keys().then(function (names) {
      names.forEach(function (name) {
        if (name.indexOf("openday-checkin-") === 0) { window.caches.delete(name); }
      });
    }).catch(function () { /* not allowed here: nothing was kept */ });
  }
}());
