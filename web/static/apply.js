// The application form's "Still missing" list: which required details and documents are not
// given yet, updated as the applicant fills the form. Without JavaScript the browser's own
// `required` check and the server's check (which names every missing item) do the same job.
"use strict";

(function () {
  const form = document.getElementById("apply-form");
  const section = document.getElementById("still-missing");
  if (!form || !section) return;
  const list = section.querySelector("ul");
  const none = section.querySelector("[data-none]");

  function labelOf(field) {
    const label = form.querySelector(`label[for="${field.id}"]`);
    if (!label) return field.name;
    const copy = label.cloneNode(true);
    copy.querySelectorAll(".required, .optional").forEach((badge) => badge.remove());
    return copy.textContent.trim();
  }

  function isMissing(field) {
    if (field.type === "file") return !field.files || field.files.length === 0;
    return field.value.trim() === "";
  }

  function update() {
    const missing = Array.from(form.querySelectorAll("[required]")).filter(isMissing);
    list.replaceChildren(
      ...missing.map((field) => {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = `#${field.id}`;
        link.textContent = labelOf(field);  // text, never HTML
        item.append(link);
        return item;
      }),
    );
    none.hidden = missing.length > 0;
    section.hidden = false;
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
