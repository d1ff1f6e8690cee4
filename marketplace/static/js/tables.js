/* On a phone a wide table scrolls inside its own box (likeness.css): such a box must be
   reachable by keyboard to be scrolled, so a table that overflows joins the tab order. */
(function () {
  "use strict";

  function mark() {
    document.querySelectorAll("main table").forEach(function (table) {
      const scrolls = table.scrollWidth > table.clientWidth + 1;
      if (scrolls && !table.hasAttribute("tabindex")) {
        table.setAttribute("tabindex", "0");
        table.dataset.scrollFocus = "1";
      } else if (!scrolls && table.dataset.scrollFocus) {
        table.removeAttribute("tabindex");
        delete table.dataset.scrollFocus;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", mark);
  document.addEventListener("htmx:afterSettle", mark);
  window.addEventListener("resize", mark);
}());
