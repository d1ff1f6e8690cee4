/* Proof deadlines tick: progressive enhancement only. Each <time data-due data-now> holds the
   deadline and the server's clock when the page was made (both Unix seconds); the script counts
   down from their difference, so a visitor's wrong clock does not move the deadline. Without
   this file the server's text ("2 days, 23 hours") stays, and is correct when the page loads.
   The server decides: an answer after the deadline is refused whatever the page showed. */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function format(seconds) {
    const days = Math.floor(seconds / 86400);
    const hours = Math.floor((seconds % 86400) / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    const secs = seconds % 60;
    const clock = (days || hours ? hours + " h " + pad(minutes) + " min " : minutes + " min ") +
      pad(secs) + " s";
    return days ? days + (days === 1 ? " day, " : " days, ") + clock : clock;
  }

  function start(el) {
    if (el.dataset.ticking) { return; }
    const due = Number(el.dataset.due);
    const now = Number(el.dataset.now);
    if (!Number.isFinite(due) || !Number.isFinite(now)) { return; }
    el.dataset.ticking = "1";
    const loaded = Date.now();
    const total = due - now;
    // Returns whether there is time left (and so whether to tick again).
    function tick() {
      const left = Math.max(0, Math.floor(total - (Date.now() - loaded) / 1000));
      if (left > 0) {
        el.textContent = format(left);
        return true;
      }
      el.textContent = "no time: the answer time ran out";
      const box = el.closest(".notice, li");
      if (box) { box.classList.add("bad"); }
      return false;
    }
    if (tick()) {
      const timer = setInterval(function () {
        if (!tick()) { clearInterval(timer); }
      }, 1000);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("time.countdown[data-due]").forEach(start);
  });
}());
