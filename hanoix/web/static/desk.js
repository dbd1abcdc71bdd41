/* The 24/7 desk: htmx refreshes the list of arrivals; this file notices new rows, marks them,
   shows the alert and sounds a tone (Web Audio: nothing to download), unless the user muted it.
   The mute choice stays in this browser (localStorage). No build step, no dependency. */
(function () {
  "use strict";

  var MUTED_KEY = "hanoix.desk.muted";
  var audio = null;
  var known = null; // envelope ids shown so far; null until the first look
  var marked = {}; // ids that arrived while the page was open, marked New until acknowledged

  function isMuted() {
    try {
      return window.localStorage.getItem(MUTED_KEY) === "1";
    } catch (e) {
      return false; // storage refused (private mode): sound stays on
    }
  }

  function setMuted(value) {
    try {
      window.localStorage.setItem(MUTED_KEY, value ? "1" : "0");
    } catch (e) {
      /* not remembered; the button still says what holds for this page */
    }
  }

  // Browsers start audio only from a user's gesture: the context is made (or resumed) then.
  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) {
      return null;
    }
    if (audio === null) {
      audio = new Context();
    }
    if (audio.state === "suspended") {
      audio.resume();
    }
    return audio;
  }

  function tone(urgent) {
    if (isMuted()) {
      return;
    }
    var ctx = audioContext();
    if (ctx === null) {
      return;
    }
    var beeps = urgent ? 3 : 1;
    for (var i = 0; i < beeps; i += 1) {
      var start = ctx.currentTime + i * 0.35;
      var oscillator = ctx.createOscillator();
      var gain = ctx.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = urgent ? 880 : 660;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.3, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.25);
      oscillator.connect(gain);
      gain.connect(ctx.destination);
      oscillator.start(start);
      oscillator.stop(start + 0.3);
    }
  }

  function look() {
    var rows = document.querySelectorAll("#arrivals [data-envelope]");
    var seen = {};
    var fresh = [];
    var urgent = false;
    rows.forEach(function (row) {
      var id = row.getAttribute("data-envelope");
      seen[id] = true;
      if (known !== null && !known[id]) {
        fresh.push(row);
        marked[id] = true;
        urgent = urgent || row.getAttribute("data-urgent") === "true";
      }
      if (marked[id]) {
        row.classList.add("new");
      }
    });
    known = seen;
    if (fresh.length === 0) {
      return;
    }
    var alert = document.getElementById("desk-alert");
    if (alert !== null) {
      alert.hidden = false;
      // Set anew each time, so that a screen reader announces the role="alert" again.
      alert.textContent = alert.getAttribute(urgent ? "data-urgent" : "data-routine");
    }
    tone(urgent);
  }

  function showMute(button) {
    button.setAttribute("aria-pressed", isMuted() ? "true" : "false");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("desk-mute");
    if (button !== null) {
      showMute(button);
      button.addEventListener("click", function () {
        setMuted(!isMuted());
        showMute(button);
        if (!isMuted()) {
          tone(false); // the user hears what an arrival will sound like
        }
      });
    }
    var unlock = function () {
      if (!isMuted()) {
        audioContext();
      }
    };
    document.addEventListener("click", unlock, { once: true });
    document.addEventListener("keydown", unlock, { once: true });
    look();
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.elt;
    if (target && target.id === "arrivals") {
      look();
    }
  });
})();
