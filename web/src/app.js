// LiftLab's reference web client: sign in, a lifter's sessions, one lift on video with its
// charts, phases and coaching, progress and compare. Plain DOM, the Firebase Auth SDK and
// uPlot; every number comes from the API (functions/README.md).
import { initializeApp } from "firebase/app";
import { connectAuthEmulator, getAuth, onAuthStateChanged, signInWithEmailAndPassword, signOut } from "firebase/auth";
import uPlot from "uplot";

const main = document.getElementById("main");
const state = { config: null, auth: null, user: null, claims: {}, units: localStorage.getItem("units") || "metric",
                timers: [], video: null, charts: [], pages: [] };

// ---- units: values arrive in SI; the switch converts them for display
const UNITS = {
  speed: [["m/s", 1], ["ft/s", 3.28084]], length: [["m", 1], ["ft", 3.28084]], mass: [["kg", 1], ["lb", 2.20462]],
  force: [["N", 1], ["lbf", 0.224809]], power: [["W", 1], ["W", 1]], time: [["s", 1], ["s", 1]],
  angle: [["°", 1], ["°", 1]], pct: [["%", 1], ["%", 1]],
};
const METRIC_KINDS = {
  max_bar_speed: "speed", max_bar_vertical_speed: "speed", max_power: "power", max_GRF: "force",
  max_GRF_catch: "force", peak_bar_height: "length", catch_height: "length", drop_under_bar: "length",
  bar_toward_lifter_m: "length", bar_away_from_lifter_m: "length", lift_duration_s: "time",
  time_to_max_bar_speed_s: "time", peak_bar_height_pct: "pct",
};
const imperial = () => state.units === "imperial";
const unitOf = (kind) => UNITS[kind][imperial() ? 1 : 0][0];
const conv = (kind, v) => (v == null ? null : v * UNITS[kind][imperial() ? 1 : 0][1]);
const fmt = (kind, v, digits = 2) => (v == null ? "—" : `${conv(kind, v).toFixed(digits)} ${unitOf(kind)}`);
const PHASE_COLOURS = { setup: "#6c757d", first_pull: "#1f77b4", transition: "#9467bd", second_pull: "#d62728",
  turnover: "#ff7f0e", catch: "#2ca02c", recovery: "#17becf", jerk_dip: "#8c564b", jerk_drive: "#e377c2",
  jerk_catch: "#bcbd22", jerk_recovery: "#7f7f7f" };

// ---- DOM
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  }
  return el;
}
function show(...nodes) {
  main.replaceChildren(...nodes);
}
const label = (text, control) => h("label", {}, text, control);
const link = (hash, text) => h("a", { href: hash }, text);

// ---- API
async function api(path, params = {}, init = {}) {
  const url = new URL(state.config.apiBase + path, location.href);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
  const token = await state.user.getIdToken();
  const r = await fetch(url, { ...init, headers: { ...(init.headers || {}), Authorization: `Bearer ${token}` } });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(body.error || `HTTP ${r.status}`), { status: r.status, body });
  return body;
}
const session = (id, rest = "") => `/weightlifting/sessions/${encodeURIComponent(id)}/${rest}`;

function every(ms, fn) {
  state.timers.push(setInterval(fn, ms));
}
function stopTimers() {
  state.timers.forEach(clearInterval);
  state.timers = [];
  state.charts.forEach((c) => c.destroy());
  state.charts = [];
  state.video = null;
}

// ---- sign-in and routing
async function start() {
  state.config = await (await fetch("config.json")).json();
  const app = initializeApp({ apiKey: state.config.apiKey, projectId: state.config.projectId,
                              authDomain: state.config.authDomain });
  state.auth = getAuth(app);
  if (state.config.authEmulator) connectAuthEmulator(state.auth, state.config.authEmulator, { disableWarnings: true });
  onAuthStateChanged(state.auth, async (user) => {
    state.user = user;
    state.claims = user ? (await user.getIdTokenResult()).claims : {};
    renderWho();
    route();
  });
  window.addEventListener("hashchange", route);
}

