// A participant's page: join a room with its code, take a seat, and each month see what the
// function sees and enter its decisions. The seat's code is kept in this browser, so a reload
// or a dropped connection gets the seat back.
"use strict";
let code = "", token = null, state = null, drawnFor = null, events = null;
const seatKey = (c) => `oneplan.seat.${c}`;
const number = (text) => { const t = String(text).trim(); const n = Number(t); return t !== "" && Number.isFinite(n) ? n : t; };
const label = (k) => k.replace(/_per_week$/, " a week").replace(/_/g, " ");

function table(rows) {
  if (!rows || !rows.length) return "";
  const keys = Object.keys(rows[0]).filter((k) => k !== "name" && rows.some((r) => r[k] != null));
  const head = `<tr><th></th>${keys.map((k) => `<th>${label(k)}</th>`).join("")}</tr>`;
  const body = rows.map((r) => `<tr><td>${escape(r.name)}</td>${keys.map((k) => `<td>${r[k] == null ? "–" : Math.round(r[k]).toLocaleString()}</td>`).join("")}</tr>`).join("");
  return `<table>${head}${body}</table>`;
}

function field(name, value, title) {
  return `<input type="text" inputmode="decimal" name="${name}" value="${value}" title="${escape(title || name)}">`;
}

function viewOf(b) {
  if (b.stage) {
    return `<h2>What the ${escape(b.stage)} sees in week ${b.week}</h2>${table([{ name: b.stage, on_hand: b.on_hand, backlog: b.backlog, ordered_not_received: b.supply_line, order_received_this_week: b.incoming_order }])}
      <p class="note">Orders received, the last weeks: ${b.orders_received.map((x) => Math.round(x)).join(", ")}. What you order arrives about ${b.lead_time_weeks} weeks later.</p>`;
  }
  let html = `<h2>What ${roleName(b.role)} sees on day ${b.day}</h2><p class="note">${escape(b.note)}</p>`;
  if (b.products) html += table(b.products);
  if (b.lines) html += table(b.lines.map((l) => ({ name: l.line, regular_per_week: l.regular_per_week, overtime_per_week: l.overtime_per_week, overtime_premium: l.overtime_premium_per_unit })));
  if (b.components) html += table(b.components);
  if (b.books) html += table([{ name: "the books", ...b.books }]);
  return html;
}

function formOf(b) {
  const d = b.default;
  if (b.stage) {
    return `<h2>Your order this week</h2><p>${field("order", d.order, "cases to order")} cases <span class="note">(the agent would order ${d.order})</span></p>
      <p><button class="primary" type="submit" id="submit">Submit</button> <span id="submitted" class="done"></span></p>`;
  }
  let html = `<h2>Your decisions for the month</h2><p class="note">Filled in with what the agent would do; change what you want.</p><table>`;
  if (b.role === "sales") {
    html += `<tr><th>product</th><th>forecast, units a week</th></tr>` + Object.entries(d.forecast).map(([p, v]) => `<tr><td>${escape(p)}</td><td>${field(`forecast.${p}`, v, `forecast of ${p}`)}</td></tr>`).join("");
    const t = b.promotion_terms;
    html += `<tr><td>promotion</td><td><select name="promotion"><option value="">none</option>${b.promotable.map((p) => `<option>${escape(p)}</option>`).join("")}</select></td></tr>`;
    html += `</table><p class="note">A promotion cuts the price ${Math.round(100 * t.discount)}% for ${t.days} days from ${t.lead_days} days on, for ${money(t.cost)}.</p>`;
  } else if (b.role === "operations") {
    html += `<tr><th>product</th><th>release, units a week</th></tr>` + Object.entries(d.production).map(([p, v]) => `<tr><td>${escape(p)}</td><td>${field(`production.${p}`, v, `production of ${p}`)}</td></tr>`).join("");
    html += `<tr><td>overtime</td><td><label><input type="checkbox" name="overtime" ${d.overtime ? "checked" : ""}> allowed</label></td></tr></table>`;
  } else if (b.role === "procurement") {
    html += `<tr><th>component</th><th>order, units a week</th><th>from</th></tr>` + Object.entries(d.orders).map(([c, o]) => {
      const options = b.sources[c].map((s) => { const v = `${s.supplier}|${s.mode}`; return `<option value="${escape(v)}" ${s.supplier === o.supplier && s.mode === o.mode ? "selected" : ""}>${escape(s.supplier)} by ${escape(s.mode)} (${s.lead_days} days, $${s.price} + $${s.freight})</option>`; }).join("");
      return `<tr><td>${escape(c)}</td><td>${field(`orders.${c}`, o.units, `order of ${c}`)}</td><td><select name="source.${escape(c)}">${options}</select></td></tr>`;
    }).join("") + "</table>";
  } else if (b.role === "finance") {
    html += `<tr><td>inventory cap, days of cost of goods</td><td>${field("inventory_cap_days", d.inventory_cap_days)}</td></tr>
      <tr><td>expediting budget this month, $</td><td>${field("expedite_budget", d.expedite_budget)}</td></tr>
      ${d.hurdle_rate === undefined ? "" : `<tr><td>capex must earn, % a year</td><td>${field("hurdle_rate", Math.round(100 * d.hurdle_rate * 10) / 10)}</td></tr>`}</table>`;
  }
  return html + `<p><button class="primary" type="submit" id="submit">Submit</button> <span id="submitted" class="done"></span></p>`;
}

