// What every workshop page shares: formatting, messages, the server's JSON API and the small
// SVG charts. Nothing is fetched from anywhere but the server that served the page.
"use strict";
const COLOURS = { silo: "#D55E00", sop: "#0072B2", demand: "#000000", sales: "#E69F00",
                  operations: "#56B4E9", inventory: "#009E73", backlog: "#CC79A7",
                  game: "#0072B2", agents: "#999999" };
const money = (x) => {
  const sign = x < 0 ? "-" : "", a = Math.abs(x);
  if (a >= 1e6) return `${sign}$${(a / 1e6).toFixed(2)}M`;
  return a >= 1e4 ? `${sign}$${Math.round(a / 1e3)}k` : `${sign}$${Math.round(a).toLocaleString()}`;
};
const $ = (id) => document.getElementById(id);

// A state older than the one on the page is not drawn: a reply to a request can arrive after
// a newer state the server pushed meanwhile, and drawing it would take the page back to a
// round that is over, where it would wait for a change that has already come.
function stale(next, shown) {
  return shown !== null && next.code === shown.code && next.version < shown.version;
}

function say(text, ok) {
  const m = $("message");
  m.textContent = text || "";
  m.className = ok ? "ok" : "";
}

function line(values, width, height, lo, hi, colour, dash) {
  if (values.length < 2) return "";
  const span = hi - lo || 1;
  const pts = values.map((v, i) => `${(i / (values.length - 1)) * width},${height - ((v - lo) / span) * height}`);
  return `<polyline fill="none" stroke="${colour}" stroke-width="1.6" vector-effect="non-scaling-stroke" ${dash ? 'stroke-dasharray="4 3"' : ""} points="${pts.join(" ")}"/>`;
}

function chart(series, weeks, fmt) {
  const W = 620, H = 110;
  const all = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v));
  if (!all.length) return `<svg class="chart" viewBox="0 0 ${W} ${H}"></svg>`;
  const lo = Math.min(0, ...all), hi = Math.max(...all) * 1.05;
  const body = series.map((s) => line(s.values, W, H - 12, lo, hi, s.colour, s.dash)).join("");
  const legend = series.map((s, i) => `<text x="${6 + i * 110}" y="${H - 2}" font-size="10" fill="${s.colour}">${s.name}</text>`).join("");
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img"><text x="${W - 4}" y="11" font-size="10" text-anchor="end" fill="#5b6575">${fmt(hi)}</text>${body}${legend}</svg>`;
}

const escape = (text) => String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

// A JSON request to the server; on an error the server's message is shown and null returned.
async function api(method, path, body, headers) {
  const options = { method, headers: { "Content-Type": "application/json", ...(headers || {}) } };
  if (body !== undefined) options.body = JSON.stringify(body);
  const response = await fetch(path, options);
  let data = {};
  try { data = await response.json(); } catch (e) { data = { error: `the server answered ${response.status}` }; }
  if (!response.ok) { say(data.error || `the server answered ${response.status}`); return null; }
  return data;
}

const percent = (x) => (x == null ? "–" : `${(100 * x).toFixed(1)}%`);
const ROLES = { sales: "Sales", operations: "Operations", procurement: "Procurement",
                finance: "Finance", executive: "the executive" };
const roleName = (role) => ROLES[role] || role.charAt(0).toUpperCase() + role.slice(1);

// A Beer Game's stages: their cost so far and the orders each placed, week by week.
function chainBoard(s) {
  const rows = s.stages.map((st) => `<tr><td>${escape(roleName(st.stage))}</td><td>$${Math.round(st.cost).toLocaleString()}</td><td>${st.orders.length ? Math.round(st.orders[st.orders.length - 1]) : "–"}</td></tr>`).join("");
  const colours = ["#E69F00", "#56B4E9", "#009E73", "#CC79A7"];
  const series = [{ name: "customers", values: s.customers, colour: "#000000" },
    ...s.stages.map((st, i) => ({ name: st.stage, values: st.orders, colour: colours[i % 4] }))];
  return `<p>Week ${s.week} of ${s.weeks}</p><table><tr><th>stage</th><th>cost so far</th><th>last order</th></tr>${rows}</table>
    <p class="chart-title">Orders placed each week, by stage (the bullwhip)</p>${chart(series, s.week, (x) => Math.round(x))}`;
}

