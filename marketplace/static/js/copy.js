/* Copy buttons of shortened hashes and references (templates/_copyable.html).
   Without this file the buttons stay hidden and the full value is there to select. */
(function () {
  "use strict";

  function selectText(node) {
    const range = document.createRange();
    range.selectNodeContents(node);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function said(button, text) {
    const status = button.parentElement.querySelector(".copy-status");
    if (status) {
      status.textContent = text;
      window.setTimeout(function () { status.textContent = ""; }, 2500);
    }
  }

  function copy(button) {
    const value = button.getAttribute("data-copy");
    const full = button.parentElement.querySelector(".full-value");
    const fallback = function () {
      // No clipboard (plain HTTP, old browser, refused): open and select the full value.
      const details = full && full.closest("details");
      if (details) { details.open = true; }
      if (full) { selectText(full); }
      said(button, "Selected: copy it with your device's menu.");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value).then(function () { said(button, "Copied."); }, fallback);
    } else {
      fallback();
    }
  }

  function enable(root) {
    root.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
      if (button.dataset.ready) { return; }
      button.dataset.ready = "1";
      button.hidden = false;
      button.addEventListener("click", function () { copy(button); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { enable(document); });
  // htmx swaps in fragments (the contract panel): enable their buttons too.
  document.addEventListener("htmx:afterSwap", function (event) { enable(event.target); });
}());