function decisionFrom(form, role) {
  const get = (name) => form.elements[name];
  if (state.game === "beer_game") return { order: number(get("order").value) };
  const by = (prefix) => Object.fromEntries([...form.elements].filter((e) => e.name && e.name.startsWith(prefix)).map((e) => [e.name.slice(prefix.length), number(e.value)]));
  if (role === "sales") {
    const promotion = get("promotion").value;
    return { forecast: by("forecast."), promotion: promotion || null };
  }
  if (role === "operations") return { production: by("production."), overtime: get("overtime").checked };
  if (role === "procurement") {
    const orders = {};
    for (const [c, units] of Object.entries(by("orders."))) {
      const [supplier, mode] = get(`source.${c}`).value.split("|");
      orders[c] = { units, supplier, mode };
    }
    return { orders };
  }
  const finance = { inventory_cap_days: number(get("inventory_cap_days").value), expedite_budget: number(get("expedite_budget").value) };
  if (get("hurdle_rate")) {
    const hurdle = number(get("hurdle_rate").value);
    finance.hurdle_rate = typeof hurdle === "number" ? hurdle / 100 : hurdle;
  }
  return finance;
}

function roundText(s) {
  const r = s.round;
  if (s.phase === "lobby") return "Waiting for the facilitator to start the game";
  if (s.debrief) return `The game is over: <a href="/debrief?room=${s.code}">the debrief</a>`;
  if (s.ended) return "The game is ending: the agents play the months left";
  if (!r) return "The game is starting";
  if (s.game === "beer_game") return r.open ? `Week ${r.number}: ${r.waiting_for.includes(s.seat) ? "your order" : `waiting for ${r.waiting_for.map(roleName).join(", ") || "the week to be played"}`}` : `Week ${r.number}: being played`;
  if (!r.open) return `Round ${r.number} closed: the month is being played`;
  return r.phase === "meeting" ? `Round ${r.number} (${s.month}): the S&amp;OP meeting` : `Round ${r.number} (${s.month}): your decisions`;
}

