// The facilitator's console: create a room, show its code, start, pause and advance rounds,
// switch the protocol between months, fire scenarios, rule on the meeting's options as the
// executive, and end the game. The console's code is kept in this browser.
"use strict";
let code = "", key = null, state = null, ruledFor = null, events = null;
const consoleKey = (c) => `oneplan.console.${c}`;
const number = (text) => { const t = String(text).trim(); const n = Number(t); return t !== "" && Number.isFinite(n) ? n : t; };

async function act(action, body) {
  const data = await api("POST", `/api/play/${code}/console/${action}`, body || {}, { "X-Console": key });
  if (data) { draw(data.state); return data; }
  return null;
}

const waitingText = (r) => (r.waiting_for.length ? `waiting for ${r.waiting_for.map(roleName).join(", ")}` : "everyone has decided");

function roundText(s) {
  const r = s.round;
  if (s.phase === "lobby") return "Not started: participants can take their seats";
  if (s.debrief) return "The game is over";
  if (s.ended) return "Ending: the agents play the months left";
  if (!r) return "Starting";
  if (s.game === "beer_game") return r.open ? `Week ${r.number}: ${waitingText(r)}` : `Week ${r.number}: being played`;
  const waiting = waitingText(r);
  return r.open ? `Round ${r.number} (${s.month}), ${r.phase === "meeting" ? "the meeting" : "decisions"}: ${waiting}` : `Round ${r.number} closed: playing the month`;
}

function draw(s) {
  if (stale(s, state)) return;
  state = s;
  document.body.classList.toggle("beer", s.game === "beer_game");
  $("round").textContent = roundText(s);
  $("protocol").textContent = `under ${s.protocol}${s.next_protocol ? `, ${s.next_protocol} from next month` : ""}`;
  setClock(s.round, s.paused);
  $("code").textContent = s.code;
  const answered = new Set(s.round && s.round.open ? s.round.answered : []);
  $("seats").innerHTML = s.seats.map((seat) => `<tr><td>${roleName(seat.role)}</td><td class="text">${seat.taken ? escape(seat.name || "someone") : "<span class=\"taken\">an agent</span>"}</td><td>${answered.has(seat.role) ? "<span class=\"done\">decided</span>" : ""}</td></tr>`).join("");
  if (s.game === "beer_game") {
    $("score").innerHTML = chainBoard(s);
    $("agents").innerHTML = "";
    $("start").disabled = s.phase !== "lobby";
    $("debrief").classList.toggle("hidden", !s.debrief);
    $("debrief").href = `/debrief?room=${s.code}`;
    return;
  }
  $("score").innerHTML = scoreboard(s.score);
  $("agents").innerHTML = s.agents_score ? scoreboard(s.agents_score) : "";
  const next = s.next_protocol || s.protocol;
  $("switch").textContent = next === "silo" ? "Switch to S&OP next month" : "Back to silo next month";
  $("switch").dataset.to = next === "silo" ? "sop" : "silo";
  $("start").disabled = s.phase !== "lobby";
  $("debrief").classList.toggle("hidden", !s.debrief);
  $("debrief").href = `/debrief?room=${s.code}`;
  $("log").innerHTML = s.log.slice().reverse().map((t) => `<p>${escape(t)}</p>`).join("") || "<p>(nothing yet)</p>";
  const r = s.round;
  const ruling = r && r.open && r.phase === "meeting" && s.executive === "facilitator";
  const mark = ruling ? `rule-${r.number}` : `table-${s.version}`;
  if (ruling && ruledFor === mark) return;  // keep the rulings being made
  ruledFor = mark;
  $("meeting").innerHTML = s.table.length && s.protocol !== "silo"
    ? `<h2>The S&amp;OP meeting${ruling ? ": you decide as the executive" : ""}</h2>${proposalsTable(s.proposals)}
       <form id="rulings">${optionsTable(s.table, ruling)}${ruling ? "<button class=\"primary\" type=\"submit\">Decide</button>" : ""}</form>` : "";
  const form = $("rulings");
  if (form) form.onsubmit = async (event) => {
    event.preventDefault();
    const rulings = rulingsOf(form, s.table);
    const done = await act("rule", { round: r.number, decision: { rulings } });
    if (done) say(`The executive ${done.done}`, true);
  };
}

function scenarioSpec(button) {
  if (button.dataset.spec) return button.dataset.spec;
  const end = state.day + 7 * Number(button.dataset.weeks);
  return `${button.dataset.kind}:${button.dataset.kind === "supplier_failure" ? `supplier=${state.names.main_supplier}` : `line=${state.names.big_line}`},end_day=${end}`;
}

function opened(s) {
  $("create").classList.add("hidden");
  $("room").classList.remove("hidden");
  const url = `${location.origin}/join?room=${s.code}`;
  $("join-url").textContent = url;
  $("qr").innerHTML = `<img alt="QR code of ${url}" src="/api/play/${s.code}/qr.svg">`;
  draw(s);
  if (events) events.close();
  events = new EventSource(`/api/play/${code}/events?console=${encodeURIComponent(key)}`);
  events.onmessage = (e) => draw(JSON.parse(e.data));
}

async function start() {
  $("settings").onsubmit = async (event) => {
    event.preventDefault();
    const f = event.target.elements;
    const beer = f.game.value === "beer_game";
    const settings = beer ? { game: "beer_game", round_seconds: number(f.round_seconds.value) }
      : { game: "company", months: number(f.months.value), round_seconds: number(f.round_seconds.value), protocol: f.protocol.value, executive: f.executive.value };
    const data = await api("POST", "/api/play", settings);
    if (!data) return;
    code = data.room; key = data.console;
    localStorage.setItem(consoleKey(code), key);
    history.replaceState(null, "", `?room=${code}`);
    say("");
    opened(data.state);
  };
  for (const action of ["start", "pause", "resume", "advance", "end"]) $(action).onclick = () => act(action);
  $("switch").onclick = async () => {
    const to = $("switch").dataset.to;
    if (await act("switch", { protocol: to })) say(`From next month: ${to}`, true);
  };
  document.querySelectorAll("#scenarios button[data-spec], #scenarios button[data-kind]").forEach((b) => {
    b.onclick = async () => { if (await act("scenario", { spec: scenarioSpec(b) })) say(`Fired: ${b.textContent}`, true); };
  });
  $("fire").onclick = async () => { if (await act("scenario", { spec: $("spec").value })) say(`Fired: ${$("spec").value}`, true); };
  code = (new URLSearchParams(location.search).get("room") || "").toUpperCase();
  key = code ? localStorage.getItem(consoleKey(code)) : null;
  if (code && key) {
    const s = await api("GET", `/api/play/${code}/console`, undefined, { "X-Console": key });
    if (s) opened(s);
  }
}
start();
