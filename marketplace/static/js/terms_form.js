/* The licence terms form (request and counter-offer): progressive enhancement only. Without
   this file every field still works and the server checks and prices the terms.

   1. Moving the start date moves the end date with it, so the chosen duration (and with it the
      price's duration tier) stays as it was. Changing the end date changes the duration.
   2. The territory picker (templates/licensing/widgets/territory_picker.html): a filter box over
      the country list, and the "chosen" summary kept in step with the boxes ticked. */
(function () {
  "use strict";

  const DAY_MS = 24 * 60 * 60 * 1000;

  function parseDay(value) {
    // <input type=date> gives YYYY-MM-DD; read it as a calendar day, in UTC, to avoid DST.
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
    if (!match) { return null; }
    return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  }

  function formatDay(ms) {
    return new Date(ms).toISOString().slice(0, 10);
  }

  function keepDuration(form) {
    const start = form.querySelector("input[name=start_date]");
    const end = form.querySelector("input[name=end_date]");
    if (!start || !end || start.dataset.keepsDuration) { return; }
    start.dataset.keepsDuration = "1";
    let lastStart = parseDay(start.value);
    // Runs on the input itself, before the change bubbles to the form and htmx asks for the
    // quote, so the quote is priced with both dates moved.
    start.addEventListener("change", function () {
      const newStart = parseDay(start.value);
      const oldEnd = parseDay(end.value);
      if (newStart !== null && lastStart !== null && oldEnd !== null && oldEnd >= lastStart) {
        end.value = formatDay(newStart + (oldEnd - lastStart));
      }
      if (newStart !== null) { lastStart = newStart; }
    });
  }

  function normalise(text) {
    return (text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function territoryPicker(picker) {
    if (picker.dataset.ready) { return; }
    picker.dataset.ready = "1";
    const filter = picker.querySelector("input.territory-filter");
    const filterRow = picker.querySelector(".territory-filter-row");
    const countries = Array.from(picker.querySelectorAll(".territory-countries li"));
    const none = picker.querySelector(".territory-none");
    const chosen = picker.querySelector(".territory-chosen");
    const count = picker.querySelector(".territory-count");
    const summaryCount = picker.querySelector(".territory-summary-count");
    const total = countries.length;

    if (filterRow) { filterRow.hidden = false; }

    function applyFilter() {
      const words = normalise(filter.value).split(/\s+/).filter(Boolean);
      let shown = 0;
      countries.forEach(function (item) {
        const haystack = item.dataset.search || "";
        const match = words.every(function (w) { return haystack.indexOf(w) !== -1; });
        item.hidden = !match;
        if (match) { shown += 1; }
      });
      if (none) { none.hidden = shown !== 0; }
      if (words.length) {
        const details = picker.querySelector("details.territory-details");
        if (details) { details.open = true; }
      }
    }

    function refreshChosen() {
      const boxes = Array.from(picker.querySelectorAll("input[type=checkbox][name]"));
      const ticked = boxes.filter(function (b) { return b.checked; });
      const covered = new Set();
      ticked.forEach(function (box) {
        (box.dataset.countries || box.value).split(" ").forEach(function (code) {
          if (code) { covered.add(code); }
        });
      });
      if (chosen) {
        chosen.textContent = "";
        ticked.forEach(function (box) {
          // With the script a chosen territory is a button that unticks it.
          const name = box.dataset.label || box.value;
          const chip = document.createElement("button");
          chip.type = "button";
          chip.className = "chip";
          chip.setAttribute("aria-label", "Remove " + name);
          chip.textContent = name;
          const cross = document.createElement("span");
          cross.setAttribute("aria-hidden", "true");
          cross.textContent = " ×";
          chip.appendChild(cross);
          chip.addEventListener("click", function () {
            box.checked = false;
            box.dispatchEvent(new Event("change", { bubbles: true }));
          });
          chosen.appendChild(chip);
        });
        if (!ticked.length) {
          const empty = document.createElement("span");
          empty.className = "muted";
          empty.textContent = "None yet.";
          chosen.appendChild(empty);
        }
      }
      if (count) {
        const n = covered.size;
        count.textContent = n === 0 ? "" :
          (n >= total ? "Worldwide: every country (" + n + ")." :
            n + (n === 1 ? " country." : " countries."));
      }
      if (summaryCount) {
        const picked = picker.querySelectorAll(".territory-countries input:checked").length;
        summaryCount.textContent = picked ? " · " + picked + " ticked" : "";
      }
    }

    if (filter) {
      filter.addEventListener("input", applyFilter);
      // Enter in the filter box must not send the request.
      filter.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); }
      });
      applyFilter();
    }
    picker.addEventListener("change", function (event) {
      if (event.target.matches("input[type=checkbox]")) { refreshChosen(); }
    });
    refreshChosen();
  }

  function enable(root) {
    root.querySelectorAll("form.terms-form").forEach(keepDuration);
    root.querySelectorAll(".territory-picker").forEach(territoryPicker);
  }

  document.addEventListener("DOMContentLoaded", function () { enable(document); });
}());
