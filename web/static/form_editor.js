// The admin box editor (web/routes/form_editor.py): boxes over the blank form's pages, in mm.
// Plain JavaScript, no build step. The page's JSON (#form-editor-data) holds the boxes, pages,
// the permit's fields and the page's words; the whole layout is posted back on save.
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("form-editor-data").textContent);
  const words = data.words;
  const MIN_MM = 1;
  const DEFAULT_SIZE = [60, 10];
  const state = { boxes: data.boxes.map((b) => ({ ...b, box_mm: b.box_mm.slice() })), selected: null, dirty: false };
  const $ = (id) => document.getElementById(id);
  const sheets = Array.from(document.querySelectorAll(".fe-sheet"));
  const sheetOf = (page) => sheets.find((s) => Number(s.dataset.page) === page);
  const pageSize = (page) => {
    const s = sheetOf(page);
    return [Number(s.dataset.widthMm), Number(s.dataset.heightMm)];
  };
  const snap = (mm) => Math.round(mm * 2) / 2;
  const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
  const format = (template, values) => template.replace(/%\((\w+)\)s/g, (_, k) => String(values[k]));

  // --- drawing the boxes ----------------------------------------------------------------------

  function place(el, box) {
    const [width, height] = pageSize(box.page);
    const [x, y, w, h] = box.box_mm;
    el.style.left = `${(x / width) * 100}%`;
    el.style.top = `${(y / height) * 100}%`;
    el.style.width = `${(w / width) * 100}%`;
    el.style.height = `${(h / height) * 100}%`;
    el.classList.toggle("fe-comb", box.kind === "comb" && box.cells > 1);
    if (box.cells) el.style.setProperty("--cells", String(box.cells));
  }

  function describe(box) {
    const [x, y, w, h] = box.box_mm;
    const kind = data.kinds[box.kind] || box.kind;
    return format(words.box, { field: box.field || words.unnamed, kind, page: box.page, x, y, w, h });
  }

  function boxElement(box, index) {
    const el = document.createElement("div");
    el.className = "fe-box";
    el.tabIndex = 0;
    el.setAttribute("role", "button");
    el.dataset.index = String(index);
    el.setAttribute("aria-label", describe(box));
    el.title = box.field || words.unnamed;
    el.setAttribute("aria-pressed", String(index === state.selected));
    if (index === state.selected) el.classList.add("fe-selected");
    if (!box.field) el.classList.add("fe-unnamed");
    const name = document.createElement("span");
    name.className = "fe-name";
    name.textContent = box.field || words.unnamed;
    name.setAttribute("aria-hidden", "true");
    const handle = document.createElement("span");
    handle.className = "fe-handle";
    handle.setAttribute("aria-hidden", "true");
    el.append(name, handle);
    place(el, box);
    return el;
  }

  function draw(focus) {
    document.querySelectorAll(".fe-box").forEach((el) => el.remove());
    state.boxes.forEach((box, i) => sheetOf(box.page).appendChild(boxElement(box, i)));
    showProperties();
    showUnplaced();
    if (focus && state.selected !== null) boxAt(state.selected).focus();
  }

  const boxAt = (index) => document.querySelector(`.fe-box[data-index="${index}"]`);

  function touched() {
    state.dirty = true;
    $("fe-status").textContent = words.unsaved;
  }

  // One box changed in place: move its element and update what the panel shows.
  function changed(index) {
    touched();
    const box = state.boxes[index];
    const el = boxAt(index);
    place(el, box);
    el.setAttribute("aria-label", describe(box));
    el.querySelector(".fe-name").textContent = el.title = box.field || words.unnamed;
    el.classList.toggle("fe-unnamed", !box.field);
    el.classList.remove("fe-invalid");
    showProperties();
    showUnplaced();
  }

  // Boxes added or removed: draw them all again (their numbers changed).
  function rebuilt(focus) {
    touched();
    draw(focus);
  }

  // --- the properties panel -------------------------------------------------------------------

  function fillFieldOptions() {
    const select = $("fe-field");
    select.replaceChildren(new Option(`— ${words.choose} —`, ""));
    for (const f of data.fields) {
      const text = `${f.name} · ${f.label}${f.required ? ` (${words.required})` : ""}`;
      select.appendChild(new Option(text, f.name));
    }
  }

  function showProperties() {
    const box = state.selected === null ? null : state.boxes[state.selected];
    $("fe-props").querySelector("fieldset").disabled = !box;
    $("fe-none").hidden = Boolean(box);
    if (!box) return;
    $("fe-field").value = box.field || "";
    $("fe-kind").value = box.kind || "text";
    $("fe-cells").value = box.cells || "";
    $("fe-lines").value = box.lines || "";
    $("fe-cells-row").hidden = box.kind !== "comb";
    $("fe-lines-row").hidden = box.kind !== "multiline";
    $("fe-page").textContent = box.page;
    ["x", "y", "w", "h"].forEach((k, i) => ($(`fe-${k}`).value = box.box_mm[i]));
  }

  function showUnplaced() {
    const placed = new Set(state.boxes.map((b) => b.field));
    const missing = data.fields.filter((f) => f.required && !placed.has(f.name));
    const list = $("fe-unplaced");
    list.replaceChildren();
    for (const f of missing) {
      const item = document.createElement("li");
      const code = document.createElement("code");
      code.textContent = f.name;
      item.append(code, ` ${f.label}`);
      list.appendChild(item);
    }
    if (!missing.length) list.appendChild(Object.assign(document.createElement("li"), { textContent: words.all_placed }));
  }

  function edit(update) {
    if (state.selected === null) return;
    update(state.boxes[state.selected]);
    changed(state.selected);
  }

  function bindPanel() {
    $("fe-field").addEventListener("change", (e) => edit((b) => (b.field = e.target.value)));
    $("fe-kind").addEventListener("change", (e) =>
      edit((b) => {
        b.kind = e.target.value;
        if (b.kind === "comb" && !b.cells) b.cells = Math.max(2, Math.round(b.box_mm[2] / 7));
        if (b.kind !== "comb") delete b.cells;
        if (b.kind !== "multiline") delete b.lines;
      })
    );
    const count = (key) => (e) =>
      edit((b) => {
        const n = parseInt(e.target.value, 10);
        if (Number.isFinite(n)) b[key] = n;
        else delete b[key];
      });
    $("fe-cells").addEventListener("change", count("cells"));
    $("fe-lines").addEventListener("change", count("lines"));
    ["x", "y", "w", "h"].forEach((k, i) =>
      $(`fe-${k}`).addEventListener("change", (e) => {
        const v = parseFloat(e.target.value);
        if (Number.isFinite(v)) edit((b) => (b.box_mm[i] = i < 2 ? Math.max(0, v) : Math.max(MIN_MM, v)));
      })
    );
    $("fe-delete").addEventListener("click", () => remove(state.selected));
    $("fe-props").addEventListener("submit", (e) => e.preventDefault());
  }

  // --- selecting, adding, removing ------------------------------------------------------------

  function select(index, focus) {
    state.selected = index;
    document.querySelectorAll(".fe-box").forEach((el) => {
      const on = Number(el.dataset.index) === index;
      el.classList.toggle("fe-selected", on);
      el.setAttribute("aria-pressed", String(on));
    });
    if (index !== null) $("fe-add-page").value = String(state.boxes[index].page);
    showProperties();
    if (focus && index !== null) boxAt(index).focus();
  }

  function overlapsAny(page, [x, y, w, h]) {
    return state.boxes.some((b) => {
      const [bx, by, bw, bh] = b.box_mm;
      return b.page === page && x < bx + bw && bx < x + w && y < by + bh && by < y + h;
    });
  }

  function addBox() {
    const page = Number($("fe-add-page").value);
    const [width, height] = pageSize(page);
    const [w, h] = DEFAULT_SIZE;
    let rect = [20, 20, w, h];
    for (let y = 20; y + h <= height && overlapsAny(page, rect); y += h + 2) rect = [20, y, w, h];
    rect[0] = Math.min(rect[0], width - w);
    state.boxes.push({ field: "", page, box_mm: rect, kind: "text" });
    state.selected = state.boxes.length - 1;
    rebuilt(true);
    $("fe-status").textContent = format(words.added, { page });
  }

  function remove(index) {
    if (index === null) return;
    state.boxes.splice(index, 1);
    state.selected = state.boxes.length ? Math.min(index, state.boxes.length - 1) : null;
    rebuilt(state.selected !== null);
    $("fe-status").textContent = words.removed;
    if (state.selected === null) $("fe-add").focus();
  }

  // --- keyboard -------------------------------------------------------------------------------

  const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

  function onKey(e) {
    const el = e.target.closest(".fe-box");
    if (!el) return;
    const index = Number(el.dataset.index);
    const box = state.boxes[index];
    if (e.key in ARROWS) {
      e.preventDefault();
      const [dx, dy] = ARROWS[e.key];
      const [width, height] = pageSize(box.page);
      const [x, y, w, h] = box.box_mm;
      box.box_mm = e.shiftKey
        ? [x, y, clamp(w + dx, MIN_MM, width - x), clamp(h + dy, MIN_MM, height - y)]
        : [clamp(x + dx, 0, width - w), clamp(y + dy, 0, height - h), w, h];
      changed(index);
    } else if (e.key === "Delete" || e.key === "Backspace") {
      e.preventDefault();
      remove(index);
    } else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      select(index, false);
      $("fe-field").focus();
    }
  }

  // --- pointer: draw, move, resize ------------------------------------------------------------

  let gesture = null;

  function mmAt(sheet, e) {
    const r = sheet.getBoundingClientRect();
    const [width, height] = pageSize(Number(sheet.dataset.page));
    return [clamp(((e.clientX - r.left) / r.width) * width, 0, width), clamp(((e.clientY - r.top) / r.height) * height, 0, height)];
  }

  function onPointerDown(e) {
    if (e.button !== 0) return;
    const sheet = e.currentTarget;
    const page = Number(sheet.dataset.page);
    const start = mmAt(sheet, e);
    const el = e.target.closest(".fe-box");
    e.preventDefault();
    sheet.setPointerCapture(e.pointerId);
    if (el) {
      const index = Number(el.dataset.index);
      select(index, true);
      const mode = e.target.classList.contains("fe-handle") ? "resize" : "move";
      gesture = { mode, sheet, index, start, from: state.boxes[index].box_mm.slice() };
      return;
    }
    const preview = document.createElement("div");
    preview.className = "fe-box fe-drawing";
    sheet.appendChild(preview);
    gesture = { mode: "draw", sheet, page, start, preview, rect: [...start, 0, 0] };
  }

  function onPointerMove(e) {
    if (!gesture || e.currentTarget !== gesture.sheet) return;
    const [mx, my] = mmAt(gesture.sheet, e);
    const [sx, sy] = gesture.start;
    if (gesture.mode === "draw") {
      gesture.rect = [snap(Math.min(sx, mx)), snap(Math.min(sy, my)), snap(Math.abs(mx - sx)), snap(Math.abs(my - sy))];
      place(gesture.preview, { page: gesture.page, box_mm: gesture.rect });
      return;
    }
    const box = state.boxes[gesture.index];
    const [width, height] = pageSize(box.page);
    const [x, y, w, h] = gesture.from;
    const dx = mx - sx, dy = my - sy;
    box.box_mm = gesture.mode === "move"
      ? [snap(clamp(x + dx, 0, width - w)), snap(clamp(y + dy, 0, height - h)), w, h]
      : [x, y, snap(clamp(w + dx, MIN_MM, width - x)), snap(clamp(h + dy, MIN_MM, height - y))];
    place(boxAt(gesture.index), box);
  }

  function onPointerUp(e) {
    if (!gesture || e.currentTarget !== gesture.sheet) return;
    const done = gesture;
    gesture = null;
    if (done.mode !== "draw") {
      const moved = done.from.some((v, i) => v !== state.boxes[done.index].box_mm[i]);
      if (moved) changed(done.index);
      return;
    }
    done.preview.remove();
    const [, , w, h] = done.rect;
    if (w < 2 || h < 2) return; // a click, not a box
    state.boxes.push({ field: "", page: done.page, box_mm: done.rect, kind: "text" });
    state.selected = state.boxes.length - 1;
    rebuilt(true);
    $("fe-field").focus();
  }

  // --- saving ---------------------------------------------------------------------------------

  function showProblems(list) {
    const area = $("fe-problems");
    area.replaceChildren();
    if (!list.length) return;
    const ul = document.createElement("ul");
    for (const p of list) {
      const li = document.createElement("li");
      li.append(p.message);
      if (p.box !== null && p.box !== undefined && boxAt(p.box)) {
        boxAt(p.box).classList.add("fe-invalid");
        const go = document.createElement("button");
        go.type = "button";
        go.className = "small secondary";
        go.textContent = words.show;
        go.addEventListener("click", () => select(p.box, true));
        li.append(" ", go);
      }
      ul.appendChild(li);
    }
    area.append(ul);
  }

  async function save() {
    $("fe-status").textContent = words.saving;
    showProblems([]);
    let answer;
    try {
      const response = await fetch(data.save_url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": data.csrf },
        body: JSON.stringify({ boxes: state.boxes, based_on: data.layout_sha256 }),
      });
      answer = await response.json();
    } catch (err) {
      $("fe-status").textContent = words.failed;
      return;
    }
    $("fe-status").textContent = answer.message || answer.error || words.failed;
    if (answer.saved) {
      state.dirty = false;
      data.layout_sha256 = answer.sha256;
      showProblems(answer.warnings || []);
    } else {
      showProblems(answer.problems || []);
    }
  }

  // --- wiring ---------------------------------------------------------------------------------

  fillFieldOptions();
  bindPanel();
  for (const sheet of sheets) {
    if (!sheet.querySelector("img")) sheet.style.aspectRatio = `${sheet.dataset.widthMm} / ${sheet.dataset.heightMm}`;
    sheet.addEventListener("pointerdown", onPointerDown);
    sheet.addEventListener("pointermove", onPointerMove);
    sheet.addEventListener("pointerup", onPointerUp);
    sheet.addEventListener("keydown", onKey);
    sheet.addEventListener("focusin", (e) => {
      const el = e.target.closest(".fe-box");
      if (el && Number(el.dataset.index) !== state.selected) select(Number(el.dataset.index), false);
    });
  }
  $("fe-add").addEventListener("click", addBox);
  $("fe-save").addEventListener("click", save);
  window.addEventListener("beforeunload", (e) => {
    if (state.dirty) e.preventDefault();
  });
  draw(false);
})();