function role() {
  return state.claims.role || "lifter";
}

function renderWho() {
  const who = document.getElementById("who");
  document.getElementById("nav").hidden = !state.user;
  if (!state.user) return who.replaceChildren();
  const units = h("select", { "aria-label": "Units", onchange: (e) => {
    state.units = e.target.value;
    localStorage.setItem("units", state.units);
    route();
  } }, ["metric", "imperial"].map((u) => h("option", { value: u, selected: u === state.units }, u)));
  who.replaceChildren(h("span", { id: "signed-in" }, `${state.user.email} · ${role()}`
                        + (state.claims.org_id ? ` · ${state.claims.org_id}` : "")), units,
                      h("button", { type: "button", onclick: () => signOut(state.auth) }, "Sign out"));
}

function renderSignIn() {
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "stack", onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = "";
    try {
      await signInWithEmailAndPassword(state.auth, form.email.value, form.password.value);
    } catch (err) {
      error.textContent = `Sign-in failed: ${err.code || err.message}`;
    }
  } }, h("h1", {}, "Sign in"),
  label("Email", h("input", { name: "email", type: "email", autocomplete: "username", required: true })),
  label("Password", h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
  h("button", { type: "submit" }, "Sign in"), error);
  show(form);
}

function hashQuery() {
  const [path, query] = location.hash.slice(1).split("?");
  return { path: path || "/sessions", q: new URLSearchParams(query || "") };
}
function go(path, params = {}) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ""));
  location.hash = `#${path}${q.toString() ? `?${q}` : ""}`;
}

async function route() {
  stopTimers();
  if (!state.user) return renderSignIn();
  const { path, q } = hashQuery();
  const one = path.match(/^\/session\/(.+)$/);
  try {
    if (one) await renderSession(decodeURIComponent(one[1]));
    else if (path === "/upload") renderUpload();
    else if (path === "/progress") await renderProgress(q);
    else if (path === "/compare") await renderCompare(q);
    else await renderSessions(q);
  } catch (err) {
    show(h("p", { class: "error", role: "alert" }, err.message));
  }
  main.focus();
}

// ---- sessions
async function lifters() {
  // A coach or an admin picks a lifter among those with sessions in their reach.
  if (role() !== "admin" && role() !== "sub_admin") return null;
  const all = await api("/weightlifting/sessions/", { limit: 100 });
  return [...new Set(all.sessions.map((s) => s.user_id))].sort();
}

function lifterPicker(users, current, onchange) {
  if (!users) return null;
  return label("Lifter", h("select", { name: "user", onchange }, h("option", { value: "" }, "everyone in reach"),
                           users.map((u) => h("option", { value: u, selected: u === current }, u))));
}