// The scoreboard of a play room's company (profit so far, service, stock, cash).
function scoreboard(score) {
  return `<div class="score">
    <div><small>profit so far</small><b class="profit">${money(score.profit)}</b></div>
    <div><small>fill rate</small><b class="fill">${percent(score.fill_rate)}</b></div>
    <div><small>inventory</small><b>${money(score.inventory)}</b></div>
    <div><small>cash</small><b>${money(score.cash)}</b></div></div>`;
}

// A round's clock, counted down here between the server's updates.
let clockEnds = null, clockPaused = false;
function setClock(round, paused) {
  clockPaused = paused;
  clockEnds = round && round.open && round.seconds_left != null ? Date.now() + 1000 * round.seconds_left : null;
  tick();
}
function tick() {
  const el = document.querySelector(".clock");
  if (!el) return;
  if (clockEnds == null) { el.textContent = ""; return; }
  const left = Math.max(0, Math.round((clockEnds - Date.now()) / 1000));
  el.textContent = clockPaused ? `paused (${left}s left)` : `${left}s left`;
}
setInterval(() => { if (!clockPaused) tick(); }, 500);

// The executive's control of one option: alternatives of one choice are radio buttons (one is
// taken), any other option is taken or declined.
function ruling(o) {
  if (o.alternatives != null) {
    return `<label><input type="radio" name="choice-${o.alternatives}" value="${o.number}" ${o.chosen ? "checked" : ""}> take this one</label>`;
  }
  return `<select name="option-${o.number}"><option value="take" ${o.chosen ? "selected" : ""}>take</option><option value="decline" ${o.chosen ? "" : "selected"}>decline</option></select>`;
}

// The executive's rulings as the form holds them: option number -> taken.
function rulingsOf(form, table) {
  const rulings = {};
  table.forEach((o) => {
    if (o.alternatives != null) {
      const picked = form.querySelector(`input[name="choice-${o.alternatives}"]:checked`);
      rulings[o.number] = picked != null && Number(picked.value) === o.number;
    } else {
      rulings[o.number] = form.elements[`option-${o.number}`].value === "take";
    }
  });
  return rulings;
}

// The meeting's table of options, read-only, or with take/decline for the executive.
function optionsTable(table, rule) {
  if (!table || !table.length) return "<p class=\"note\">No options on the table.</p>";
  const rows = table.map((o) => `<tr data-number="${o.number}">
      <td class="text">${escape(o.option.replace(/_/g, " "))}</td><td class="text">${escape(o.description)}</td>
      <td>${escape(o.proposed_by)}</td><td>${money(o.score)}</td>
      <td class="text">${rule ? ruling(o) : (o.chosen ? "taken" : "declined")}</td></tr>`).join("");
  return `<table class="options"><tr><th>option</th><th>what</th><th>from</th><th>worth</th><th>${rule ? "your ruling" : "verdict"}</th></tr>${rows}</table>`;
}

// What each function brought to the meeting.
function proposalsTable(p) {
  if (!p || !p.sales) return "";
  const list = (by) => Object.entries(by).map(([k, v]) => `${escape(k)} ${Math.round(v).toLocaleString()}`).join(", ");
  const materials = Object.entries(p.procurement).map(([c, m]) => `${escape(c)}: ${escape(m.supplier)}, ${m.lead_days} days, ${Math.round(m.available).toLocaleString()} available`).join("; ");
  return `<table class="proposals">
    <tr><td>Sales</td><td class="text">next 4 weeks: ${list(p.sales.next_4_weeks_units)}${p.sales.promotions.length ? `; promotions: ${escape(p.sales.promotions.join(", "))}` : ""}</td></tr>
    <tr><td>Operations</td><td class="text">capacity a week: ${list(p.operations.capacity_per_week)}; position: ${list(p.operations.position_units)}</td></tr>
    <tr><td>Procurement</td><td class="text">${materials}</td></tr>
    <tr><td>Finance</td><td class="text">inventory ${money(p.finance.inventory_value)} against a target of ${p.finance.inventory_target == null ? "none yet" : money(p.finance.inventory_target)}; hurdle ${percent(p.finance.hurdle_rate)}</td></tr></table>`;
}
