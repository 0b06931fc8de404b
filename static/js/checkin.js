/* OpenDay check-in screen: camera (jsQR), handheld scanner, manual search, offline mode.
   Online, every scan goes to POST /api/checkin. When the server cannot be reached the
   screen switches by itself to the event's list kept in localStorage (hashed codes), admits
   from it, queues the scans with their time and a nonce, and syncs them when it can. */
(function () {
  "use strict";

  var root = document.getElementById("checkin");
  if (!root) { return; }

  var cfg = {
    event: root.dataset.event,
    checkinUrl: root.dataset.checkinUrl,
    listUrl: root.dataset.listUrl,
    statsUrl: root.dataset.statsUrl,
    searchUrl: root.dataset.searchUrl,
    csrf: (document.querySelector('meta[name="csrf-token"]') || {}).content || ""
  };
  var REPEAT_MS = 3000;          // the same code within 3 s is not sent again
  var LIST_REFRESH_MS = 3 * 60 * 1000;
  var STATS_REFRESH_MS = 10 * 1000;
  var PROBE_MS = 5000;           // while offline, try the server this often
  var FETCH_TIMEOUT_MS = 5000;
  // A scan answers in milliseconds when the network works. A network that hangs (lobby
  // Wi-Fi that holds requests) must not keep a person waiting 5 s: the local list answers.
  var SCAN_TIMEOUT_MS = 2500;
  // Until the answer comes the panel says so: the previous person's green must not stay up.
  var CHECKING_AFTER_MS = 300;
  var IDLE_AFTER_MS = 20000;
  var KEY_GATE = "openday.checkin.gate";
  var KEY_LIST = "openday.checkin.list." + cfg.event;
  var KEY_QUEUE = "openday.checkin.queue." + cfg.event;
  var TICKET_RE = /^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}$/;
  var TICKET_PATH_RE = /\/tickets\/([A-Za-z0-9_\-]{16,64})(?:[\/?#]|$)/;
  var TOKEN_RE = /^[A-Za-z0-9_\-]{16,64}$/;

  var $ = function (id) { return document.getElementById(id); };
  var el = {
    gate: $("gate-input"), scanForm: $("scan-form"), scan: $("scan-input"),
    result: $("result"), title: $("result-title"), name: $("result-name"), detail: $("result-detail"),
    net: $("net-status"), netText: $("net-text"), queue: $("queue-text"), relogin: $("relogin-link"),
    report: $("sync-report"), reportText: $("sync-report-text"), reportList: $("sync-report-list"),
    conflictText: $("sync-conflict-text"), conflictList: $("sync-conflict-list"),
    reportClose: $("sync-report-close"),
    camToggle: $("camera-toggle"), camMessage: $("camera-message"), videoWrap: $("video-wrap"),
    video: $("camera-video"), canvas: $("camera-canvas"),
    searchForm: $("search-form"), search: $("search-input"), searchMessage: $("search-message"),
    searchResults: $("search-results"),
    quickCheckout: $("quick-checkout"), quickCheckoutCode: $("quick-checkout-code")
  };

  // --- text -------------------------------------------------------------------------------
  var texts = {};
  var tpl = document.getElementById("i18n");
  if (tpl) {
    Array.prototype.forEach.call(tpl.content.querySelectorAll("[data-key]"), function (node) {
      texts[node.dataset.key] = node.textContent;
    });
  }
  function t(key, params) {
    var text = texts[key] || key;
    Object.keys(params || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(params[name]));
    });
    return text;
  }

  // --- storage ----------------------------------------------------------------------------
  function load(key, fallback) {
    try {
      var raw = window.localStorage.getItem(key);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) { return fallback; }
  }
  function save(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* full or private mode */ }
  }

  var state = {
    online: true,
    // The server answers but takes no scan from this page: "login" (the session ended) or
    // "reload" (the page's CSRF token no longer fits the session). Scans go on from the
    // local list and wait in the queue until the steward signs in again or reloads.
    blocked: null,
    list: load(KEY_LIST, null),
    index: {},
    queue: load(KEY_QUEUE, []),
    lastCode: null,
    lastAt: 0,
    syncing: false,
    conflicts: 0,
    refused: 0,
    seq: 0,          // each scan's number, in the order the steward made them
    shownSeq: 0,     // the newest scan whose answer the panel shows
    idleTimer: null
  };
  indexList();

  // --- SHA-256 (works without a secure context, where crypto.subtle is missing) ----------
  var K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ];
  function sha256(text) {
    var bytes = new TextEncoder().encode(text);
    var bitLen = bytes.length * 8;
    var total = ((bytes.length + 9 + 63) >> 6) << 6;
    var msg = new Uint8Array(total);
    msg.set(bytes);
    msg[bytes.length] = 0x80;
    var view = new DataView(msg.buffer);
    view.setUint32(total - 8, Math.floor(bitLen / 0x100000000));
    view.setUint32(total - 4, bitLen >>> 0);
    var h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    var w = new Array(64);
    for (var off = 0; off < total; off += 64) {
      for (var i = 0; i < 16; i++) { w[i] = view.getUint32(off + i * 4); }
      for (i = 16; i < 64; i++) {
        var a15 = w[i - 15], a2 = w[i - 2];
        var s0 = ((a15 >>> 7) | (a15 << 25)) ^ ((a15 >>> 18) | (a15 << 14)) ^ (a15 >>> 3);
        var s1 = ((a2 >>> 17) | (a2 << 15)) ^ ((a2 >>> 19) | (a2 << 13)) ^ (a2 >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      var A = h[0], B = h[1], C = h[2], D = h[3], E = h[4], F = h[5], G = h[6], H = h[7];
      for (i = 0; i < 64; i++) {
        var S1 = ((E >>> 6) | (E << 26)) ^ ((E >>> 11) | (E << 21)) ^ ((E >>> 25) | (E << 7));
        var ch = (E & F) ^ (~E & G);
        var t1 = (H + S1 + ch + K[i] + w[i]) | 0;
        var S0 = ((A >>> 2) | (A << 30)) ^ ((A >>> 13) | (A << 19)) ^ ((A >>> 22) | (A << 10));
        var maj = (A & B) ^ (A & C) ^ (B & C);
        var t2 = (S0 + maj) | 0;
        H = G; G = F; F = E; E = (D + t1) | 0; D = C; C = B; B = A; A = (t1 + t2) | 0;
      }
      h[0] = (h[0] + A) | 0; h[1] = (h[1] + B) | 0; h[2] = (h[2] + C) | 0; h[3] = (h[3] + D) | 0;
      h[4] = (h[4] + E) | 0; h[5] = (h[5] + F) | 0; h[6] = (h[6] + G) | 0; h[7] = (h[7] + H) | 0;
    }
    return h.map(function (x) { return ("00000000" + (x >>> 0).toString(16)).slice(-8); }).join("");
  }

  // --- codes (the same reading as app/services/checkin.py parse_code) ----------------------
  function parseCode(code) {
    var text = String(code || "");
    if (text.normalize) { text = text.normalize("NFKC"); }
    text = text.trim();
    if (!text || text.length > 500) { return null; }
    var match = TICKET_PATH_RE.exec(text);
    if (match) { return match[1]; }
    var bare = text.replace(/\s/g, "");
    var number = bare.replace(/-/g, "").toUpperCase();
    if (TICKET_RE.test(number)) { return number; }
    if (TOKEN_RE.test(bare)) { return bare; }  // tokens may hold dashes themselves
    return null;
  }

  function indexList() {
    state.index = {};
    if (!state.list || !state.list.entries) { return; }
    state.list.entries.forEach(function (entry) {
      entry.h.forEach(function (hash) { state.index[hash] = entry; });
    });
  }

  function localEntry(code) {
    if (!state.list) { return null; }
    var value = parseCode(code);
    if (!value) { return null; }
    return state.index[sha256(state.list.salt + ":" + value)] || null;
  }

  // --- network ----------------------------------------------------------------------------
  function request(url, options, timeoutMs) {
    options = options || {};
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, timeoutMs || FETCH_TIMEOUT_MS) : null;
    options.credentials = "same-origin";
    options.headers = Object.assign({"Accept": "application/json"}, options.headers || {});
    if (controller) { options.signal = controller.signal; }
    return fetch(url, options).finally(function () { if (timer) { clearTimeout(timer); } });
  }

  function postScan(item, timeout) {
    return request(cfg.checkinUrl, {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRFToken": cfg.csrf},
      body: JSON.stringify({
        event: cfg.event, code: item.code, gate: item.gate, nonce: item.nonce,
        scanned_at: item.scanned_at, source: item.source
      })
    }, timeout);
  }

  function newNonce() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function setOnline(online) {
    state.online = online;
    showNet();
  }

  // Returns true when the reason is new (the caller then tells the steward once).
  function setBlocked(reason) {
    var changed = state.blocked !== reason;
    state.blocked = reason;
    showNet();
    return changed && !!reason;
  }

  function blockedBy(status, body) {
    if (status === 401) { return "login"; }
    if (status === 400 && body && body.reload) { return "reload"; }
    return null;
  }

  function blockedMessage() { return state.blocked === "login" ? t("login") : t("page_stale"); }

  function showNet() {
    var fine = state.online && !state.blocked;
    el.net.classList.toggle("ck-net-online", fine);
    el.net.classList.toggle("ck-net-offline", !fine);
    el.netText.textContent = state.blocked === "login" ? t("signed_out")
      : state.blocked === "reload" ? t("stale_queue") : state.online ? t("online") : t("offline");
    el.relogin.hidden = !state.blocked;
    el.relogin.textContent = state.blocked === "login" ? t("relogin") : t("reload");
    root.dataset.online = state.online ? "1" : "0";
    root.dataset.blocked = state.blocked || "";
    showQueue();
  }

  function showQueue() {
    var n = state.queue.length;
    el.queue.hidden = n === 0;
    el.queue.textContent = n ? t("queued", {n: n}) : "";
    root.dataset.queued = String(n);
  }

  // --- scanning ---------------------------------------------------------------------------
  // The field takes more than a name (a scanned link may land in it); a gate's name is 50.
  function gateName() { return (el.gate.value || "").trim().slice(0, 50); }

  function submit(code, source, sliding, onAnswer) {
    code = String(code || "").trim();
    if (!code) { return; }
    var now = Date.now();
    if (code === state.lastCode && now - state.lastAt < REPEAT_MS) {
      if (sliding) { state.lastAt = now; }  // a QR still in front of the camera
      return;
    }
    state.lastCode = code;
    state.lastAt = now;
    var seq = ++state.seq;
    var item = {code: code, gate: gateName(), nonce: newNonce(),
                scanned_at: new Date(now).toISOString(), source: source || "scan"};
    if (!state.online || state.blocked) { admitOffline(item, seq); return; }
    var queued = queuedAdmission(code);
    if (queued) {
      // Admitted here offline and not yet synced: the server has not heard of it and
      // would admit it again (a copy of the ticket). The local list knows.
      var known = offlineAnswer(queued, new Date(now));
      known.local = true;  // the server has no check-in to check out from yet
      show(known, code, seq);
      sync();
      return;
    }
    var checking = setTimeout(function () { showChecking(seq); }, CHECKING_AFTER_MS);
    postScan(item, SCAN_TIMEOUT_MS).finally(function () { clearTimeout(checking); }).then(function (response) {
      // Too many requests (429): not a refusal of this ticket; keep the scan for later.
      if (response.status === 429) { throw new Error("busy"); }
      if (response.status >= 400 && response.status < 500) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          var reason = blockedBy(response.status, body);
          if (!reason) { showError(body.message || t("error"), seq); return; }
          // Signed out, or a stale page: not this ticket's fault. Answer from the local
          // list as offline, and keep the scan until the steward signs in or reloads.
          setBlocked(reason);
          scheduleProbe();
          admitOffline(item, seq);
        });
      }
      if (!response.ok) { throw new Error("server " + response.status); }
      return response.json().then(function (answer) {
        show(answer, code, seq);
        rememberAnswer(code, answer);
        refreshStatsSoon();
        if (onAnswer) { onAnswer(answer); }
      });
    }).catch(function () {
      setOnline(false);
      admitOffline(item, seq);
      scheduleProbe();
    });
  }

  // The local list's entry of a ticket whose offline admission still waits in the queue.
  function queuedAdmission(code) {
    if (!state.queue.length || !state.list) { return null; }
    var entry = localEntry(code);
    if (!entry) { return null; }
    for (var i = 0; i < state.queue.length; i++) {
      if (localEntry(state.queue[i].code) === entry) { return entry; }
    }
    return null;
  }

  function rememberAnswer(code, answer) {
    if (answer.result !== "ok" && answer.result !== "already_checked_in") { return; }
    var entry = localEntry(code);
    if (entry && !entry.checked_in_at) {
      entry.checked_in_at = answer.checked_in_at;
      entry.checked_in_time = answer.checked_in_time;
      entry.gate = answer.gate;
      save(KEY_LIST, state.list);
    }
    if (answer.result === "ok" && !answer.repeat) { bumpCount(answer.slot_key, answer.party_size); }
  }

  function admitOffline(item, seq) {
    if (!state.list) { showError(state.blocked ? blockedMessage() : t("no_list"), seq); return; }
    var entry = localEntry(item.code);
    var answer = offlineAnswer(entry, new Date(item.scanned_at));
    if (answer.result === "ok") {
      entry.checked_in_at = item.scanned_at;
      entry.checked_in_time = hhmm(new Date(item.scanned_at));
      entry.gate = item.gate;
      save(KEY_LIST, state.list);
      item.source = "offline";
      item.name = entry.name;  // masked, as in the list: names the scan if the server refuses it
      state.queue.push(item);
      save(KEY_QUEUE, state.queue);
      bumpCount(entry.slot, entry.party_size);
      showQueue();
    }
    answer.offline = true;
    show(answer, item.code, seq);
  }

  function offlineAnswer(entry, at) {
    if (!entry) { return {result: "not_found"}; }
    var slot = (state.list.slots || {})[entry.slot] || {};
    var answer = {name: entry.name, party_size: entry.party_size, slot: slot.label, slot_key: entry.slot};
    var status = entry.status;
    if (status === "cancelled" || status === "rejected") { answer.result = "cancelled"; return answer; }
    if (status === "waitlisted" || status === "pending") { answer.result = status; return answer; }
    if (entry.checked_in_at) {
      answer.result = "already_checked_in";
      answer.checked_in_time = entry.checked_in_time || hhmm(new Date(entry.checked_in_at));
      answer.gate = entry.gate;
      return answer;
    }
    if (slot.opens && (at < new Date(slot.opens) || at > new Date(slot.closes))) {
      answer.result = "outside_window";
      answer.opens_date = mmdd(new Date(slot.opens));  // as the server says it online
      answer.opens_time = hhmm(new Date(slot.opens));
      answer.closes_date = mmdd(new Date(slot.closes));
      answer.closes_time = hhmm(new Date(slot.closes));
      return answer;
    }
    answer.result = "ok";
    return answer;
  }

  function hhmm(date) {
    try {
      return date.toLocaleTimeString("zh-CN", {hour: "2-digit", minute: "2-digit", hourCycle: "h23",
                                                timeZone: "Asia/Shanghai"});
    } catch (e) {
      return ("0" + date.getHours()).slice(-2) + ":" + ("0" + date.getMinutes()).slice(-2);
    }
  }

  function mmdd(date) {
    try {
      var parts = {};
      new Intl.DateTimeFormat("en-US", {month: "2-digit", day: "2-digit", timeZone: "Asia/Shanghai"})
        .formatToParts(date).forEach(function (part) { parts[part.type] = part.value; });
      if (parts.month && parts.day) { return parts.month + "-" + parts.day; }
    } catch (e) { /* below */ }
    var shanghai = new Date(date.getTime() + 8 * 3600 * 1000);  // UTC+8, no summer time
    return ("0" + (shanghai.getUTCMonth() + 1)).slice(-2) + "-" + ("0" + shanghai.getUTCDate()).slice(-2);
  }

  // --- the answer panel, sound, vibration -------------------------------------------------
  var TONE = {ok: "ok", already_checked_in: "warn"};

  var CODE_SHOWN_MAX = 80;

  // ``code``: what was scanned or typed. The input is cleared for the next person, so an
  // unknown ticket shows it here (as text) for the steward to check against the ticket.
  // ``seq``: the scan's number. Answers may come back out of order (a slow request, then a
  // quick one): an older scan's answer never replaces a newer one's on the panel.
  function isNewest(seq) {
    if (seq === undefined) { return true; }
    if (seq < state.shownSeq) { return false; }
    state.shownSeq = seq;
    return true;
  }

  function show(answer, code, seq) {
    if (!isNewest(seq)) { return; }
    var tone = TONE[answer.result] || "bad";
    el.result.className = "ck-result ck-" + tone;
    el.result.dataset.result = answer.result;
    el.title.textContent = t(answer.result);
    el.name.textContent = answer.name || "";
    if (answer.party_size) {
      // The party size on one line ("party of" above a lone "20" misleads at a glance).
      var party = document.createElement("span");
      party.className = "ck-party";
      party.textContent = t("people", {n: answer.party_size});
      if (answer.name) { el.name.appendChild(document.createTextNode("  ")); }
      el.name.appendChild(party);
    }
    el.name.classList.remove("ck-result-code");
    if (answer.result === "not_found" && code) { showCode(code); }
    var detail = [];
    if (answer.result === "already_checked_in") {
      detail.push(t("first_at", {time: answer.checked_in_time || "", gate: answer.gate || t("no_gate")}));
    }
    if (answer.result === "outside_window" && answer.opens_time) {
      var opens = (answer.opens_date ? answer.opens_date + " " : "") + answer.opens_time;
      // The closing date only when it is another day (a slot ending at midnight).
      var closes = (answer.closes_date && answer.closes_date !== answer.opens_date ?
                    answer.closes_date + " " : "") + answer.closes_time;
      detail.push(t("window", {opens: opens, closes: closes}));
    }
    if (answer.result === "wrong_event" && answer.other_event) { detail.push(answer.other_event); }
    if (answer.slot) { detail.push(answer.slot); }
    if (answer.offline && answer.result === "not_found") {
      // The local list is only this event's, as of its last refresh: say what that means.
      detail.push(t("not_found_offline"));
    } else if (answer.offline && answer.result === "ok") {
      // Only an admission is a check-in made offline; a refusal is not one.
      detail.push(t("offline_note"));
    }
    el.detail.textContent = detail.join(" · ");
    if (el.quickCheckout) {
      // A volunteer checked in already, as the server says: offer their check-out.
      var leaving = answer.result === "already_checked_in" && !answer.offline && !answer.local && !!code;
      el.quickCheckout.hidden = !leaving;
      el.quickCheckoutCode.value = leaving ? code : "";
    }
    signal(tone);
    clearTimeout(state.idleTimer);
    state.idleTimer = setTimeout(function () { el.result.classList.add("ck-faded"); }, IDLE_AFTER_MS);
  }

  // "Scanned or typed: <code>", the code in a span of its own (text, never markup) that a
  // short ticket number keeps on one line.
  function showCode(code) {
    var shown = String(code).trim();
    if (shown.length > CODE_SHOWN_MAX) { shown = shown.slice(0, CODE_SHOWN_MAX - 1) + "…"; }
    var around = t("scanned_code").split("{code}");
    var span = document.createElement("span");
    span.className = "ck-code" + (shown.length <= 24 ? " ck-code-short" : "");
    span.textContent = shown;
    el.name.textContent = "";
    el.name.appendChild(document.createTextNode(around[0] || ""));
    el.name.appendChild(span);
    el.name.appendChild(document.createTextNode(around.slice(1).join("")));
    el.name.classList.add("ck-result-code");
  }

  // The scan went to the server and its answer is late: a neutral panel, no sound.
  function showChecking(seq) {
    if (!isNewest(seq)) { return; }
    el.result.className = "ck-result ck-idle ck-checking";
    el.result.dataset.result = "checking";
    el.title.textContent = t("checking");
    el.name.textContent = "";
    el.name.classList.remove("ck-result-code");
    el.detail.textContent = "";
    if (el.quickCheckout) { el.quickCheckout.hidden = true; }
  }

  function showError(message, seq) {
    if (!isNewest(seq)) { return; }
    el.result.className = "ck-result ck-bad";
    el.result.dataset.result = "error";
    el.title.textContent = message;
    el.name.textContent = "";
    el.name.classList.remove("ck-result-code");
    el.detail.textContent = "";
    signal("bad");
  }

  var audio = null;
  function unlockAudio() {
    if (audio || !(window.AudioContext || window.webkitAudioContext)) { return; }
    try { audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { audio = null; }
  }
  function beep(freq, start, length, type) {
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    osc.type = type || "sine";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.25, audio.currentTime + start);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + start + length);
    osc.connect(gain);
    gain.connect(audio.destination);
    osc.start(audio.currentTime + start);
    osc.stop(audio.currentTime + start + length + 0.02);
  }
  function signal(tone) {
    if (audio) {
      try {
        if (audio.state === "suspended") { audio.resume(); }
        if (tone === "ok") { beep(1046, 0, 0.15); }
        else if (tone === "warn") { beep(784, 0, 0.12); beep(784, 0.18, 0.12); }
        else { beep(196, 0, 0.45, "square"); }
      } catch (e) { /* no sound on this device */ }
    }
    if (navigator.vibrate) {
      try { navigator.vibrate(tone === "ok" ? 80 : tone === "warn" ? [80, 60, 80] : [300]); } catch (e) { /* ignore */ }
    }
  }
  ["keydown", "pointerdown", "touchstart"].forEach(function (name) {
    document.addEventListener(name, unlockAudio, {once: true, passive: true});
  });

  // --- counters ---------------------------------------------------------------------------
  function setCounts(counts) {
    if (!counts || !counts.event) { return; }
    $("count-event-in").textContent = counts.event.checked_in;
    $("count-event-expected").textContent = counts.event.expected;
    $("count-event-people").textContent = counts.event.people_in + " / " + counts.event.people_expected;
    (counts.slots || []).forEach(function (slot) {
      var box = root.querySelector('.ck-count[data-slot="' + cssEscape(slot.key) + '"]');
      if (!box) { return; }
      box.querySelector(".slot-in").textContent = slot.checked_in;
      box.querySelector(".slot-expected").textContent = slot.expected;
      box.querySelector(".slot-people").textContent = slot.people_in + " / " + slot.people_expected;
    });
  }
  // The counts as the local list knows them, with this screen's offline admissions: what
  // the screen shows when it opened without the network (the service worker's copy of the
  // page holds the counts of the last time it was loaded) and while scans wait to be synced.
  // The same rule as the server's: confirmed tickets of onsite slots.
  function countsFromList() {
    var zero = function (key) { return {key: key, checked_in: 0, expected: 0, people_in: 0, people_expected: 0}; };
    var counts = {event: zero(null), slots: []};
    var bySlot = {};
    var slots = state.list.slots || {};
    Object.keys(slots).forEach(function (key) {
      if (slots[key].mode === "online") { return; }
      bySlot[key] = zero(key);
      counts.slots.push(bySlot[key]);
    });
    (state.list.entries || []).forEach(function (entry) {
      var slot = bySlot[entry.slot];
      if (!slot || entry.status !== "confirmed") { return; }
      [slot, counts.event].forEach(function (count) {
        count.expected += 1;
        count.people_expected += entry.party_size || 1;
        if (entry.checked_in_at) {
          count.checked_in += 1;
          count.people_in += entry.party_size || 1;
        }
      });
    });
    return counts;
  }
  function cssEscape(value) { return window.CSS && CSS.escape ? CSS.escape(value) : value; }

  function bumpCount(slotKey, people) {
    var bump = function (node, by) { if (node) { node.textContent = String((parseInt(node.textContent, 10) || 0) + by); } };
    bump($("count-event-in"), 1);
    var box = slotKey ? root.querySelector('.ck-count[data-slot="' + cssEscape(slotKey) + '"]') : null;
    if (box) { bump(box.querySelector(".slot-in"), 1); }
    var bumpPeople = function (node) {
      if (!node) { return; }
      var parts = node.textContent.split("/");
      node.textContent = ((parseInt(parts[0], 10) || 0) + (people || 1)) + " / " + (parts[1] || "").trim();
    };
    bumpPeople($("count-event-people"));
    if (box) { bumpPeople(box.querySelector(".slot-people")); }
  }

  var statsTimer = null;
  function refreshStatsSoon() {
    clearTimeout(statsTimer);
    statsTimer = setTimeout(refreshStats, 1500);
  }
  function refreshStats() {
    if (!state.online || state.queue.length) { return; }
    request(cfg.statsUrl).then(function (r) {
      // Signed out (the 30-minute idle limit, or the day's 12 hours): say so before the
      // next person's scan finds out.
      if (r.status === 401) { setBlocked("login"); scheduleProbe(); }
      return r.ok ? r.json() : null;
    })
      .then(function (counts) { if (counts) { setCounts(counts); } })
      .catch(function () { /* the next scan or probe will notice */ });
  }

  // --- the offline list and the queue -----------------------------------------------------
  function refreshList() {
    return request(cfg.listUrl).then(function (response) {
      if (!response.ok) { throw new Error("list " + response.status); }
      return response.json();
    }).then(function (list) {
      // Scans still queued here are admitted already: keep them marked in the new list.
      state.list = list;
      indexList();
      state.queue.forEach(function (item) {
        var entry = localEntry(item.code);
        if (entry && !entry.checked_in_at) {
          entry.checked_in_at = item.scanned_at;
          entry.checked_in_time = hhmm(new Date(item.scanned_at));
          entry.gate = item.gate;
        }
      });
      save(KEY_LIST, state.list);
      // Scans still queued are not in the server's counts yet; they are in the list's.
      setCounts(state.queue.length ? countsFromList() : list.counts);
      root.dataset.listSize = String(list.entries.length);
      return list;
    });
  }

  function sync() {
    if (state.syncing) { return Promise.resolve(); }
    if (!state.queue.length) {
      // Nothing waits: a light request tells whether the server is back.
      return request(cfg.statsUrl).then(function (r) {
        if (r.status >= 500) { throw new Error("server " + r.status); }
        setOnline(true);
        if (r.status === 401) { setBlocked("login"); scheduleProbe(); return; }
        if (state.blocked === "login" && r.ok) { setBlocked(null); }  // signed in again
        if (r.ok) { return r.json().then(setCounts); }
      }).catch(function () { setOnline(false); scheduleProbe(); });
    }
    state.syncing = true;
    var item = state.queue[0];
    return postScan(item).then(function (response) {
      if (response.status >= 500 || response.status === 429) {
        state.syncing = false;
        throw new Error("sync " + response.status);
      }
      return response.json().catch(function () { return {}; }).then(function (answer) {
        var reason = blockedBy(response.status, answer);
        if (reason) {
          // The server is there but takes nothing from this page: the scans stay queued
          // (never dropped) until the steward signs in again or reloads.
          state.syncing = false;
          setOnline(true);
          if (setBlocked(reason)) { showError(blockedMessage()); }
          scheduleProbe();
          return;
        }
        // 200 (kept, reported as a conflict, or refused) or another 4xx (refused for
        // good): done with this one. A refusal means someone was let in on the local
        // list's word (a ticket cancelled after the list was fetched): the steward is told.
        if (answer.conflict) { reportConflict(item, answer); }
        else if (!response.ok || (answer.result !== "ok" && answer.result !== "already_checked_in")) {
          reportRefused(item, answer);
        }
        state.queue.shift();
        save(KEY_QUEUE, state.queue);
        state.syncing = false;
        setBlocked(null);
        setOnline(true);
        if (state.queue.length) { return sync(); }
        refreshStats();
        refreshList().catch(function () { /* keep the old one */ });
      });
    }).catch(function () {
      state.syncing = false;
      setOnline(false);
      scheduleProbe();
    });
  }

  // An offline admission the server refused: listed until the steward taps "got it".
  function reportRefused(item, answer) {
    var who = item.name || answer.name || item.code;
    var why = answer.result && texts[answer.result] ? t(answer.result) : (answer.message || t("error"));
    var li = document.createElement("li");
    li.textContent = who + " · " + why + " · " + hhmm(new Date(item.scanned_at)) + (item.gate ? " · " + item.gate : "");
    el.reportList.appendChild(li);
    state.refused += 1;
    el.reportText.textContent = t("sync_refused", {n: state.refused});
    el.reportText.hidden = false;
    el.report.hidden = false;
    root.dataset.refused = String(state.refused);
  }

  // An offline admission of a ticket another gate had admitted too (the same ticket twice,
  // perhaps a copy of it): listed with the first check-in the server keeps, until the
  // steward taps "got it". (It used to be a note in the status bar that the next network
  // check wiped within seconds.)
  function reportConflict(item, answer) {
    var li = document.createElement("li");
    li.textContent = (item.name || answer.name || item.code) + " · " +
      t("first_at", {time: answer.checked_in_time || "", gate: answer.gate || t("no_gate")});
    el.conflictList.appendChild(li);
    state.conflicts += 1;
    el.conflictText.textContent = t("synced_conflicts", {n: state.conflicts});
    el.conflictText.hidden = false;
    el.report.hidden = false;
    root.dataset.conflicts = String(state.conflicts);
  }

  el.reportClose.addEventListener("click", function () {
    el.report.hidden = true;
    el.reportText.hidden = true;
    el.conflictText.hidden = true;
    el.reportList.textContent = "";
    el.conflictList.textContent = "";
    state.refused = 0;
    state.conflicts = 0;
    root.dataset.refused = "0";
    root.dataset.conflicts = "0";
  });

  var probeTimer = null;
  function scheduleProbe() {
    clearTimeout(probeTimer);
    probeTimer = setTimeout(sync, PROBE_MS);
  }

  window.addEventListener("online", function () { sync(); });
  window.addEventListener("offline", function () { setOnline(false); scheduleProbe(); });

  // --- the handheld scanner input: always focused ----------------------------------------
  var coarse = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
  if (coarse) { el.scan.setAttribute("inputmode", "none"); }  // no on-screen keyboard for a scanner
  el.scan.addEventListener("pointerdown", function () { el.scan.setAttribute("inputmode", "text"); });

  el.scanForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var code = el.scan.value;
    el.scan.value = "";
    if (coarse) { el.scan.setAttribute("inputmode", "none"); }
    submit(code, "scan");
  });

  // The scanner's input takes the focus back whenever nothing holds it (a tap on the panel)
  // and after a tap on a button. A control reached with the keyboard (Tab) keeps it: taking
  // it back would trap a keyboard user in the scanner's input. A scanner typing meanwhile
  // still types into the scanner's input (the keydown below).
  function isTextField(node) {
    return !!node && (node.tagName === "INPUT" || node.tagName === "TEXTAREA" ||
                      node.tagName === "SELECT" || node.isContentEditable);
  }
  function isTypingElsewhere() {
    var active = document.activeElement;
    return active !== el.scan && isTextField(active);
  }
  function focusIsNowhere() {
    var active = document.activeElement;
    return !active || active === document.body || active === document.documentElement;
  }
  function takeFocusBack() {
    if (!isTypingElsewhere() && document.activeElement !== el.scan) { el.scan.focus({preventScroll: true}); }
  }
  function refocus() {
    if (focusIsNowhere()) { el.scan.focus({preventScroll: true}); }
  }
  el.scan.addEventListener("blur", function () { setTimeout(refocus, 200); });
  document.addEventListener("click", function (ev) {
    // detail 0: a button pressed with Enter or Space, by someone moving with the keyboard.
    if (ev.detail !== 0 && !ev.target.closest("input, textarea, select, a")) { setTimeout(takeFocusBack, 0); }
  });
  document.addEventListener("keydown", function (ev) {
    // A character typed while a button or link has the focus: a handheld scanner's code.
    // Moved to the scanner's input before the character lands. (Space still presses the
    // button; Enter too.)
    if (ev.key.length !== 1 || ev.key === " " || ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    if (isTextField(document.activeElement)) { return; }
    el.scan.focus({preventScroll: true});
  }, true);
  el.search.addEventListener("blur", function () { setTimeout(refocus, 200); });
  el.gate.addEventListener("blur", function () { setTimeout(refocus, 200); });

  // --- the gate name, remembered per screen ----------------------------------------------
  el.gate.value = load(KEY_GATE, "") || "";
  // A check-out records the gate too (the forms are plain forms: they work without this).
  function fillCheckoutGates() {
    Array.prototype.forEach.call(document.querySelectorAll(".checkout-gate"), function (input) {
      input.value = gateName();
    });
  }
  fillCheckoutGates();
  el.gate.addEventListener("input", function () { save(KEY_GATE, gateName()); fillCheckoutGates(); });
  // A handheld scanner types wherever the focus is: right after naming the gate, a ticket's
  // link lands at the end of the gate's name. The gate keeps its name; the ticket is scanned.
  var TICKET_LINK = /(https?:\/\/\S*\/tickets\/[A-Za-z0-9_-]+)\s*$/;
  el.gate.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter") { return; }
    ev.preventDefault();
    var link = TICKET_LINK.exec(el.gate.value);
    if (link) {
      el.gate.value = el.gate.value.slice(0, link.index).trim();
      save(KEY_GATE, gateName());
      fillCheckoutGates();
    }
    el.scan.focus();
    if (link) { submit(link[1], "scan"); }
  });

  // --- manual search ----------------------------------------------------------------------
  el.searchForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = el.search.value.trim();
    el.searchResults.textContent = "";
    el.searchMessage.hidden = true;
    if (!q) { return; }
    if (!state.online) { searchMessage(t("search_offline")); return; }
    request(cfg.searchUrl + "?q=" + encodeURIComponent(q)).then(function (r) {
      if (r.status === 401) { throw new Error("login"); }
      if (!r.ok) { throw new Error("search " + r.status); }
      return r.json();
    }).then(function (body) {
      if (!body.results.length) { searchMessage(t("search_none")); return; }
      body.results.forEach(renderResult);
    }).catch(function (err) {
      searchMessage(err.message === "login" ? t("login") : t("search_offline"));
    });
  });

  function searchMessage(text) {
    el.searchMessage.textContent = text;
    el.searchMessage.hidden = false;
  }

  function renderResult(row) {
    var li = document.createElement("li");
    li.className = "ck-hit";
    var info = document.createElement("div");
    info.className = "ck-hit-info";
    var who = document.createElement("strong");
    who.textContent = row.name + "  " + row.phone;
    var meta = document.createElement("span");
    meta.className = "meta";
    var parts = [row.ticket_number, row.slot, t("people", {n: row.party_size}), t("status_" + row.status)];
    var checkedPart = row.checked_in_time ? t("checked_at", {time: row.checked_in_time}) : null;
    if (checkedPart) { parts.push(checkedPart); }
    meta.textContent = parts.join(" · ");
    info.appendChild(who);
    info.appendChild(meta);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-primary";
    button.textContent = t("checkin_button");
    button.addEventListener("click", function () {
      state.lastCode = null;  // a deliberate tap is never a repeat
      button.disabled = true;
      submit(row.ticket_number, "manual", false, function (answer) {
        // The row says what the panel said, so a second look at the list is not misleading.
        if (answer.checked_in_time) {
          parts = parts.filter(function (part) { return part !== checkedPart; });
          parts.push(t("checked_at", {time: answer.checked_in_time}));
          meta.textContent = parts.join(" · ");
        }
        button.textContent = t(answer.result);
        if (answer.result !== "ok" && answer.result !== "already_checked_in") { button.disabled = false; }
      });
    });
    // Someone already in, or whose ticket does not admit, needs no red button to tap:
    // the row says so (a tap would only bring the same answer).
    if (row.checked_in_time) {
      button.textContent = t("already_checked_in");
      button.className = "btn";
      button.disabled = true;
    } else if (row.status !== "confirmed") {
      button.textContent = t("status_" + row.status);
      button.className = "btn";
      button.disabled = true;
    }
    li.appendChild(info);
    li.appendChild(button);
    el.searchResults.appendChild(li);
  }

  // --- the camera -------------------------------------------------------------------------
  var camera = {stream: null, timer: null, busy: false};

  el.camToggle.addEventListener("click", function () {
    if (camera.stream) { stopCamera(); } else { startCamera(); }
  });

  function startCamera() {
    el.camMessage.hidden = true;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.jsQR) {
      // Browsers hide the camera from a page not served over HTTPS (a bare LAN address).
      cameraError(window.isSecureContext === false ? "camera_insecure" : "camera_error");
      return;
    }
    navigator.mediaDevices.getUserMedia({
      audio: false,
      video: {facingMode: {ideal: "environment"}, width: {ideal: 1280}, height: {ideal: 720}}
    }).then(function (stream) {
      camera.stream = stream;
      el.video.srcObject = stream;
      el.videoWrap.hidden = false;
      el.camToggle.textContent = t("camera_on");
      root.dataset.camera = "on";
      return el.video.play();
    }).then(function () {
      camera.timer = setInterval(decodeFrame, 150);
    }).catch(function (err) {
      stopCamera();
      cameraError(cameraProblem(err));
    });
  }

  function stopCamera() {
    clearInterval(camera.timer);
    if (camera.stream) { camera.stream.getTracks().forEach(function (track) { track.stop(); }); }
    camera.stream = null;
    el.video.srcObject = null;
    el.videoWrap.hidden = true;
    el.camToggle.textContent = t("camera_off");
    root.dataset.camera = "off";
  }

  // What the steward can do about it differs: allow the camera, find another device, or
  // just scan with the handheld scanner; each message ends on what keeps working.
  function cameraProblem(err) {
    var name = (err && err.name) || "";
    if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
      return "camera_denied";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
      return "camera_missing";
    }
    if (name === "NotReadableError" || name === "TrackStartError") { return "camera_busy"; }
    return "camera_error";
  }

  function cameraError(key) {
    el.camMessage.textContent = t(key || "camera_error");
    el.camMessage.hidden = false;
    root.dataset.cameraProblem = key || "camera_error";
  }

  function decodeFrame() {
    var video = el.video;
    if (camera.busy || !video.videoWidth || video.readyState < 2) { return; }
    camera.busy = true;
    try {
      var scale = Math.min(1, 640 / video.videoWidth);
      var w = Math.round(video.videoWidth * scale);
      var h = Math.round(video.videoHeight * scale);
      el.canvas.width = w;
      el.canvas.height = h;
      var ctx = el.canvas.getContext("2d", {willReadFrequently: true});
      ctx.drawImage(video, 0, 0, w, h);
      var found = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, {inversionAttempts: "dontInvert"});
      if (found && found.data) { submit(found.data, "scan", true); }
    } finally {
      camera.busy = false;
    }
  }

  // --- the screen without the network -----------------------------------------------------
  // A service worker (/staff/checkin-sw.js) opens this screen again when the server cannot
  // be reached; it needs the screen and its files in its cache, so they go there now.
  function keepScreenForOffline() {
    if (!("serviceWorker" in navigator) || !window.caches) { return; }
    navigator.serviceWorker.register(root.getAttribute("data-sw-url"), {scope: "/staff/"})
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function () {
        var files = [window.location.pathname];
        document.querySelectorAll("link[rel=stylesheet], script[src]").forEach(function (tag) {
          var url = new URL(tag.getAttribute("href") || tag.getAttribute("src"), window.location.href);
          if (url.origin === window.location.origin) { files.push(url.pathname); }
        });
        return caches.open("openday-checkin-v1").then(function (cache) { return cache.addAll(files); });
      })
      .then(function () { root.setAttribute("data-offline-ready", "1"); })
      .catch(function () { /* no service worker (plain http, private mode): online only */ });
  }

  // --- start ------------------------------------------------------------------------------
  keepScreenForOffline();
  setOnline(true);
  showQueue();
  el.scan.focus();
  if (state.queue.length) { sync(); }
  refreshList().catch(function () {
    // Offline at start: the stored list (if any) serves, and its counts are newer than
    // those of the page the service worker kept.
    if (state.list) { setCounts(countsFromList()); }
  });
  setInterval(function () {
    if (state.online) { refreshList().catch(function () { /* the next scan notices */ }); }
  }, LIST_REFRESH_MS);
  setInterval(refreshStats, STATS_REFRESH_MS);
})();