async function renderSessions(q) {
  const user = q.get("user") || undefined;
  const filters = { user_id: user, exercise: q.get("exercise"), from: q.get("from"), to: q.get("to"), limit: 12,
                    page_token: q.get("page") };
  const [body, users] = await Promise.all([api("/weightlifting/sessions/", filters), lifters()]);
  const form = h("form", { class: "inline", "aria-label": "Filters", onsubmit: (e) => {
    e.preventDefault();
    go("/sessions", { user: form.user?.value, exercise: form.exercise.value, from: form.from.value, to: form.to.value });
  } }, lifterPicker(users, user),
  label("Lift", h("select", { name: "exercise" }, [["", "all"], ["snatch", "Snatch"], ["clean", "Clean"],
    ["clean_and_jerk", "Clean & Jerk"]].map(([v, t]) => h("option", { value: v, selected: v === (filters.exercise || "") }, t)))),
  label("From", h("input", { type: "date", name: "from", value: filters.from || "" })),
  label("To", h("input", { type: "date", name: "to", value: filters.to || "" })),
  h("button", { type: "submit" }, "Filter"));

  const running = [];
  const cards = h("ul", { class: "cards", "aria-label": "Sessions" }, body.sessions.map((s) => {
    const bar = ["uploading", "queued", "processing"].includes(s.status)
      ? h("progress", { max: 100, value: s.progress, "aria-label": `${s.title}: ${s.status}` }) : null;
    if (bar) running.push([s.session_id, bar]);
    const lb = UNITS.mass[1][1];  // the item's mass is in its owner's units; shown in the switch's
    const mass = s.barbell_mass ? fmt("mass", s.barbell_mass.unit === "lb" ? s.barbell_mass.value / lb
      : s.barbell_mass.value, 1) : "";
    return h("li", {},
      s.thumbnail_url ? h("img", { src: s.thumbnail_url, alt: `Catch position in ${s.title}` })
        : h("div", { class: "noimg", role: "img", "aria-label": "No snapshot yet" }),
      h("div", {}, link(`#/session/${encodeURIComponent(s.session_id)}`, s.title),
        h("div", { class: "meta" }, `${s.created_at.date} ${s.created_at.time} · ${s.exercise_name} · ${mass}`),
        h("div", { class: "meta" }, `${s.status}${s.outcome ? ` · ${s.outcome}` : ""}${role() !== "lifter" ? ` · ${s.user_id}` : ""}`),
        s.max_bar_speed != null ? h("div", { class: "meta" },
          `peak ${fmt("speed", s.max_bar_speed)} · ${fmt("length", s.peak_bar_height)} · ${fmt("power", s.max_power, 0)}`) : null,
        bar));
  }));
  if (!body.sessions.length) cards.append(h("li", {}, "No sessions match."));
  const params = Object.fromEntries(q.entries());
  const pager = h("nav", { "aria-label": "Pages", class: "inline" },
    q.get("page") ? h("button", { type: "button", onclick: () => history.back() }, "Newer") : null,
    body.next_page_token ? h("button", { type: "button", onclick: () => go("/sessions", { ...params, page: body.next_page_token }) },
                             "Older") : null);
  show(h("h1", {}, "Sessions"), form, cards, pager);
  if (running.length) {
    every(2000, async () => {
      for (const [id, bar] of running) {
        const d = await api(session(id)).catch(() => null);
        if (!d) continue;
        bar.value = d.progress;
        if (d.status === "done" || d.status === "failed") return route();
      }
    });
  }
}

// ---- upload
function renderUpload() {
  const status = h("p", { role: "status" });
  const form = h("form", { class: "stack", onsubmit: async (e) => {
    e.preventDefault();
    const file = form.video.files[0];
    const fields = { user_id: state.user.uid, exercise_name: form.exercise.value, barbell_mass: form.mass.value,
                     session_name: form.title.value };
    try {
      status.textContent = "Uploading…";
      let created;
      if (file.size > 8 * 1024 * 1024) {  // large files go straight to Storage, resumably
        created = await api("/weightlifting/sessions/upload-url/", {}, { method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ ...fields, content_type: file.type || "video/mp4", size_bytes: file.size }) });
        const put = await fetch(created.upload_url, { method: "PUT", headers: created.headers, body: file });
        if (!put.ok) throw new Error(`upload failed: HTTP ${put.status}`);
      } else {
        const data = new FormData();
        for (const [k, v] of Object.entries(fields)) if (v) data.set(k, v);
        data.set("video", file);
        created = await api("/weightlifting/sessions/", {}, { method: "POST", body: data });
      }
      go(`/session/${encodeURIComponent(created.session_id)}`);
    } catch (err) {
      status.textContent = `Upload refused: ${err.message}`;
    }
  } }, h("h1", {}, "Upload a lift"),
  label("Video (side view)", h("input", { type: "file", name: "video", accept: "video/mp4,video/quicktime", required: true })),
  label("Lift", h("select", { name: "exercise" }, h("option", { value: "snatch" }, "Snatch"),
    h("option", { value: "clean" }, "Clean"), h("option", { value: "clean_and_jerk" }, "Clean & Jerk"))),
  label("Bar mass (your profile's units)", h("input", { name: "mass", inputmode: "decimal", placeholder: "100" })),
  label("Title", h("input", { name: "title", maxlength: 120 })),
  h("button", { type: "submit" }, "Upload"), status);
  show(form);
}

