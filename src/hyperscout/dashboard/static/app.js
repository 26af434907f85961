// hyperscout dashboard: renders API data with textContent only (never innerHTML), so nothing a
// trial stores (parameter names, attributes, error text) can become markup or script.
"use strict";

const $ = (id) => document.getElementById(id);
const body = document.body;

function el(tag, text, attrs) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (attrs) for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function fmt(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(6);
  if (Array.isArray(v)) return v.map(fmt).join(", ");
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

// plotly.min.js is big: it is loaded on first use, after the page's data is on screen
let plotlyPromise = null;
function plotly() {
  if (plotlyPromise === null) {
    plotlyPromise = new Promise((resolve, reject) => {
      const s = el("script", null, {src: "/static/plotly.min.js"});
      s.addEventListener("load", () => resolve(window.Plotly));
      s.addEventListener("error", () => reject(new Error("cannot load plotly.min.js")));
      document.head.append(s);
    });
  }
  return plotlyPromise;
}

function status(text, isError) {
  const s = $("status");
  s.textContent = text;
  s.style.color = isError ? "#ffb3b3" : "";
}

async function getJSON(url) {
  const r = await fetch(url, {cache: "no-store"});
  const data = await r.json();
  if (!r.ok) throw new Error(data.error || r.statusText);
  return data;
}

function every(ms, fn) {
  const tick = async () => {
    try { await fn(); status("updated " + new Date().toLocaleTimeString()); }
    catch (e) { status("error: " + e.message, true); }
    setTimeout(tick, ms);
  };
  tick();
}

function kvRows(tbody, obj) {
  tbody.replaceChildren();
  for (const [k, v] of Object.entries(obj || {})) {
    const tr = el("tr");
    tr.append(el("th", k), el("td", fmt(v)));
    tbody.append(tr);
  }
}

// -- studies -----------------------------------------------------------------------------------
function studiesPage() {
  const tbody = document.querySelector("#studies tbody");
  every(3000, async () => {
    const studies = await getJSON("/api/studies");
    tbody.replaceChildren();
    for (const s of studies) {
      const tr = el("tr");
      const name = el("td");
      name.append(el("a", s.name, {href: "/studies/" + Number(s.study_id)}));
      tr.append(name, el("td", s.directions.join(", ")), el("td", s.n_trials),
                el("td", fmt(s.best_values)), el("td", s.datetime_start || ""));
      tbody.append(tr);
    }
  });
}

// -- study -------------------------------------------------------------------------------------
function studyPage() {
  const sid = Number(body.dataset.study);
  const st = {sort: "number", offset: 0, kind: "history", version: null, plotVersion: null,
              key: null, summary: null, plotAt: 0};

  function query() {
    const q = new URLSearchParams();
    for (const cb of document.querySelectorAll("#states input:checked")) q.append("state", cb.value);
    const p = $("range-param").value, lo = $("range-min").value, hi = $("range-max").value;
    const d = p && st.summary ? st.summary.params[p] : null;
    if (d && d.type === "categorical") {
      if ($("choice-value").value !== "") q.append("choice", p + "," + $("choice-value").value);
    } else if (p && (lo || hi)) q.append("range", p + "," + lo + "," + hi);
    q.set("sort", st.sort);
    q.set("offset", String(st.offset));
    q.set("limit", $("limit").value);
    return q.toString();
  }

  function header(summary) {
    const thead = document.querySelector("#trials thead");
    const tr = el("tr");
    const cols = [["number", "#"], ["state", "state"]];
    summary.directions.forEach((d, i) => cols.push(["value" + i,
      summary.directions.length > 1 ? "value " + i + " (" + d + ")" : "value (" + d + ")"]));
    cols.push(["duration", "duration (s)"]);
    for (const p of Object.keys(summary.params)) cols.push(["param:" + p, p]);
    for (const [key, label] of cols) {
      const th = el("th", label, {"data-sort": key});
      if (st.sort === key) th.className = "sorted-asc";
      if (st.sort === "-" + key) th.className = "sorted-desc";
      if (key !== "state") th.addEventListener("click", () => {
        st.sort = st.sort === key ? "-" + key : key;
        st.offset = 0; st.key = null; header(summary); refresh();
      });
      tr.append(th);
    }
    thead.replaceChildren(tr);
  }

  function rows(page, summary) {
    const tbody = document.querySelector("#trials tbody");
    tbody.replaceChildren();
    const params = Object.keys(summary.params);
    for (const t of page.trials) {
      const tr = el("tr", null, {class: "state-" + t.state, "data-number": String(t.number)});
      const num = el("td");
      num.append(el("a", t.number, {href: "/studies/" + sid + "/trials/" + Number(t.number)}));
      tr.append(num, el("td", t.state));
      summary.directions.forEach((_, i) => tr.append(el("td", t.values ? fmt(t.values[i]) : "")));
      tr.append(el("td", t.duration_s === null ? "" : t.duration_s.toFixed(2)));
      for (const p of params) tr.append(el("td", fmt(t.params[p])));
      tbody.append(tr);
    }
    const last = Math.min(page.offset + page.trials.length, page.total);
    $("total").textContent = "(" + (page.total ? page.offset + 1 : 0) + "–" + last + " of " +
      page.total + ")";
  }

  async function loadSummary() {
    const s = await getJSON("/api/studies/" + sid);
    const first = st.summary === null;
    const newParams = first || Object.keys(s.params).join() !== Object.keys(st.summary.params).join();
    st.summary = s;
    $("title").textContent = "Study " + s.name;
    document.title = "hyperscout: " + s.name;
    const sum = $("summary");
    sum.replaceChildren();
    sum.className = "summary";
    sum.append(el("span", "directions: " + s.directions.join(", ")),
               el("span", "trials: " + s.n_trials));
    for (const [k, v] of Object.entries(s.counts)) if (v) sum.append(el("span", k + ": " + v));
    if (s.best_trials.length === 1) sum.append(el("span", "best: " + fmt(s.best_trials[0].values) +
      " (trial " + s.best_trials[0].number + ")"));
    if (first) {
      const states = $("states");
      for (const name of Object.keys(s.counts)) {
        const cb = el("input", null, {type: "checkbox", value: name});
        cb.addEventListener("change", () => { st.offset = 0; refresh(); });
        const lab = el("label");
        lab.append(cb, document.createTextNode(" " + name));
        states.append(lab);
      }
      const obj = $("objective");
      s.directions.forEach((d, i) => obj.append(el("option", i + " (" + d + ")", {value: String(i)})));
      obj.addEventListener("change", () => drawPlot(true));
    }
    if (newParams) {
      const sel = $("range-param");
      sel.replaceChildren(el("option", "-", {value: ""}));
      for (const p of Object.keys(s.params)) sel.append(el("option", p, {value: p}));
      header(s);
    }
  }

  async function refresh() {
    const q = query();
    const pageP = getJSON("/api/studies/" + sid + "/trials?" + q);
    if (st.summary === null) await loadSummary();  // first load: both requests in flight
    const page = await pageP;
    if (page.version !== st.version && st.version !== null) await loadSummary();
    if (page.version !== st.version || q !== st.key) rows(page, st.summary);
    st.version = page.version;
    st.key = q;
    if (st.plotVersion !== st.version && Date.now() - st.plotAt > 5000) await drawPlot(false);
  }

  async function drawPlot(force) {
    const div = $("plot");
    const version = st.version;
    st.plotAt = Date.now();
    // the figure and plotly.js load in parallel
    const [fig, P] = await Promise.all([
      getJSON("/api/studies/" + sid + "/plots/" + st.kind + "?objective=" +
              ($("objective").value || "0")),
      plotly()]);
    st.plotVersion = version;
    fig.layout.autosize = true;
    await P.react(div, fig.data, fig.layout, {responsive: true, displaylogo: false});
    div.dataset.kind = st.kind;
    if (force) status("updated " + new Date().toLocaleTimeString());
  }

  for (const b of document.querySelectorAll(".tab")) {
    b.addEventListener("click", () => {
      document.querySelectorAll(".tab").forEach((x) => x.classList.remove("active"));
      b.classList.add("active");
      st.kind = b.dataset.kind;
      drawPlot(true).catch((e) => status("error: " + e.message, true));
    });
  }
  document.querySelector('.tab[data-kind="history"]').classList.add("active");
  $("filters").addEventListener("submit", (e) => e.preventDefault());  // Enter must not reload
  // a categorical parameter is filtered by one of its values, a numeric one by a range
  $("range-param").addEventListener("change", () => {
    const p = $("range-param").value;
    const d = p && st.summary ? st.summary.params[p] : null;
    const cat = Boolean(d && d.type === "categorical");
    document.querySelectorAll("#filters .numeric").forEach((x) => { x.hidden = cat; });
    document.querySelector("#filters .choice").hidden = !cat;
    const sel = $("choice-value");
    sel.replaceChildren(el("option", "-", {value: ""}));
    const text = (c) => (typeof c === "string" ? c : JSON.stringify(c));  // as the API compares
    if (cat) for (const c of d.choices) sel.append(el("option", text(c), {value: text(c)}));
  });
  for (const id of ["range-param", "range-min", "range-max", "choice-value", "limit"])
    $(id).addEventListener("change", () => { st.offset = 0; refresh(); });
  $("prev").addEventListener("click", () => {
    st.offset = Math.max(0, st.offset - Number($("limit").value)); refresh();
  });
  $("next").addEventListener("click", () => { st.offset += Number($("limit").value); refresh(); });
  every(2000, refresh);
}

// -- trial -------------------------------------------------------------------------------------
function trialPage() {
  const sid = Number(body.dataset.study), num = Number(body.dataset.number);
  let done = false;
  every(3000, async () => {
    if (done) return;
    const t = await getJSON("/api/studies/" + sid + "/trials/" + num);
    $("title").textContent = "Trial " + t.number + " (" + t.state + ")";
    kvRows(document.querySelector("#fields tbody"), {
      state: t.state, values: t.values, started: t.datetime_start,
      completed: t.datetime_complete, "duration (s)": t.duration_s});
    kvRows(document.querySelector("#params tbody"), t.params);
    kvRows(document.querySelector("#user_attrs tbody"), t.user_attrs);
    kvRows(document.querySelector("#system_attrs tbody"), t.system_attrs);
    $("error").textContent = t.error || "(none)";
    const curve = $("curve");
    if (t.intermediate_values.length) {
      await (await plotly()).react(curve, [{x: t.intermediate_values.map((p) => p[0]),
        y: t.intermediate_values.map((p) => p[1]), mode: "lines+markers", type: "scatter"}],
        {xaxis: {title: {text: "step"}}, yaxis: {title: {text: "value"}}, height: 360},
        {displaylogo: false});
    } else {
      curve.textContent = "no intermediate values";
      curve.style.minHeight = "0";
    }
    done = !["running", "waiting"].includes(t.state);
  });
}

({studies: studiesPage, study: studyPage, trial: trialPage})[body.dataset.page]();