function draw(s) {
  if (stale(s, state)) return;
  state = s;
  $("title").textContent = `${roleName(s.seat)} — room ${s.code}`;
  $("round").innerHTML = roundText(s);
  setClock(s.round, s.paused);
  if (s.game === "beer_game") return drawChain(s);
  $("protocol").textContent = `under ${s.protocol}${s.next_protocol ? `, ${s.next_protocol} from next month` : ""}`;
  $("score").innerHTML = s.score ? scoreboard(s.score) : "<p class=\"note\">In silo each function sees its own numbers: the company's score comes at the debrief.</p>";
  $("meeting").innerHTML = s.protocol !== "silo" && s.table.length
    ? `<h2>The S&amp;OP meeting</h2>${proposalsTable(s.proposals)}${optionsTable(s.table, false)}` : "";
  $("log").innerHTML = s.log.slice().reverse().map((t) => `<p>${escape(t)}</p>`).join("") || "<p>(nothing yet)</p>";
  const r = s.round;
  const open = r && r.open && r.phase === "deciding" && s.brief;
  const key = open ? `${r.number}` : `closed-${r ? r.number : 0}`;
  if (key !== drawnFor) {
    drawnFor = key;
    $("view").innerHTML = s.brief ? viewOf(s.brief) : "";
    $("decision").innerHTML = open ? formOf(s.brief) : "";
    if (open) say("");  // a new round: last round's message is over
  }
  const done = $("submitted");
  if (done) done.textContent = s.submitted ? `Submitted: ${s.submitted}` : "";
}

function drawChain(s) {
  $("score").innerHTML = chainBoard(s);
  const r = s.round;
  const open = r && r.open && r.waiting_for.includes(s.seat) && s.brief && s.brief.week === r.number;
  const key = open ? `${r.number}` : `closed-${r ? r.number : 0}`;
  if (key !== drawnFor) {
    drawnFor = key;
    $("view").innerHTML = s.brief ? viewOf(s.brief) : "";
    $("decision").innerHTML = open ? formOf(s.brief) : "";
    if (open) say("");
  }
  const done = $("submitted");
  if (done) done.textContent = s.submitted ? `Submitted: ${s.submitted}` : "";
}

async function submit(event) {
  event.preventDefault();
  const decision = decisionFrom(event.target, state.seat);
  const data = await api("POST", `/api/play/${code}/decide`, { round: state.round && state.round.number, decision }, { "X-Seat": token });
  if (data) { say(`Submitted for round ${state.round.number}: ${data.accepted}`, true); draw(data.state); }
}

function seated(s, greeting) {
  $("joining").classList.add("hidden");
  $("playing").classList.remove("hidden");
  draw(s);
  say(greeting, true);
  if (events) events.close();
  events = new EventSource(`/api/play/${code}/events?seat=${encodeURIComponent(token)}`);
  events.onmessage = (e) => {
    const data = JSON.parse(e.data);
    if (data.error) { events.close(); localStorage.removeItem(seatKey(code)); say(data.error); return; }
    draw(data);
  };
}

async function showSeats() {
  if (!code) return;
  const s = await api("GET", `/api/play/${code}`);
  if (!s) return;
  $("seats").innerHTML = s.seats.map((seat) => `<button type="button" data-seat="${seat.role}" class="${seat.taken ? "taken" : ""}">${roleName(seat.role)}${seat.taken ? ` (taken${seat.name ? ` by ${escape(seat.name)}` : ""})` : ""}</button>`).join("");
  document.querySelectorAll("#seats button").forEach((b) => { b.onclick = () => claim(b.dataset.seat); });
}

async function claim(role) {
  const data = await api("POST", `/api/play/${code}/join`, { seat: role, name: $("name").value });
  if (!data) { showSeats(); return; }
  token = data.token;
  localStorage.setItem(seatKey(code), token);
  seated(data.state, `You play ${roleName(role)}.`);
}

async function start() {
  code = (new URLSearchParams(location.search).get("room") || "").toUpperCase();
  $("code").value = code;
  $("code").onchange = () => {
    code = $("code").value.trim().toUpperCase();
    history.replaceState(null, "", `?room=${code}`);
    say("");
    showSeats();
  };
  $("decision").onsubmit = submit;
  $("leave").onclick = async () => {
    if (await api("POST", `/api/play/${code}/leave`, {}, { "X-Seat": token })) {
      localStorage.removeItem(seatKey(code));
      location.reload();
    }
  };
  if (!code) return;
  token = localStorage.getItem(seatKey(code));
  if (token) {
    const s = await api("GET", `/api/play/${code}/seat`, undefined, { "X-Seat": token });
    if (s) { seated(s, `Welcome back: you play ${roleName(s.seat)}.`); return; }
    localStorage.removeItem(seatKey(code));
    token = null;
  }
  showSeats();
}
start();