// ---- one session
function aligned(ms, cut) {
  // A padder onto the payload's times (ms): a series cut short starts where quality.cut
  // says, and the frames it does not cover are null, which the charts leave blank.
  return (path, values, scale = 1) => {
    const out = new Array(ms.length).fill(null);
    const first = cut[path] ? ms.indexOf(cut[path][0]) : 0;
    (values || []).forEach((v, i) => { out[first + i] = v * scale; });
    return out;
  };
}

function seriesOf(analysis, details) {
  // The lift's series from the analysis (numbers only), or the whole clip's from the details
  // when the analysis is not ours.
  if (analysis) {
    const ms = analysis.timestamps_ms;
    const pad = aligned(ms, analysis.quality.cut || {});
    const j = analysis.joint_angles;
    return { x: ms.map((t) => t / 1000), sets: [
      ["Bar height", "length", pad("barbell_positioning.bar_height", analysis.barbell_positioning.bar_height, 0.001)],
      ["Bar speed", "speed", pad("key_metrics.barbell_velocity", analysis.key_metrics.barbell_velocity)],
      ["Power", "power", pad("key_metrics.power_output", analysis.key_metrics.power_output)],
      ["Ground reaction force", "force", pad("key_metrics.ground_reaction_force", analysis.key_metrics.ground_reaction_force)],
      ["Knee angle", "angle", j.knee_angle ? pad("joint_angles.knee_angle", j.knee_angle) : []],
      ["Hip angle", "angle", j.hip_angle ? pad("joint_angles.hip_angle", j.hip_angle) : []],
    ] };
  }
  const r = details.report_metrics;
  const pad = aligned(details.all_timestamps.map((s) => Math.round(s * 1000)), (details.quality || {}).cut || {});
  return { x: details.all_timestamps, sets: [["Bar height", "length", pad("report_metrics.bar_height", r.bar_height)],
    ["Bar speed", "speed", pad("report_metrics.barbell_velocity", r.barbell_velocity)],
    ["Power", "power", pad("report_metrics.power_output", r.power_output)],
    ["Ground reaction force", "force", pad("report_metrics.ground_reaction_force", r.ground_reaction_force)]] };
}

function chart(title, kind, x, values, video) {
  const shown = values.map((v) => conv(kind, v));
  const present = shown.filter((v) => v != null);
  const peak = present.length ? Math.max(...present) : null;
  const box = h("figure", { class: "chart", role: "img", "data-chart": title, "data-cursor-t": "",
    "aria-label": `${title} against time${peak != null ? `, highest ${peak.toFixed(2)} ${unitOf(kind)}` : ", not measured"}` },
    h("h3", {}, `${title} (${unitOf(kind)})`));
  const u = new uPlot({ width: 300, height: 170, legend: { show: false }, cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false } }, axes: [{ label: "s" }, {}],
    series: [{}, { stroke: "#0b5cad", width: 2, spanGaps: false }],
    plugins: [{ hooks: { draw: [(plot) => {
      const t = video.currentTime;
      const px = plot.valToPos(t, "x", true);
      if (!(px >= plot.bbox.left && px <= plot.bbox.left + plot.bbox.width)) return;
      const ctx = plot.ctx;
      ctx.save();
      ctx.strokeStyle = "#d00";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(px, plot.bbox.top);
      ctx.lineTo(px, plot.bbox.top + plot.bbox.height);
      ctx.stroke();
      ctx.restore();
    }] } }] }, [x, shown], box);
  u.over.addEventListener("click", (e) => { video.currentTime = Math.max(0, u.posToVal(e.offsetX, "x")); });
  u.box = box;
  state.charts.push(u);
  return box;
}

