/* vigil report: filters, pages and per-control findings drawn from the JSON data block.
   Data only ever reaches the page through textContent and attribute setters, never as markup:
   the CSP's Trusted Types rule makes innerHTML with a string throw, so a slip here fails loudly. */
(function () {
  "use strict";
  var PAGE = 100;
  var PER_CONTROL = 50;
  var PRINT_ROWS = 5000;
  var CHECK = 0, CONTROLS = 1, STATUS = 2, SEV = 3, RES = 4, MSG = 5, EV = 6, LOC = 7, WAIVER = 8, CHANGE = 9;
  var ICONS = ["\u2715", "!", "?", "\u2713", "\u2013"]; // fail error manual pass n/a: shape as well as colour
  var CHANGE_LABEL = ["", "new", "", "changed"];

  var D = JSON.parse(document.getElementById("vigil-data").textContent);
  var F = D.findings;
  var $ = function (id) { return document.getElementById(id); };
  var state = { status: "", severity: "", domain: "", framework: "", waiver: "", change: "", q: "", control: -1 };
  var matched = [];
  var page = 0;
  var haystack = null;
  var byControl = null;

  // frameworks of each control as a set of "soc2" and "soc2:CC6.1" keys
  var controlFw = D.controls.map(function (c) {
    var s = Object.create(null);
    c[3].forEach(function (k) { s[k] = true; s[k.slice(0, k.indexOf(":"))] = true; });
    return s;
  });

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function num(n) { return n.toLocaleString("en-US"); }

  function domainOf(f) {
    var d = D.checks[f[CHECK]][3];
    if (d < 0 && f[CONTROLS].length) d = D.controls[f[CONTROLS][0]][2];
    return d < 0 ? "" : D.domains[d];
  }

  // Built on the first search only, so opening a 50,000-finding report does not pay for it.
  function buildHaystack() {
    haystack = new Array(F.length);
    for (var i = 0; i < F.length; i++) {
      var f = F[i], check = D.checks[f[CHECK]];
      var parts = [f[RES], f[MSG], check[0], check[1], f[LOC] || ""];
      for (var j = 0; j < f[CONTROLS].length; j++) parts.push(D.controls[f[CONTROLS][j]][0]);
      if (f[WAIVER] >= 0) parts.push(D.waivers[f[WAIVER]][0]);
      haystack[i] = parts.join("\n").toLowerCase();
    }
  }

  function filter() {
    var st = state.status, sev = state.severity ? D.severities.indexOf(state.severity) : -1;
    var stIdx = st && st !== "open" ? D.statusKeys.indexOf(st) : -1;
    var terms = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    if (terms.length && !haystack) buildHaystack();
    var out = [];
    for (var i = 0; i < F.length; i++) {
      var f = F[i];
      if (stIdx >= 0 && f[STATUS] !== stIdx) continue;
      if (st === "open" && (f[STATUS] > 1 || f[WAIVER] >= 0)) continue;
      if (sev >= 0 && f[SEV] !== sev) continue;
      if (state.waiver === "yes" && f[WAIVER] < 0) continue;
      if (state.waiver === "no" && f[WAIVER] >= 0) continue;
      if (state.change && state.change.indexOf(String(f[CHANGE])) < 0) continue;
      if (state.control >= 0 && f[CONTROLS].indexOf(state.control) < 0) continue;
      if (state.domain && domainOf(f) !== state.domain) continue;
      if (state.framework && !f[CONTROLS].some(function (c) { return controlFw[c][state.framework]; })) continue;
      if (terms.length) {
        var h = haystack[i], ok = true;
        for (var t = 0; t < terms.length && ok; t++) ok = h.indexOf(terms[t]) >= 0;
        if (!ok) continue;
      }
      out.push(i);
    }
    return out;
  }

  function statusBadge(idx) {
    var b = el("span", "badge st-" + D.statusKeys[idx]);
    b.appendChild(el("span", "icon", ICONS[idx])).setAttribute("aria-hidden", "true");
    b.appendChild(document.createTextNode(" " + D.statuses[idx]));
    return b;
  }

  function findingRow(i) {
    var f = F[i], check = D.checks[f[CHECK]], tr = el("tr", "st-row-" + D.statusKeys[f[STATUS]]);
    tr.dataset.status = D.statusKeys[f[STATUS]];
    tr.dataset.severity = D.severities[f[SEV]];
    tr.appendChild(el("td", "c-status")).appendChild(statusBadge(f[STATUS]));
    tr.appendChild(el("td", "c-sev")).appendChild(el("span", "sev sev-" + D.severities[f[SEV]], D.severities[f[SEV]]));

    var res = el("th", "c-res");
    res.scope = "row";
    res.appendChild(el("code", "res", f[RES]));
    if (f[LOC]) res.appendChild(el("div", "loc", "at " + f[LOC]));
    var sub = el("div", "sub");
    sub.appendChild(el("code", "", check[0]));
    f[CONTROLS].forEach(function (c) { sub.appendChild(el("span", "ctl", D.controls[c][0])); });
    res.appendChild(sub);
    tr.appendChild(res);

    var msg = el("td", "c-msg");
    if (CHANGE_LABEL[f[CHANGE]]) msg.appendChild(el("span", "chg chg-" + f[CHANGE], CHANGE_LABEL[f[CHANGE]]));
    msg.appendChild(el("span", "msg", f[MSG]));
    if (f[STATUS] <= 1 && check[2]) {
      var fix = el("div", "fix");
      fix.appendChild(el("strong", "", "Remediation: "));
      fix.appendChild(document.createTextNode(check[2]));
      msg.appendChild(fix);
    }
    tr.appendChild(msg);

    var side = el("td", "c-waiver");
    if (f[WAIVER] >= 0) {
      var w = D.waivers[f[WAIVER]], wd = el("div", "waiver");
      wd.appendChild(el("strong", "", "Waived " + w[0]));
      wd.appendChild(el("span", "muted", " until " + w[3] + " \u00b7 " + w[1]));
      wd.appendChild(el("div", "just", w[4]));
      side.appendChild(wd);
    }
    if (f[EV].length) side.appendChild(el("span", "ev-head", "Evidence"));
    f[EV].forEach(function (e) {
      var ev = D.evidence[e], a = el("a", "ev-link", ev[0]);
      a.href = ev[1];
      a.title = "Evidence document " + ev[1];
      if (ev[2] && ev[2] !== "ok") a.appendChild(el("span", "ev ev-" + ev[2], ev[2]));
      side.appendChild(a);
    });
    tr.appendChild(side);
    return tr;
  }

  function emptyRow(text) {
    var tr = el("tr", "empty"), td = el("td", "", text);
    td.colSpan = 5;
    tr.appendChild(td);
    return tr;
  }

  function draw() {
    var pages = Math.max(1, Math.ceil(matched.length / PAGE));
    page = Math.min(Math.max(page, 0), pages - 1);
    var start = page * PAGE, end = Math.min(matched.length, start + PAGE);
    var frag = document.createDocumentFragment();
    for (var k = start; k < end; k++) frag.appendChild(findingRow(matched[k]));
    if (!matched.length) frag.appendChild(emptyRow("No findings match these filters."));
    $("findings-body").replaceChildren(frag);
    $("result-line").textContent = matched.length
      ? "Showing " + num(start + 1) + "\u2013" + num(end) + " of " + num(matched.length) +
        " matching findings (" + num(F.length) + " in this run)"
      : "No matching findings (" + num(F.length) + " in this run)";
    $("page-info").textContent = "Page " + num(page + 1) + " of " + num(pages);
    var buttons = $("pager").querySelectorAll("button");
    buttons[0].disabled = buttons[1].disabled = page === 0;
    buttons[2].disabled = buttons[3].disabled = page >= pages - 1;
  }

  function apply() {
    matched = filter();
    page = 0;
    draw();
  }

  function readForm() {
    var form = $("filters");
    ["status", "severity", "domain", "framework", "waiver", "change"].forEach(function (name) {
      state[name] = form.elements[name] ? form.elements[name].value : "";
    });
    state.q = form.elements.q.value.trim();
  }

  function setControl(idx) {
    state.control = idx;
    $("f-control").hidden = idx < 0;
    $("f-control-id").textContent = idx < 0 ? "" : D.controls[idx][0] + " " + D.controls[idx][1];
    apply();
  }

  // findings of one control, listed when its <details> opens (and before printing)
  function fillControl(box, limit) {
    if (box.dataset.filled) return;
    limit = limit || PER_CONTROL;
    box.dataset.filled = "1";
    if (!byControl) {
      byControl = D.controls.map(function () { return []; });
      for (var i = 0; i < F.length; i++) {
        for (var j = 0; j < F[i][CONTROLS].length; j++) byControl[F[i][CONTROLS][j]].push(i);
      }
    }
    var idx = Number(box.dataset.control), list = byControl[idx] || [];
    var table = el("table", "findings compact"), head = el("tr");
    table.appendChild(el("caption", "visually-hidden", "Findings of " + D.controls[idx][0]));
    [["c-status", "Status"], ["c-sev", "Severity"], ["c-res", "Resource and check"], ["c-msg", "Finding"],
     ["c-waiver", "Waiver and evidence"]].forEach(function (h) {
      head.appendChild(el("th", h[0], h[1])).scope = "col";
    });
    table.appendChild(el("thead")).appendChild(head);
    var body = el("tbody");
    list.slice(0, limit).forEach(function (i) { body.appendChild(findingRow(i)); });
    table.appendChild(body);
    var wrap = el("div", "table-scroll");
    wrap.appendChild(table);
    var parts = [wrap];
    if (list.length > limit) {
      var more = el("p", "more");
      more.appendChild(document.createTextNode("Showing the first " + limit + " of " + num(list.length) + ". "));
      var go = more.appendChild(el("button", "link-button no-print", "List all " + num(list.length) + " in Findings"));
      go.type = "button";
      go.addEventListener("click", function () {
        setControl(idx);
        $("findings").scrollIntoView();
      });
      parts.push(more);
    }
    box.replaceChildren.apply(box, parts);
  }

  function wire() {
    var form = $("filters"), timer = 0;
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    form.addEventListener("change", function () { readForm(); apply(); });
    $("f-search").addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { readForm(); apply(); }, 150);
    });
    form.addEventListener("reset", function () {
      setTimeout(function () { readForm(); setControl(-1); }, 0); // values are reset after this event
    });
    $("f-control-clear").addEventListener("click", function () { setControl(-1); });
    $("pager").addEventListener("click", function (e) {
      var which = e.target.closest("button");
      if (!which) return;
      var move = { first: -Infinity, prev: page - 1, next: page + 1, last: Infinity }[which.dataset.page];
      page = move === -Infinity ? 0 : move === Infinity ? Number.MAX_SAFE_INTEGER : move;
      draw();
      $("findings").scrollIntoView();
    });
    document.querySelectorAll("[data-set-filter]").forEach(function (b) {
      b.addEventListener("click", function () {
        var field = form.elements[b.dataset.setFilter];
        if (!field) return;
        field.value = b.dataset.value;
        readForm();
        apply();
        $("findings").scrollIntoView();
      });
    });
    // An opened control lists its findings once it is near the screen, so "Expand all" on 500
    // controls draws the few in view instead of 25,000 rows at once.
    var near = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
      entries.forEach(function (en) {
        if (en.isIntersecting) { near.unobserve(en.target); fillControl(en.target); }
      });
    }, { rootMargin: "600px 0px" }) : null;
    // toggle does not bubble, but it can be caught on the way down
    document.addEventListener("toggle", function (e) {
      var d = e.target;
      if (d.classList && d.classList.contains("control") && d.open) {
        var box = d.querySelector(".control-findings");
        if (box && !box.dataset.filled) near ? near.observe(box) : fillControl(box);
      }
    }, true);
    var expand = $("expand-all");
    expand.addEventListener("click", function () {
      var all = document.querySelectorAll("details.control"), open = expand.dataset.open !== "1";
      all.forEach(function (d) { d.open = open; });
      expand.dataset.open = open ? "1" : "";
      expand.textContent = open ? "Collapse all" : "Expand all";
    });
    // Printing shows every control expanded with its findings; the previous state comes back after.
    var reopened = [];
    window.addEventListener("beforeprint", function () {
      document.querySelectorAll("details").forEach(function (d) {
        if (!d.open) { d.open = true; reopened.push(d); }
      });
      // paper gets every control, with fewer rows each when there are many (about 5,000 in all)
      var boxes = document.querySelectorAll(".control-findings");
      var limit = Math.max(5, Math.min(PER_CONTROL, Math.floor(PRINT_ROWS / Math.max(1, boxes.length))));
      boxes.forEach(function (box) { fillControl(box, limit); });
    });
    window.addEventListener("afterprint", function () {
      reopened.forEach(function (d) { d.open = false; });
      reopened = [];
    });
  }

  wire();
  readForm(); // a reload may keep the browser's remembered form values
  apply();
  document.documentElement.dataset.ready = String(Math.round(performance.now()));
})();
