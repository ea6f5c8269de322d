// Case page: selecting a field row highlights where OCR read it on the scan (whichever page of the
// document it is on), and the reverse.
// No inline script (the CSP is default-src 'self'); everything hangs off data-field attributes.
(function () {
  "use strict";

  function boxesFor(name) {
    return document.querySelectorAll('svg.boxes rect[data-field="' + CSS.escape(name) + '"]');
  }

  function select(name, scroll) {
    document.querySelectorAll("svg.boxes rect.selected, tr.selected").forEach(function (el) {
      el.classList.remove("selected");
    });
    if (!name) return;
    var row = document.querySelector('tr[data-field="' + CSS.escape(name) + '"]');
    if (row) row.classList.add("selected");
    boxesFor(name).forEach(function (rect, i) {
      rect.classList.add("selected");
      // Every page of the form is shown: bring the box itself into view, on its own page.
      if (scroll && i === 0) rect.scrollIntoView({ block: "center", behavior: "smooth" });
    });
  }

  // The server guesses each page's pixel size; the image itself knows it (EXIF rotation, PDFs).
  function fitViewBox(img) {
    var svg = img.parentElement.querySelector("svg.boxes");
    if (svg && img.naturalWidth) {
      svg.setAttribute("viewBox", "0 0 " + img.naturalWidth + " " + img.naturalHeight);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".page-frame img").forEach(function (img) {
      if (img.complete) fitViewBox(img);
      img.addEventListener("load", function () { fitViewBox(img); });
    });
    // A value is one line: Enter sends the form, as it did when each value was a one-line input.
    document.querySelectorAll("textarea.field-value").forEach(function (box) {
      box.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          box.form.requestSubmit();
        }
      });
    });
    document.querySelectorAll("tr[data-field]").forEach(function (row) {
      var name = row.getAttribute("data-field");
      row.addEventListener("focusin", function () { select(name, true); });
      row.addEventListener("click", function () { select(name, true); });
    });
    document.querySelectorAll("svg.boxes rect[data-field]").forEach(function (rect) {
      rect.addEventListener("click", function () {
        var name = rect.getAttribute("data-field");
        select(name, false);
        var row = document.querySelector('tr[data-field="' + CSS.escape(name) + '"]');
        var target = row && (row.querySelector("input, textarea") || row);
        if (target) target.focus();
      });
    });
  });
})();