function plotXY(canvas, lines, { xLabel, yLabel, equal = false, marks = [] }) {
  // Lines [{x: [], y: [], colour, dots}] in data units on a canvas, axes with ticks.
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, pad = 36;
  const xs = lines.flatMap((l) => l.x).concat(marks.map((m) => m.x));
  const ys = lines.flatMap((l) => l.y).concat(marks.map((m) => m.y));
  if (!xs.length) return;
  let [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const mx = (x1 - x0) * 0.08 || 0.1, my = (y1 - y0) * 0.08 || 0.1;
  [x0, x1, y0, y1] = [x0 - mx, x1 + mx, y0 - my, y1 + my];
  let sx = (W - 2 * pad) / (x1 - x0), sy = (H - 2 * pad) / (y1 - y0);
  if (equal) sx = sy = Math.min(sx, sy);
  const px = (x) => pad + (x - x0) * sx, py = (y) => H - pad - (y - y0) * sy;
  ctx.clearRect(0, 0, W, H);
  ctx.strokeStyle = "#888";
  ctx.fillStyle = "#333";
  ctx.font = "11px system-ui";
  ctx.strokeRect(pad, pad, W - 2 * pad, H - 2 * pad);
  ctx.fillText(xLabel, W / 2 - 20, H - 6);
  ctx.save();
  ctx.translate(10, H / 2 + 20);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(yLabel, 0, 0);
  ctx.restore();
  for (const [v, axis] of [[x0, "x"], [x1, "x"], [y0, "y"], [y1, "y"]]) {
    if (axis === "x") ctx.fillText(v.toFixed(2), px(v) - 12, H - pad + 14);
    else ctx.fillText(v.toFixed(2), 2, py(v));
  }
  for (const line of lines) {
    ctx.strokeStyle = ctx.fillStyle = line.colour;
    ctx.lineWidth = 2;
    if (line.dots) {
      line.x.forEach((x, i) => { ctx.beginPath(); ctx.arc(px(x), py(line.y[i]), 4, 0, 2 * Math.PI); ctx.fill(); });
    } else {
      ctx.beginPath();
      line.x.forEach((x, i) => (i ? ctx.lineTo(px(x), py(line.y[i])) : ctx.moveTo(px(x), py(line.y[i]))));
      ctx.stroke();
    }
  }
  for (const m of marks) {
    ctx.fillStyle = m.colour;
    ctx.fillRect(px(m.x) - 5, py(m.y) - 5, 10, 10);
    ctx.fillText(m.text, px(m.x) + 8, py(m.y) - 8);
  }
}

async function renderSession(id) {
  const details = await api(session(id));
  if (details.status !== "done") {
    const bar = h("progress", { max: 100, value: details.progress, "aria-label": "Analysis progress" });
    const line = h("p", { role: "status" }, `${details.status} ${details.stage || ""}`);
    show(h("h1", {}, details.title), details.status === "failed"
      ? h("p", { class: "error", role: "alert" }, `Analysis failed: ${details.error?.message || "unknown"}`) : [line, bar]);
    if (details.status !== "failed") {
      every(1500, async () => {
        const d = await api(session(id));
        bar.value = d.progress;
        line.textContent = `${d.status} ${d.stage || ""}`;
        if (d.status === "done" || d.status === "failed") route();
      });
    }
    return;
  }
  const units = { measurement_system: state.units };
  const [analysis, summary, recs] = await Promise.all([api(session(id, "analysis/"), units).catch(() => null),
    api(session(id, "summary/"), units).catch(() => null), api(session(id, "recommendation/"), units).catch(() => null)]);
  const video = h("video", { controls: true, preload: "auto", playsinline: true, muted: true, id: "lift-video",
    src: details.analyzed_video_url || details.video_url, "aria-label": `Video of ${details.title}` });
  state.video = video;
  const end = Math.max(...details.phases.map((p) => p.end_s), 0.001);
  const timeline = h("div", { class: "timeline", role: "group", "aria-label": "Phases: choose one to seek to it" },
    details.phases.map((p) => h("button", { type: "button", "data-phase": p.name,
      style: `width:${(100 * (p.end_s - p.start_s)) / end}%;background:${PHASE_COLOURS[p.name] || "#555"}`,
      "aria-label": `${p.name.replace("_", " ")}: seek to ${p.start_s.toFixed(2)} s`, title: p.name,
      onclick: () => { video.pause(); video.currentTime = p.start_s + 0.001; } }, p.name.replace("_", " "))));

  const { x, sets } = seriesOf(analysis, details);
  const charts = h("div", { class: "charts" }, sets.filter(([, , v]) => v.length).map(([t, kind, v]) => chart(t, kind, x, v, video)));
  const follow = () => {
    const t = video.currentTime;
    for (const u of state.charts) {
      u.box.setAttribute("data-cursor-t", t.toFixed(3));
      u.redraw(false, false);
    }
  };
  ["timeupdate", "seeked", "loadedmetadata"].forEach((ev) => video.addEventListener(ev, follow));
  const tick = () => {
    if (state.video !== video) return;
    if (!video.paused) follow();
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);

  const path = h("canvas", { class: "path", width: 420, height: 420, role: "img",
    "aria-label": "Bar path, side view: horizontal distance from the bar's start against height above the floor" });
  const metrics = h("table", {}, h("caption", {}, "Metrics"), Object.keys(METRIC_KINDS)
    .filter((k) => details.metrics[k] != null).map((k) => [k, details.metrics[k]]).map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k.replaceAll("_", " ")),
      h("td", { "data-metric": k }, fmt(METRIC_KINDS[k], v, ["power", "force"].includes(METRIC_KINDS[k]) ? 0 : 2)))));
  const faults = (analysis?.faults || []).map((f) => h("li", {}, h("button", { type: "button",
    onclick: () => { video.pause(); video.currentTime = f.t_s; } }, `${f.message} (${f.t_s.toFixed(2)} s)`)));
  const warnings = (analysis?.quality.warnings || []).map((w) => h("li", {}, w.message));
  const texts = summary?.summary_text || {};
  const advice = Object.entries(recs || {}).filter(([, r]) => r.text);
  show(h("h1", {}, details.title, details.outcome && details.outcome !== "complete" ? ` (${details.outcome})` : ""),
    h("div", { class: "session" },
      h("section", { "aria-label": "Video" }, video, timeline, charts),
      h("section", { "aria-label": "Results" }, metrics, h("h2", {}, "Bar path"), path,
        h("h2", {}, "Faults"), faults.length ? h("ul", {}, faults) : h("p", {}, analysis ? "None found." : "—"),
        h("h2", {}, "Quality"), warnings.length ? h("ul", {}, warnings) : h("p", {}, "No warnings."),
        h("h2", {}, "Coaching"), Object.keys(texts).length
          ? h("div", { id: "summary-text" }, Object.entries(texts).map(([k, t]) => h("p", {}, h("strong", {}, `${k.replace("_", " ")}: `), t)))
          : analysis ? coachingButton(id) : h("p", {}, "Coaching needs the lifter's active plan."),
        advice.length ? h("details", {}, h("summary", {}, "Recommendations"),
          h("ul", {}, advice.map(([k, r]) => h("li", {}, h("strong", {}, `${k.replaceAll("_", " ")}: `), r.text)))) : null)));
  const traj = summary?.stability.bar_trajectory;
  if (traj && traj.xAxis.length) {
    plotXY(path, [{ x: traj.xAxis.map((v) => conv("length", v)), y: traj.yAxis.map((v) => conv("length", v)),
      colour: "#0b5cad" }], { xLabel: `horizontal (${unitOf("length")})`, yLabel: `height (${unitOf("length")})`, equal: true });
  }
}

