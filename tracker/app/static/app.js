// facetrack app: confirmations, the import's drag and drop with progress, the compare slider.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;

  document.querySelectorAll("form.confirm").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm || "Are you sure?")) event.preventDefault();
    });
  });

  const slider = document.getElementById("overlay-slider");
  if (slider) {
    const top = document.getElementById("overlay-top");
    const update = function () { top.style.opacity = String(slider.value / 100); };
    slider.addEventListener("input", update);
    update();
  }

  const form = document.getElementById("import-form");
  if (!form) return;
  const drop = document.getElementById("drop");
  const input = document.getElementById("files");
  const bar = document.getElementById("progress");
  const text = document.getElementById("progress-text");
  const results = document.getElementById("results");
  let dropped = { loose: [], nested: [] };  // files dropped, and files inside dropped folders

  function readEntry(entry, out) {
    return new Promise(function (resolve) {
      if (entry.isFile) {
        entry.file(function (file) { out.push(file); resolve(); }, function () { resolve(); });
      } else if (entry.isDirectory) {
        const reader = entry.createReader();
        const all = [];
        (function next() {
          reader.readEntries(function (entries) {
            if (!entries.length) {
              Promise.all(all.map(function (e) { return readEntry(e, out); })).then(resolve);
            } else { all.push.apply(all, entries); next(); }
          }, function () { resolve(); });
        })();
      } else resolve();
    });
  }

  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (event) { event.preventDefault(); drop.classList.add("over"); });
  });
  drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
  drop.addEventListener("drop", function (event) {
    event.preventDefault();
    drop.classList.remove("over");
    const items = Array.from(event.dataTransfer.items || []);
    const loose = [], nested = [];
    const entries = items.map(function (i) { return i.webkitGetAsEntry && i.webkitGetAsEntry(); })
      .filter(Boolean);
    const done = entries.length
      ? Promise.all(entries.map(function (e) { return readEntry(e, e.isFile ? loose : nested); }))
      : Promise.resolve(loose.push.apply(loose, Array.from(event.dataTransfer.files)));
    done.then(function () {
      dropped = { loose: loose, nested: nested };
      text.textContent = (loose.length + nested.length) + " file(s) ready to import";
    });
  });

  function cell(row, content) {
    const td = document.createElement("td");
    if (typeof content === "string") td.textContent = content; else td.appendChild(content);
    row.appendChild(td);
  }

  function show(data) {
    results.replaceChildren();
    if (data.error) {
      const p = document.createElement("p");
      p.className = "error"; p.setAttribute("role", "alert"); p.textContent = data.error;
      results.appendChild(p);
    }
    if (!data.results || !data.results.length) return;
    const table = document.createElement("table");
    table.className = "results";
    const body = document.createElement("tbody");
    data.results.forEach(function (r) {
      const tr = document.createElement("tr");
      tr.className = r.outcome.replace(" ", "-");
      cell(tr, r.name);
      const div = document.createElement("div");
      if (r.outcome === "imported") {
        div.textContent = "imported: " + r.status;
        r.reasons.forEach(function (reason) {
          const d = document.createElement("div"); d.className = "reason"; d.textContent = reason;
          div.appendChild(d);
        });
      } else if (r.outcome === "already there") {
        div.textContent = "already in your library";
      } else {
        div.className = "error"; div.textContent = "error: " + r.error;
      }
      cell(tr, div);
      body.appendChild(tr);
    });
    table.appendChild(body);
    results.appendChild(table);
    const link = document.createElement("p");
    link.innerHTML = '<a href="/photos">See your photos</a>';
    results.appendChild(link);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const data = new FormData(form);
    // files inside folders that are not photos are left out, as `facetrack import` does;
    // files chosen one by one are all sent (a wrong one gets its own error)
    const photo = /\.(jpe?g|png|heic|heif|webp)$/i;
    const inFolders = Array.from(document.getElementById("folder").files).concat(dropped.nested);
    const chosen = Array.from(input.files).concat(dropped.loose);
    const kept = inFolders.filter(function (f) { return photo.test(f.name) && !f.name.startsWith("."); });
    data.delete("files");
    chosen.concat(kept).forEach(function (f) { data.append("files", f, f.name); });
    if (inFolders.length > kept.length) {
      text.textContent = (inFolders.length - kept.length) + " file(s) in the folder are not photos: left out";
    }
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    bar.hidden = false; bar.value = 0;
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round(95 * e.loaded / e.total);
        text.textContent = e.loaded < e.total ? "uploading…" : "measuring…";
      }
    });
    xhr.addEventListener("load", function () {
      bar.value = 100;
      text.textContent = "done";
      let body;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = { error: xhr.responseText, results: [] }; }
      show(body);
      dropped = { loose: [], nested: [] }; input.value = ""; document.getElementById("folder").value = "";
    });
    xhr.addEventListener("error", function () { text.textContent = "the upload failed"; });
    xhr.send(data);
  });
})();
