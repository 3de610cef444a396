// The debrief: the game just played against the agents alone on the same customers — the
// KPIs side by side, the report's figures with the weeks people decided marked, and every
// decision the people took.
"use strict";

function value(unit, x) {
  if (x == null || !Number.isFinite(x)) return "–";
  if (unit === "dollars") return money(x);
  if (unit === "share") return percent(x);
  if (unit === "ratio") return x.toFixed(2);
  return Math.round(x).toLocaleString();
}

function difference(unit, x) {
  if (x == null || !Number.isFinite(x)) return "–";
  const sign = x > 0 ? "+" : x < 0 ? "−" : "";
  if (unit === "share") return `${sign}${Math.abs(100 * x).toFixed(1)} points`;
  if (unit === "ratio") return `${sign}${Math.abs(x).toFixed(2)}`;
  return sign + value(unit, Math.abs(x));
}

async function start() {
  const code = (new URLSearchParams(location.search).get("room") || "").toUpperCase();
  const s = code ? await api("GET", `/api/play/${code}`) : null;
  if (!s) { if (!code) say("Open this page from the game's console or a seat (it needs the room code)."); return; }
  $("title").textContent = `The debrief of room ${s.code}`;
  const d = s.debrief;
  if (!d) { say("The game is still being played: the debrief opens when it ends."); return; }
  const beer = s.game === "beer_game";
  const when = beer ? "week" : "day";
  const paced = d.kpis.length && d.kpis[0].paced !== undefined;
  const rows = d.kpis.map((k) => `<tr data-kpi="${k.kpi}"><td>${escape(k.label)}</td><td>${value(k.unit, k.game)}</td>${paced ? `<td>${value(k.unit, k.paced)}</td>` : ""}<td>${value(k.unit, k.agents)}</td>${paced ? `<td>${difference(k.unit, k.judgment)}</td><td>${difference(k.unit, k.pace)}</td>` : ""}<td>${difference(k.unit, k.difference)}</td></tr>`).join("");
  const head = paced
    ? "<tr><th></th><th>the game</th><th>the agents at the people's pace</th><th>the agents</th><th>the people's judgment</th><th>deciding monthly</th><th>in all</th></tr>"
    : "<tr><th></th><th>the game</th><th>the agents</th><th>difference</th></tr>";
  const people = d.people.map((p) => `<tr><td>${p.round}</td><td>${beer ? p.day + 1 : p.day}</td><td class="text">${roleName(p.seat)}</td><td class="text">${escape(p.what)}</td></tr>`).join("");
  const switches = d.protocols.map((p) => `day ${p.day}: ${escape(p.protocol)}`).join("; ");
  $("debrief").innerHTML = `
    <p>${beer ? `The Beer Game, ${s.weeks} weeks` : `${s.months} months, ${switches}`}${d.fired.length ? `; fired: ${d.fired.map(escape).join("; ")}` : ""}.</p>
    <h2>The game against the agents alone, on the same customers</h2>
    <table id="kpis">${head}${rows}</table>
    ${paced ? "<p class=\"note\">People decide once a month, the agents every week. <b>The people's judgment</b> is the game against the agents at the people's pace (each seat a person held taking its agent's suggestion, once a month); <b>deciding monthly</b> is that pace against the agents: a standing weekly number for a month in place of the agents' weekly re-planning, their lot sizes and rushes; <b>in all</b> is the game against the agents.</p>" : ""}
    ${d.figures.map((f) => `<img class="figure" alt="${f} over time" src="/api/play/${s.code}/figures/${f}.png">`).join("")}
    <h2>What the people decided</h2>
    ${people ? `<table id="people"><tr><th>round</th><th>${when}</th><th>seat</th><th>decision</th></tr>${people}</table>` : "<p>Nobody decided: the agents played every seat.</p>"}`;
}
start();