function coachingButton(id) {
  // Asks for the summary and the recommendations in the units shown, then waits for them.
  const status = h("span", { role: "status" });
  const button = h("button", { type: "button", onclick: async () => {
    button.disabled = true;
    status.textContent = " Writing…";
    const units = { measurement_system: state.units };
    try {
      await api(session(id, "summary/"), units, { method: "POST" });
      await api(session(id, "recommendation/"), units, { method: "POST" });
      every(2000, async () => {
        const recs = await api(session(id, "recommendation/"), units);
        const statuses = Object.values(recs).map((r) => r.status);
        if (statuses.every((s) => s === "completed" || s === "failed")) route();
      });
    } catch (err) {
      status.textContent = ` ${err.message}`;
      button.disabled = false;
    }
  } }, "Write the coaching");
  return h("p", {}, "No coaching text yet. ", button, status);
}

// ---- progress
async function renderProgress(q) {
  const users = await lifters();
  const user = q.get("user") || (users ? users[0] : state.user.uid) || state.user.uid;
  const exercise = q.get("exercise") || "snatch";
  const body = await api(`/weightlifting/users/${encodeURIComponent(user)}/progress/`,
                         { exercise, measurement_system: state.units });
  const form = h("form", { class: "inline", "aria-label": "Whose progress", onsubmit: (e) => {
    e.preventDefault();
    go("/progress", { user: form.user?.value, exercise: form.exercise.value });
  } }, lifterPicker(users, user), label("Lift", h("select", { name: "exercise" }, ["snatch", "clean", "clean_and_jerk"]
    .map((v) => h("option", { value: v, selected: v === exercise }, v.replaceAll("_", " "))))), h("button", { type: "submit" }, "Show"));
  const lv = body.load_velocity, u = body.units;
  const canvas = h("canvas", { class: "path", width: 480, height: 320, role: "img",
    "aria-label": `Load-velocity profile: peak bar speed against bar mass, ${lv.points.length} lifts`
      + (lv.estimated_max ? `, estimated max ${lv.estimated_max.barbell_mass} ${u.mass}` : "") });
  const r = body.records;
  const linkTo = (s) => link(`#/session/${encodeURIComponent(s.session_id)}`, s.date);
  show(h("h1", {}, "Progress"), form,
    h("p", { id: "lv-status" }, lv.status === "ok"
      ? `Estimated max ${lv.estimated_max.barbell_mass} ${u.mass} (${lv.estimated_max.low}–${lv.estimated_max.high}), `
        + `r² ${lv.line.r2}, at ${lv.mvt.value} ${u.speed}` : lv.message),
    canvas,
    h("h2", {}, "Personal records"), h("ul", {},
      r.heaviest_made ? h("li", {}, `Heaviest made: ${r.heaviest_made.barbell_mass} ${u.mass} — `, linkTo(r.heaviest_made)) : null,
      r.highest_power ? h("li", {}, `Highest power: ${r.highest_power.max_power} W — `, linkTo(r.highest_power)) : null,
      r.fastest_at_load.map((f) => h("li", {}, `Fastest at ${f.barbell_mass} ${u.mass}: ${f.max_bar_speed} ${u.speed} — `, linkTo(f)))),
    h("h2", {}, "Weekly trend", body.trends.barbell_mass != null ? ` at ${body.trends.barbell_mass} ${u.mass}` : ""),
    h("table", {}, h("tr", {}, ["Week", "Lifts", `Best speed (${u.speed})`, `Median speed`, `Best height (${u.height})`]
      .map((t) => h("th", { scope: "col" }, t))), body.trends.weeks.map((w) => h("tr", {}, h("td", {}, w.week),
      h("td", {}, w.lifts), h("td", {}, w.max_bar_speed?.best ?? "—"), h("td", {}, w.max_bar_speed?.median ?? "—"),
      h("td", {}, w.peak_bar_height?.best ?? "—")))),
    h("h2", {}, "Recurring faults"), body.trends.recurring_faults.length
      ? h("ul", {}, body.trends.recurring_faults.map((f) => h("li", {}, `${f.code}: ${f.sessions} sessions`)))
      : h("p", {}, "None."));
  const lines = [{ x: lv.points.map((p) => p.barbell_mass), y: lv.points.map((p) => p.max_bar_speed), colour: "#0b5cad", dots: true }];
  const marks = [];
  if (lv.line) {
    const xs = lv.points.map((p) => p.barbell_mass);
    const far = lv.estimated_max ? Math.max(...xs, lv.estimated_max.barbell_mass) : Math.max(...xs);
    // the line is in SI; the axes in the units asked for, the same as the units switch's
    const at = (m) => conv("speed", lv.line.intercept + lv.line.slope * (m / conv("mass", 1)));
    lines.push({ x: [Math.min(...xs), far], y: [at(Math.min(...xs)), at(far)], colour: "#d62728" });
    if (lv.estimated_max) marks.push({ x: lv.estimated_max.barbell_mass, y: lv.mvt.value, colour: "#2ca02c", text: "est. max" });
  }
  plotXY(canvas, lines, { xLabel: `bar mass (${u.mass})`, yLabel: `peak speed (${u.speed})`, marks });
}

