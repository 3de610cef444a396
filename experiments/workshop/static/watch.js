// The watch page: two runs of one company, stepped together on the server; every state the
// server pushes (server-sent events) is drawn here. Nothing is fetched from anywhere else.
"use strict";
let room = null, state = null;

async function call(action, body) {
  const response = await fetch(`/api/watch/${room}/${action}`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}),
  });
  const data = await response.json();
  if (!response.ok) { say(data.error); return null; }
  say(""); draw(data); return data;
}

function drawSide(i, side, weeks) {
  const s = side.score, w = side.weeks;
  const fill = s.fill_rate == null ? "–" : `${(100 * s.fill_rate).toFixed(1)}%`;
  const get = (k) => w.map((x) => x[k]);
  const owner = (o) => w.map((x) => (x.forecasts[o] === undefined ? NaN : x.forecasts[o]));
  $(`side-${i}`).innerHTML = `
    <h2 style="color:${COLOURS[side.protocol]}">${side.protocol}</h2>
    <div class="score" data-protocol="${side.protocol}">
      <div><small>profit so far</small><b class="profit">${money(s.profit)}</b></div>
      <div><small>fill rate</small><b class="fill">${fill}</b></div>
      <div><small>inventory</small><b class="inventory">${money(s.inventory)}</b></div>
      <div><small>cash</small><b class="cash">${money(s.cash)}</b></div>
    </div>
    <p class="chart-title">Customers' orders and each function's forecast, units a week</p>
    ${chart([{ name: "customers", values: get("demand"), colour: COLOURS.demand },
             { name: "sales", values: owner("sales"), colour: COLOURS.sales, dash: true },
             { name: "operations", values: owner("operations"), colour: COLOURS.operations, dash: true }], weeks, (x) => Math.round(x))}
    <p class="chart-title">Inventory (value) and backlog (units)</p>
    ${chart([{ name: "inventory $", values: get("inventory"), colour: COLOURS.inventory }], weeks, money)}
    ${chart([{ name: "backlog units", values: get("backlog"), colour: COLOURS.backlog }], weeks, (x) => Math.round(x))}
    <p class="chart-title">Plant load (units made / regular capacity) and cash</p>
    ${chart([{ name: "load", values: get("load").map((x) => 100 * x), colour: COLOURS[side.protocol] }], weeks, (x) => `${Math.round(x)}%`)}
    ${chart([{ name: "cash", values: get("cash"), colour: COLOURS[side.protocol] }], weeks, money)}
    <div class="log">${side.log.slice().reverse().map((t) => `<p>${t.replace(/</g, "&lt;")}</p>`).join("") || "<p>(no decisions yet)</p>"}</div>`;
}

// Each knob's select shows the value the room runs with (added to the list if it is not one).
function drawKnobs(knobs) {
  document.querySelectorAll("#knobs select").forEach((select) => {
    const value = String(knobs[select.dataset.knob]);
    const match = [...select.options].find((o) => (select.dataset.kind === "number" ? Number(o.value) === Number(value) : o.value === value));
    if (match) { select.value = match.value; return; }
    const option = new Option(value, value, true, true);
    select.add(option);
  });
}

function draw(next) {
  if (stale(next, state)) return;
  state = next;
  if (state.knobs) drawKnobs(state.knobs);
  $("clock").textContent = `week ${state.week} of ${Math.ceil(state.horizon / 7)}${state.done ? " (done)" : ""}`;
  state.sides.forEach((side, i) => drawSide(i, side, state.week));
}

function scenarioSpec(button) {
  if (button.dataset.spec) return button.dataset.spec;
  const end = state.day + 7 * Number(button.dataset.weeks);
  const n = state.names;
  if (button.dataset.kind === "supplier_failure") return `supplier_failure:supplier=${n.main_supplier},end_day=${end}`;
  if (button.dataset.kind === "lane_disruption") return `lane_disruption:mode=${n.slow_mode},closed=true,end_day=${end}`;
  return `line_breakdown:line=${n.big_line},end_day=${end}`;
}

async function start() {
  const saved = new URLSearchParams(location.hash.slice(1)).get("room");
  if (saved) {
    const found = await fetch(`/api/watch/${saved}`);
    if (found.ok) { room = saved; draw(await found.json()); }
  }
  if (!room) {
    const made = await fetch("/api/watch", { method: "POST" });
    const data = await made.json();
    if (!made.ok) { say(data.error); return; }
    room = data.room; location.hash = `room=${room}`; draw(data.state);
  }
  const events = new EventSource(`/api/watch/${room}/events`);
  events.onmessage = (e) => draw(JSON.parse(e.data));
  $("step").onclick = () => call("step", { weeks: 1 });
  $("play").onclick = () => call("play", { speed: Number($("speed").value) });
  $("pause").onclick = () => call("pause");
  $("reset").onclick = () => call("reset");
  document.querySelectorAll("#scenarios button[data-spec], #scenarios button[data-kind]").forEach((b) => {
    b.onclick = async () => { if (await call("scenario", { spec: scenarioSpec(b) })) say(`fired: ${b.textContent}`, true); };
  });
  document.querySelectorAll("#knobs select").forEach((select) => {
    select.onchange = async () => {
      const value = select.dataset.kind === "number" ? Number(select.value) : select.value;
      const done = await call("knob", { name: select.dataset.knob, value });
      if (done) say(`${select.parentElement.firstChild.textContent.trim()}: ${select.options[select.selectedIndex].text}`, true);
    };
  });
  $("fire").onclick = async () => { if (await call("scenario", { spec: $("spec").value })) say(`fired: ${$("spec").value}`, true); };
}
start();