// ---- compare
async function renderCompare(q) {
  const list = await api("/weightlifting/sessions/", { status: "done", limit: 100, user_id: q.get("user") || undefined });
  const pick = (name, current) => label(name === "a" ? "First lift" : "Second lift", h("select", { name },
    h("option", { value: "" }, "choose…"), list.sessions.map((s) => h("option", { value: s.session_id,
      selected: s.session_id === current }, `${s.title} · ${s.created_at.date}`))));
  const form = h("form", { class: "inline", "aria-label": "Lifts to compare", onsubmit: (e) => {
    e.preventDefault();
    go("/compare", { a: form.a.value, b: form.b.value });
  } }, pick("a", q.get("a")), pick("b", q.get("b")), h("button", { type: "submit" }, "Compare"));
  if (!q.get("a") || !q.get("b")) return show(h("h1", {}, "Compare two lifts"), form);
  const [body, da, db] = await Promise.all([api("/weightlifting/sessions/compare/", { a: q.get("a"), b: q.get("b") }),
    api(session(q.get("a"))), api(session(q.get("b")))]);
  const canvas = h("canvas", { class: "path", width: 480, height: 420, role: "img",
    "aria-label": "Both bar paths overlaid, aligned at liftoff: blue the first lift, red the second" });
  const row = (name, a, b, d, kind) => h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, fmt(kind, a)),
    h("td", {}, fmt(kind, b)), h("td", {}, fmt(kind, d)));
  show(h("h1", {}, "Compare two lifts"), form,
    h("div", { class: "pair" },
      h("video", { controls: true, muted: true, src: da.analyzed_video_url || da.video_url, "aria-label": `Video of ${da.title}` }),
      h("video", { controls: true, muted: true, src: db.analyzed_video_url || db.video_url, "aria-label": `Video of ${db.title}` })),
    canvas,
    h("table", {}, h("tr", {}, ["", "first", "second", "second − first"].map((t) => h("th", { scope: "col" }, t))),
      Object.entries(body.metrics).filter(([k]) => METRIC_KINDS[k]).map(([k, m]) => row(k.replaceAll("_", " "), m.a, m.b,
        m.difference, METRIC_KINDS[k])),
      body.phase_durations_s.map((p) => row(p.phase.replaceAll("_", " "), p.a, p.b, p.difference, "time"))),
    h("p", {}, `Faults only in the first: ${body.faults.only_a.join(", ") || "none"}; only in the second: `
      + `${body.faults.only_b.join(", ") || "none"}.`));
  const line = (p, colour) => ({ x: p.x_m.map((v) => conv("length", v)), y: p.height_m.map((v) => conv("length", v)), colour });
  plotXY(canvas, [line(body.a.bar_path, "#0b5cad"), line(body.b.bar_path, "#d62728")],
         { xLabel: `horizontal (${unitOf("length")})`, yLabel: `height (${unitOf("length")})`, equal: true });
}

start();
