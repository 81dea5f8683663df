// novactor dashboard: one page, live over Server-Sent Events (docs/DASHBOARD.md).
// Plain modern JavaScript, no framework, no network besides this process's own API.
// Every update changes the existing DOM in place: rows are keyed, cells are only
// written when their text changes, inputs are never rebuilt.
"use strict";

(() => {
  const API = "api/v1";
  const HISTORY_SECS = 300; // chart window: the last 5 minutes
  const TOKEN_KEY = "novactor.dashboard.admin_token";
  const DASH = "—";
  const KIND_COLORS = {
    conductor: "#2563eb",
    scheduler: "#9333ea",
    compute: "#c2410c",
    api: "#0f766e",
  };
  const EXTRA_COLORS = ["#be185d", "#4d7c0f", "#0369a1", "#a16207", "#6d28d9", "#52525b"];

  // ---------------------------------------------------------------- helpers

  const byId = (id) => document.getElementById(id);

  function h(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value == null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on") && typeof value === "function") {
        node.addEventListener(key.slice(2), value);
      } else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  }

  function setText(node, value) {
    const text = value == null ? "" : String(value);
    if (node.textContent !== text) node.textContent = text;
  }

  function setAttr(node, name, value) {
    if (value == null || value === false) {
      if (node.hasAttribute(name)) node.removeAttribute(name);
      return;
    }
    const text = value === true ? "" : String(value);
    if (node.getAttribute(name) !== text) node.setAttribute(name, text);
  }

  function setHidden(node, hidden) {
    if (node.hidden !== hidden) node.hidden = hidden;
  }

  const pad2 = (n) => String(n).padStart(2, "0");

  function fmtDuration(secs) {
    if (secs == null || !Number.isFinite(secs)) return DASH;
    if (secs < 0) secs = 0;
    if (secs < 10) return `${secs.toFixed(1)} s`;
    if (secs < 60) return `${Math.floor(secs)} s`;
    const s = Math.floor(secs);
    const d = Math.floor(s / 86400);
    const hh = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60);
    if (d) return `${d}d ${hh}h`;
    if (hh) return `${hh}h ${pad2(m)}m`;
    return `${m}m ${pad2(s % 60)}s`;
  }

  // Short durations: handler latency, task run time.
  function fmtLatency(secs) {
    if (secs == null || !Number.isFinite(secs)) return DASH;
    if (secs <= 0) return "0";
    if (secs < 0.001) return `${Math.round(secs * 1e6)} µs`;
    if (secs < 0.01) return `${(secs * 1000).toFixed(2)} ms`;
    if (secs < 0.1) return `${(secs * 1000).toFixed(1)} ms`;
    if (secs < 1) return `${Math.round(secs * 1000)} ms`;
    return `${secs.toFixed(2)} s`;
  }

  function fmtSpacing(secs) {
    if (secs == null || !Number.isFinite(secs)) return "off";
    if (secs === 0) return "0 s";
    if (secs < 60) return `${+secs.toFixed(2)} s`;
    return fmtDuration(secs);
  }

  function fmtRate(rate) {
    if (rate == null || !Number.isFinite(rate)) return DASH;
    if (rate === 0) return "0";
    if (rate < 0.1) return rate.toFixed(2);
    if (rate < 10) return rate.toFixed(1);
    return String(Math.round(rate));
  }

  // Axis labels: at most three significant digits, no trailing zeros.
  function fmtAxis(v) {
    if (v === 0) return "0";
    if (Math.abs(v) >= 1000) return `${+(v / 1000).toPrecision(3)}k`;
    return String(+v.toPrecision(3));
  }

  function fmtCount(n) {
    return n == null ? DASH : String(n);
  }

  function parseTime(iso) {
    if (!iso) return null;
    const t = Date.parse(iso);
    return Number.isNaN(t) ? null : t;
  }

  // "3.2 s ago" / "in 57 s", relative to the snapshot's own clock (no client skew).
  function fmtRelative(iso, nowMs) {
    const t = parseTime(iso);
    if (t == null) return DASH;
    const diff = (nowMs - t) / 1000;
    if (Math.abs(diff) < 0.5) return "now";
    return diff > 0 ? `${fmtDuration(diff)} ago` : `in ${fmtDuration(-diff)}`;
  }

  function fmtClock(ms) {
    const d = new Date(ms);
    return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  }

  function kindColor(kind) {
    if (KIND_COLORS[kind]) return KIND_COLORS[kind];
    let hash = 0;
    for (const ch of kind) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
    return EXTRA_COLORS[hash % EXTRA_COLORS.length];
  }

  // ---------------------------------------------------------------- state

  const model = {
    snapshot: null, // the last snapshot received
    takenAt: Date.now(), // its taken_at, in ms
    prevCounters: new Map(), // instance name -> {t, messages, seconds}
    rates: new Map(), // instance name -> {rate, latency}
    history: [], // [{t, pid, kinds: {kind: {messages, seconds, restarts}}}]
    interval: 1000, // observed ms between snapshots
    lastEventAt: 0, // client clock of the last snapshot event
    pending: new Set(), // operation keys in flight (their buttons stay disabled)
    received: 0, // snapshot events shown since the page loaded
  };

  // ---------------------------------------------------------------- operations

  const tokenInput = byId("admin-token");
  const opStatus = byId("op-status");

  function setStatus(kind, message) {
    setAttr(opStatus, "data-kind", kind);
    setText(opStatus, `${fmtClock(Date.now())}  ${message}`);
  }

  // Reads may need the token too ([dashboard] require_token_for_reads), and an EventSource
  // cannot send a header: the page keeps the token in a same-site session cookie as well.
  function rememberToken(token) {
    const value = token ? encodeURIComponent(token) : "";
    const end = token ? "" : "; Max-Age=0";
    document.cookie = `novactor_dashboard_token=${value}; Path=/; SameSite=Strict${end}`;
  }

  function authHeaders() {
    const headers = { Accept: "application/json" };
    const token = tokenInput.value.trim();
    if (token) headers.Authorization = `Bearer ${token}`;
    return headers;
  }

  // POST `path`; shows progress, the server's JSON error message, or success in #op-status.
  // Returns the parsed JSON body on success, null otherwise.
  async function operate(key, label, path, body) {
    if (model.pending.has(key)) return null;
    model.pending.add(key);
    refreshButtons();
    setStatus("pending", `${label}…`);
    const init = { method: "POST", headers: authHeaders(), cache: "no-store" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    try {
      let response;
      try {
        response = await fetch(path, init);
      } catch (err) {
        setStatus("error", `${label} failed: the request did not reach the process (${err.message})`);
        return null;
      }
      const text = await response.text();
      let data = null;
      try {
        data = text ? JSON.parse(text) : null;
      } catch {
        data = null;
      }
      if (!response.ok) {
        const message =
          (data && data.error && data.error.message) || text.trim() || response.statusText;
        const code = `${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
        setStatus("error", `${label} failed — ${code}: ${message}`);
        return null;
      }
      setStatus("ok", `${label}: ${describeResult(response.status, data)}`);
      return data || {};
    } finally {
      model.pending.delete(key);
      refreshButtons();
    }
  }

  function describeResult(status, data) {
    const what = status === 202 ? "accepted" : "done";
    if (data && data.periodic_task) {
      const t = data.periodic_task;
      const spacing = t.paused ? "paused" : `every ${fmtSpacing(t.spacing_secs)}${t.spacing_overridden ? " (set here)" : ""}`;
      return `${what} (${status}); ${t.name} on ${data.actor}: ${spacing}, ${t.runs} runs${t.running ? ", running now" : ""}`;
    }
    if (data && data.actor && typeof data.actor === "object") {
      const a = data.actor;
      return `${what} (${status}); ${a.name} is ${a.state}, incarnation ${a.incarnation}, restarts ${a.restarts}`;
    }
    if (data && data.service) {
      const s = data.service;
      const reason = s.disabled_reason ? ` (${s.disabled_reason})` : "";
      return `${what} (${status}); ${s.binary} on ${s.host} is ${s.status || (s.disabled ? "disabled" : "enabled")}${reason}`;
    }
    if (data && data.draining) return `${what} (${status}); the process is draining`;
    return `${what} (${status})`;
  }

  const actorPath = (name, op) => `${API}/actors/${encodeURIComponent(name)}/${op}`;
  const taskPath = (actor, task, op) =>
    `${API}/periodic-tasks/${encodeURIComponent(actor)}/${encodeURIComponent(task)}/${op}`;
  const servicePath = (host, binary, op) =>
    `${API}/services/${encodeURIComponent(host)}/${encodeURIComponent(binary)}/${op}`;

  async function actorOp(name, op) {
    const data = await operate(`actor:${name}:${op}`, `${op} ${name}`, actorPath(name, op));
    if (data && data.actor) applyActor(data.actor);
  }

  async function taskOp(actor, task, op, body) {
    const label = op === "spacing" ? `set spacing of ${task} on ${actor}` : `${op} ${task} on ${actor}`;
    const data = await operate(`task:${actor}:${task}:${op}`, label, taskPath(actor, task, op), body);
    // The answer is {"actor": "<instance>", "periodic_task": {...}}: show the task at once.
    if (data && data.periodic_task) applyTask(actor, data.periodic_task);
    else if (data && data.actor && typeof data.actor === "object") applyActor(data.actor);
    return data;
  }

  async function serviceOp(host, binary, op, body) {
    const data = await operate(
      `service:${host}:${binary}:${op}`,
      `${op} ${binary} on ${host}`,
      servicePath(host, binary, op),
      body,
    );
    if (data && data.service) applyService(data.service);
  }

  // ---------------------------------------------------------------- header

  function renderHeader(s) {
    setText(byId("version"), s.version ? `v${s.version}` : "");
    setText(byId("host"), s.host);
    setText(byId("pid"), s.pid);
    setText(byId("uptime"), fmtDuration(s.uptime_secs));
    const ready = byId("ready");
    setText(ready, s.ready ? "ready" : "not ready");
    setAttr(ready, "data-ok", s.ready ? "true" : "false");
    const draining = byId("draining");
    setText(draining, s.draining ? "draining" : "no");
    setAttr(draining, "data-on", s.draining ? "true" : "false");
    const drainButton = byId("drain");
    setText(drainButton, s.draining ? "draining…" : "drain process");

    const t = s.transport || {};
    const state = byId("broker-state");
    setText(state, t.state || DASH);
    setAttr(state, "data-state", t.state || "unknown");
    setText(byId("broker-scheme"), t.scheme || DASH);
    setText(byId("broker-addr"), t.broker || DASH);
    const since = byId("broker-since");
    setText(since, t.since ? fmtRelative(t.since, model.takenAt) : DASH);
    setAttr(since, "title", t.since || null);
    setText(byId("broker-reconnects"), fmtCount(t.reconnects));
    setText(byId("broker-losses"), fmtCount(t.losses));
    setText(byId("broker-hb"), fmtCount(t.heartbeats_missed));
    const err = byId("broker-error");
    setText(err, t.last_error || "none");
    setAttr(err, "title", t.last_error || null);

    setText(byId("process-label"), `novactor ${s.version || ""} on ${s.host || "?"}, pid ${s.pid ?? "?"}`);
    const sup = s.supervisor || {};
    setText(byId("sup-intensity"), fmtCount(sup.restart_intensity));
    setText(byId("sup-period"), sup.restart_period_secs == null ? DASH : fmtSpacing(sup.restart_period_secs));
    setText(byId("sup-escalate"), sup.escalate == null ? DASH : sup.escalate ? "yes" : "no");
    const load = Array.isArray(sup.thread_load) ? sup.thread_load : null;
    setText(byId("sup-threads"), load ? fmtCount(load.length) : DASH);
    setText(byId("sup-load"), load ? load.join(" · ") : DASH);

    const title = `${s.ready ? "" : "✖ "}novactor ${s.host || ""}`;
    if (document.title !== title) document.title = title;
  }

  // ---------------------------------------------------------------- actors

  const actorsTable = byId("actors");
  const COLUMNS = 14;
  const kinds = new Map(); // kind -> {tbody, header: {...}, rows: Map(name -> row)}
  const rowsByName = new Map(); // instance name -> row (for applyActor)

  function makeKind(kind) {
    const name = h("span", { class: "kind-name", text: kind });
    const binary = h("span", { class: "kind-binary" });
    const summary = h("span", { class: "kind-summary" });
    const swatch = h("span", { class: "legend-dot", "aria-hidden": "true" });
    const headerRow = h(
      "tr",
      { class: "kind-row" },
      h("th", { colspan: COLUMNS, scope: "rowgroup" }, swatch, name, binary, summary),
    );
    const tbody = h("tbody", { "data-kind": kind }, headerRow);
    return { tbody, headerRow, binary, summary, rows: new Map() };
  }

  function makeInstance(name) {
    const row = { name };
    const cell = (cls, ...children) => h("td", { class: cls }, ...children);
    row.nameCell = h("th", { scope: "row", class: "name" });
    row.nameText = document.createTextNode(name);
    row.hostTag = h("span", { class: "host-tag" });
    row.nameCell.append(row.nameText, row.hostTag);
    row.state = h("span", { class: "state", "data-state": "unknown", text: "…" });
    row.thread = cell("num thread");
    row.incarnation = cell("num incarnation");
    row.uptime = cell("num uptime");
    row.restarts = cell("num restarts");
    row.backoff = cell("num backoff");
    row.mailbox = cell("num mailbox");
    row.inflight = cell("inflight");
    row.handled = cell("num handled");
    row.rate = cell("num rate");
    row.latency = cell("num latency");
    row.heartbeat = cell("heartbeat");
    row.buttons = {};
    const ops = cell("ops");
    for (const op of ["restart", "stop", "start"]) {
      const button = h("button", {
        type: "button",
        "data-op": op,
        "aria-label": `${op} ${name}`,
        text: op,
        onclick: () => {
          if (op === "stop" && !window.confirm(`Stop ${name}? It stays stopped until you start it.`)) return;
          actorOp(name, op);
        },
      });
      row.buttons[op] = button;
      ops.append(button);
    }
    row.tr = h(
      "tr",
      { class: "instance", "data-actor": name },
      row.nameCell,
      h("td", {}, row.state),
      row.thread,
      row.incarnation,
      row.uptime,
      row.restarts,
      row.backoff,
      row.mailbox,
      row.inflight,
      row.handled,
      row.rate,
      row.latency,
      row.heartbeat,
      ops,
    );
    row.detailCell = h("td", { colspan: COLUMNS });
    row.detail = h("tr", { class: "detail", "data-detail-for": name }, row.detailCell);
    row.detailKey = null;
    return row;
  }

  function renderInFlight(row, a) {
    const handlers = a.in_flight_handlers || [];
    const count = a.in_flight ?? handlers.length;
    let text = String(count ?? 0);
    if (handlers.length) {
      const first = handlers[0];
      text += ` · ${first.method} ${fmtDuration(first.elapsed_secs)}`;
      if (handlers.length > 1) text += ` +${handlers.length - 1}`;
    }
    setText(row.inflight, text);
    setAttr(
      row.inflight,
      "title",
      handlers.length
        ? handlers.map((x) => `${x.method} ${fmtDuration(x.elapsed_secs)}${x.request_id ? ` ${x.request_id}` : ""}`).join("\n")
        : null,
    );
  }

  function renderDetail(row, a) {
    const parts = [];
    const queues = a.rpc_queues || [];
    let noQueues = "none (consumes no topic)";
    if (a.state !== "running") noQueues = `none while ${a.state}`;
    parts.push(["queues", queues.length ? queues.join(", ") : noQueues]);
    const handlers = a.in_flight_handlers || [];
    if (handlers.length) {
      parts.push([
        "in flight",
        handlers
          .map((x) => `${x.method} ${fmtDuration(x.elapsed_secs)}${x.request_id ? ` (${x.request_id})` : ""}`)
          .join(", "),
      ]);
    }
    if (a.at_least_once_methods && a.at_least_once_methods.length) {
      parts.push(["at-least-once", a.at_least_once_methods.join(", ")]);
    }
    if (a.state === "stopped" && a.stopped_by_operator) parts.push(["stopped", "by an operator (start it again with start)"]);
    if (a.restart_type) parts.push(["restart type", a.restart_type]);
    if (a.errors_total) parts.push(["errors", String(a.errors_total)]);
    // Failures the endpoint declares expected (NotFound on a first registration, …): not
    // errors, shown beside them.
    if (a.expected_failures_total) parts.push(["expected failures", String(a.expected_failures_total)]);
    if (a.last_error) parts.push(["last error", a.last_error, true]);
    // The spans are rebuilt only when the set of labels changes; values are updated in
    // place, so selecting a queue name to copy it survives the next snapshot.
    const layout = parts.map(([label]) => label).join("\u0000");
    if (layout !== row.detailKey) {
      row.detailKey = layout;
      row.detailValues = [];
      const nodes = [];
      parts.forEach(([label, , isError], i) => {
        if (i) nodes.push(h("span", { class: "sep", "aria-hidden": "true", text: "|" }));
        nodes.push(h("span", { class: "label", text: `${label}: ` }));
        const value = h("span", { class: isError ? "error-text" : "" });
        row.detailValues.push(value);
        nodes.push(value);
      });
      row.detailCell.replaceChildren(...nodes);
    }
    parts.forEach(([, value], i) => setText(row.detailValues[i], value));
  }

  function renderHeartbeat(row, hb) {
    if (!hb) {
      setText(row.heartbeat, "no record");
      setAttr(row.heartbeat, "data-outage", null);
      setAttr(row.heartbeat, "title", "this actor keeps no service record");
      return;
    }
    let text = `${hb.reports} report${hb.reports === 1 ? "" : "s"}`;
    if (hb.failures) text += `, ${hb.failures} failed`;
    if (hb.last_report_at) text += ` · ${fmtRelative(hb.last_report_at, model.takenAt)}`;
    if (hb.in_outage) text = `outage · ${text}`;
    setText(row.heartbeat, text);
    setAttr(row.heartbeat, "data-outage", hb.in_outage ? "true" : "false");
    setAttr(row.heartbeat, "title", hb.last_report_at ? `last report ${hb.last_report_at}` : null);
  }

  function updateInstance(row, a) {
    row.actor = a;
    setText(row.hostTag, a.host && a.host !== (model.snapshot && model.snapshot.host) ? a.host : "");
    setAttr(row.nameCell, "title", `${a.name}: ${a.binary || a.actor} on ${a.host || "?"}`);
    setText(row.state, a.state);
    setAttr(row.state, "data-state", a.state);
    setText(row.thread, a.thread == null ? DASH : String(a.thread));
    setText(row.incarnation, fmtCount(a.incarnation));
    setText(row.uptime, a.uptime_secs == null ? DASH : fmtDuration(a.uptime_secs));
    setText(row.restarts, fmtCount(a.restarts));
    setAttr(row.restarts, "data-nonzero", a.restarts > 0 ? "true" : "false");
    setText(row.backoff, a.backoff_secs == null ? DASH : fmtDuration(a.backoff_secs));
    setText(row.mailbox, fmtCount(a.mailbox_depth));
    renderInFlight(row, a);
    setText(row.handled, fmtCount(a.handled));
    const r = model.rates.get(a.name) || {};
    setText(row.rate, fmtRate(r.rate));
    setText(row.latency, fmtLatency(r.latency));
    renderHeartbeat(row, a.heartbeat);
    renderDetail(row, a);
    refreshRowButtons(row);
  }

  function refreshRowButtons(row) {
    const a = row.actor;
    if (!a) return;
    const state = a.state;
    // What the supervisor accepts (others answer 409): nothing while an instance is
    // starting or stopping; start skips a pending restart's backoff too.
    const settling = state === "starting" || state === "stopping";
    const disabled = {
      restart: settling,
      stop: settling || state === "stopped",
      start: !(state === "stopped" || state === "isolated" || state === "restarting"),
    };
    for (const [op, button] of Object.entries(row.buttons)) {
      const busy = model.pending.has(`actor:${a.name}:${op}`);
      const off = disabled[op] || busy;
      if (button.disabled !== off) button.disabled = off;
      setAttr(button, "aria-busy", busy ? "true" : null);
    }
  }

  function renderActors(s) {
    const groups = new Map();
    for (const a of s.actors || []) {
      const kind = a.actor || a.name;
      if (!groups.has(kind)) groups.set(kind, []);
      groups.get(kind).push(a);
    }
    for (const [kind, group] of kinds) {
      if (!groups.has(kind)) {
        group.tbody.remove();
        for (const name of group.rows.keys()) rowsByName.delete(name);
        kinds.delete(kind);
      }
    }
    let previous = actorsTable.tHead;
    for (const [kind, list] of groups) {
      let group = kinds.get(kind);
      if (!group) {
        group = makeKind(kind);
        kinds.set(kind, group);
      }
      if (previous.nextElementSibling !== group.tbody) previous.after(group.tbody);
      previous = group.tbody;
      updateKind(group, kind, list);
    }
    setHidden(byId("actors-empty"), groups.size > 0);
  }

  function updateKind(group, kind, list) {
    const seen = new Set(list.map((a) => a.name));
    for (const [name, row] of group.rows) {
      if (!seen.has(name)) {
        row.tr.remove();
        row.detail.remove();
        group.rows.delete(name);
        rowsByName.delete(name);
      }
    }
    let previous = group.headerRow;
    for (const a of list) {
      let row = group.rows.get(a.name);
      if (!row) {
        row = makeInstance(a.name);
        group.rows.set(a.name, row);
        rowsByName.set(a.name, row);
      }
      if (previous.nextElementSibling !== row.tr) previous.after(row.tr);
      if (row.tr.nextElementSibling !== row.detail) row.tr.after(row.detail);
      previous = row.detail;
      updateInstance(row, a);
    }
    const binaries = [...new Set(list.map((a) => a.binary).filter(Boolean))];
    setText(group.binary, binaries.join(", "));
    const counts = {};
    for (const a of list) counts[a.state] = (counts[a.state] || 0) + 1;
    let rate = null;
    for (const a of list) {
      const r = model.rates.get(a.name);
      if (r && r.rate != null) rate = (rate || 0) + r.rate;
    }
    const states = Object.entries(counts).map(([st, n]) => `${n} ${st}`).join(", ");
    const instances = `${list.length} instance${list.length === 1 ? "" : "s"}`;
    setText(group.summary, `${instances}: ${states}${rate == null ? "" : ` · ${fmtRate(rate)} msg/s`}`);
    const dot = group.headerRow.querySelector(".legend-dot");
    const color = kindColor(kind);
    if (dot.style.backgroundColor !== color) dot.style.backgroundColor = color;
  }

  // An actor snapshot from an operation's answer: show it at once.
  function applyActor(a) {
    const row = rowsByName.get(a.name);
    if (row) updateInstance(row, a);
    if (model.snapshot) {
      const list = model.snapshot.actors || [];
      const i = list.findIndex((x) => x.name === a.name);
      if (i >= 0) list[i] = a;
      renderTasks(model.snapshot);
    }
  }

  function refreshButtons() {
    for (const row of rowsByName.values()) refreshRowButtons(row);
    for (const row of taskRows.values()) refreshTaskButtons(row);
    for (const row of serviceRows.values()) refreshServiceButtons(row);
    const drain = byId("drain");
    const off = model.pending.has("drain") || !!(model.snapshot && model.snapshot.draining);
    if (drain.disabled !== off) drain.disabled = off;
  }

  // ---------------------------------------------------------------- periodic tasks

  const tasksBody = byId("tasks").tBodies[0];
  const taskRows = new Map(); // "actor\u0000task" -> row

  function makeTask(actor, task) {
    const row = { actor, task };
    const cell = (cls) => h("td", { class: cls });
    row.actorCell = h("td", { class: "task-actor", text: actor });
    row.nameCell = h("th", { scope: "row", class: "task-name" });
    row.nameText = document.createTextNode(task);
    row.runningTag = h("span", { class: "badge running-tag", "data-tone": "ok", text: "running", hidden: true });
    row.nameCell.append(row.nameText, row.runningTag);
    row.spacing = cell("num spacing");
    row.paused = h("span", { class: "badge" });
    row.lastRun = cell("last-run");
    row.duration = cell("num duration");
    row.nextRun = cell("next-run");
    row.runs = cell("num runs");
    row.failures = cell("num fails");
    row.skipped = cell("num skipped");
    row.lastError = cell("last-error");
    row.buttons = {};
    const ops = cell("ops");
    const labels = { pause: "pause", resume: "resume", run: "run now" };
    for (const op of ["pause", "resume", "run"]) {
      const button = h("button", {
        type: "button",
        "data-op": op,
        "aria-label": `${labels[op]}: ${task} on ${actor}`,
        text: labels[op],
        onclick: () => taskOp(actor, task, op),
      });
      row.buttons[op] = button;
      ops.append(button);
    }
    const inputId = `spacing-${actor}-${task}`.replace(/[^A-Za-z0-9_-]/g, "_");
    row.input = h("input", {
      type: "number",
      class: "spacing",
      id: inputId,
      min: "0.001",
      step: "any",
      inputmode: "decimal",
      "aria-label": `new spacing in seconds for ${task} on ${actor}; empty returns to the configured spacing`,
      title: "seconds; empty = the configured spacing",
    });
    const setSpacing = async () => {
      const raw = row.input.value.trim();
      let spacing = null;
      if (raw !== "") {
        spacing = Number(raw);
        if (!Number.isFinite(spacing) || spacing <= 0) {
          setStatus("error", `spacing for ${task} must be a number of seconds > 0 (or empty for the configured spacing; pause stops the task)`);
          return;
        }
      }
      const data = await taskOp(actor, task, "spacing", { spacing_secs: spacing });
      if (data) row.input.value = "";
    };
    row.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") setSpacing();
    });
    const set = h("button", {
      type: "button",
      "data-op": "spacing",
      "aria-label": `set spacing of ${task} on ${actor}`,
      text: "set",
      onclick: setSpacing,
    });
    row.buttons.spacing = set;
    ops.append(row.input, set);
    row.tr = h(
      "tr",
      { "data-task-actor": actor, "data-task": task },
      row.actorCell,
      row.nameCell,
      row.spacing,
      h("td", {}, row.paused),
      row.lastRun,
      row.duration,
      row.nextRun,
      row.runs,
      row.failures,
      row.skipped,
      row.lastError,
      ops,
    );
    return row;
  }

  function updateTask(row, t, actorState) {
    row.data = t;
    row.actorState = actorState;
    setHidden(row.runningTag, !t.running);
    // spacing_secs is null while paused (and for a disabled task).
    setText(row.spacing, t.spacing_secs == null && t.paused ? DASH : fmtSpacing(t.spacing_secs));
    setAttr(row.spacing, "class", t.spacing_overridden ? "num spacing overridden" : "num spacing");
    setAttr(row.spacing, "title", t.spacing_overridden ? "set by an operator (set an empty spacing to return to the configured one)" : null);
    if (document.activeElement !== row.input && t.spacing_secs != null) {
      setAttr(row.input, "placeholder", String(+t.spacing_secs.toFixed(3)));
    } else if (!row.input.placeholder) {
      setAttr(row.input, "placeholder", "s");
    }
    setText(row.paused, t.paused ? "paused" : "no");
    setAttr(row.paused, "data-tone", t.paused ? "warn" : "off");
    setText(row.lastRun, fmtRelative(t.last_run_at, model.takenAt));
    setAttr(row.lastRun, "title", t.last_run_at || null);
    setText(row.duration, fmtLatency(t.last_duration_secs));
    setText(row.nextRun, t.paused ? "paused" : fmtRelative(t.next_run_at, model.takenAt));
    setAttr(row.nextRun, "title", t.next_run_at || null);
    setText(row.runs, fmtCount(t.runs));
    setText(row.failures, fmtCount(t.failures));
    setAttr(row.failures, "data-nonzero", t.failures > 0 ? "true" : "false");
    setText(row.skipped, fmtCount(t.skipped));
    setText(row.lastError, t.last_error || "");
    refreshTaskButtons(row);
  }

  function refreshTaskButtons(row) {
    const t = row.data;
    if (!t) return;
    const busy = (op) => model.pending.has(`task:${row.actor}:${row.task}:${op}`);
    const want = {
      pause: t.paused || busy("pause"),
      resume: !t.paused || busy("resume"),
      // Tasks run only while their instance runs (the supervisor answers 409 otherwise).
      run: busy("run") || (row.actorState != null && row.actorState !== "running"),
      spacing: busy("spacing"),
    };
    for (const [op, button] of Object.entries(row.buttons)) {
      if (button.disabled !== want[op]) button.disabled = want[op];
    }
  }

  // A task snapshot from an operation's answer: show it at once.
  function applyTask(actor, t) {
    const row = taskRows.get(`${actor}\u0000${t.name}`);
    if (row) updateTask(row, t, row.actorState);
    const a = model.snapshot && (model.snapshot.actors || []).find((x) => x.name === actor);
    if (a && a.periodic_tasks) {
      const i = a.periodic_tasks.findIndex((x) => x.name === t.name);
      if (i >= 0) a.periodic_tasks[i] = t;
    }
  }

  /** The row kept under `key`, made by `make` the first time. */
  function keyedRow(rows, key, make) {
    let row = rows.get(key);
    if (!row) {
      row = make();
      rows.set(key, row);
    }
    return row;
  }

  /** Put `tr` right after `previous` (first in `body` when null), moving it only when it
   *  is not already there, so rows keep focus and selection; returns `tr`. */
  function placeAfter(body, previous, tr) {
    const expected = previous ? previous.nextElementSibling : body.firstElementChild;
    if (expected !== tr) {
      if (previous) previous.after(tr);
      else body.prepend(tr);
    }
    return tr;
  }

  function renderTasks(s) {
    const seen = new Set();
    let previous = null;
    for (const a of s.actors || []) {
      for (const t of a.periodic_tasks || []) {
        const key = `${a.name}\u0000${t.name}`;
        seen.add(key);
        const row = keyedRow(taskRows, key, () => makeTask(a.name, t.name));
        previous = placeAfter(tasksBody, previous, row.tr);
        updateTask(row, t, a.state);
      }
    }
    for (const [key, row] of taskRows) {
      if (!seen.has(key)) {
        row.tr.remove();
        taskRows.delete(key);
      }
    }
    setHidden(byId("tasks-empty"), seen.size > 0);
  }

  // ---------------------------------------------------------------- services

  const servicesBody = byId("services").tBodies[0];
  const serviceRows = new Map(); // "host/binary" -> row

  function makeService(host, binary) {
    const row = { host, binary };
    const cell = (cls) => h("td", { class: cls });
    row.id = cell("num id");
    row.binaryCell = h("th", { scope: "row", text: binary });
    row.hostCell = h("td", { text: host });
    row.status = h("span", { class: "badge" });
    row.reason = h("span", { class: "reason" });
    row.state = h("span", { class: "badge" });
    row.forced = h("span", { class: "reason" });
    row.lastSeen = cell("last-seen");
    row.reports = cell("num reports");
    row.buttons = {
      enable: h("button", {
        type: "button",
        "data-op": "enable",
        "aria-label": `enable ${binary} on ${host}`,
        text: "enable",
        onclick: () => serviceOp(host, binary, "enable"),
      }),
      disable: h("button", {
        type: "button",
        "data-op": "disable",
        "aria-label": `disable ${binary} on ${host}`,
        text: "disable",
        onclick: () => {
          const reason = window.prompt(`Disable ${binary} on ${host}? Reason (optional):`, "");
          if (reason === null) return;
          const trimmed = reason.trim();
          serviceOp(host, binary, "disable", trimmed ? { reason: trimmed } : {});
        },
      }),
    };
    row.tr = h(
      "tr",
      { "data-service": `${host}/${binary}` },
      row.id,
      row.binaryCell,
      row.hostCell,
      h("td", {}, row.status, " ", row.reason),
      h("td", {}, row.state, " ", row.forced),
      row.lastSeen,
      row.reports,
      h("td", { class: "ops" }, row.buttons.enable, row.buttons.disable),
    );
    return row;
  }

  function updateService(row, svc) {
    row.data = svc;
    setText(row.id, fmtCount(svc.id));
    const disabled = svc.status ? svc.status === "disabled" : !!svc.disabled;
    setText(row.status, disabled ? "disabled" : "enabled");
    setAttr(row.status, "data-tone", disabled ? "warn" : "ok");
    setText(row.reason, disabled && svc.disabled_reason ? svc.disabled_reason : "");
    const up = svc.state === "up";
    setText(row.state, svc.state || DASH);
    setAttr(row.state, "data-tone", up ? "ok" : "bad");
    setText(row.forced, svc.forced_down ? "forced down" : "");
    const seen = svc.last_seen_up || svc.updated_at || svc.created_at;
    setText(row.lastSeen, fmtRelative(seen, model.takenAt));
    setAttr(row.lastSeen, "title", seen || null);
    setText(row.reports, fmtCount(svc.report_count));
    refreshServiceButtons(row);
  }

  function refreshServiceButtons(row) {
    const svc = row.data;
    if (!svc) return;
    const disabled = svc.status ? svc.status === "disabled" : !!svc.disabled;
    const busy = (op) => model.pending.has(`service:${row.host}:${row.binary}:${op}`);
    const want = { enable: !disabled || busy("enable"), disable: disabled || busy("disable") };
    for (const [op, button] of Object.entries(row.buttons)) {
      if (button.disabled !== want[op]) button.disabled = want[op];
    }
  }

  function renderServices(services, error) {
    const errorLine = byId("services-error");
    setText(errorLine, error ? `service records unavailable: ${error}` : "");
    setHidden(errorLine, !error);
    if (services == null) {
      // Keep the last known rows (dimmed by the error line) rather than blanking the table.
      setHidden(byId("services-empty"), true);
      return;
    }
    const seen = new Set();
    let previous = null;
    for (const svc of services) {
      const key = `${svc.host}/${svc.binary}`;
      seen.add(key);
      const row = keyedRow(serviceRows, key, () => makeService(svc.host, svc.binary));
      previous = placeAfter(servicesBody, previous, row.tr);
      updateService(row, svc);
    }
    for (const [key, row] of serviceRows) {
      if (!seen.has(key)) {
        row.tr.remove();
        serviceRows.delete(key);
      }
    }
    setHidden(byId("services-empty"), seen.size > 0);
  }

  function applyService(svc) {
    const row = serviceRows.get(`${svc.host}/${svc.binary}`);
    if (row) updateService(row, { ...row.data, ...svc });
  }

  // ---------------------------------------------------------------- rates and history

  function ingestCounters(s, t) {
    const next = new Map();
    for (const a of s.actors || []) {
      const messages = a.messages_total;
      const seconds = a.handler_seconds_total;
      if (messages == null) continue;
      const prev = model.prevCounters.get(a.name);
      let rate = null;
      let latency = null;
      if (prev && t > prev.t) {
        const dt = (t - prev.t) / 1000;
        const dm = messages - prev.messages;
        if (dm >= 0) {
          rate = dm / dt;
          if (dm > 0 && seconds != null && prev.seconds != null) {
            latency = Math.max(0, (seconds - prev.seconds) / dm);
          }
        }
      }
      if (rate != null) model.rates.set(a.name, { rate, latency });
      next.set(a.name, { t, messages, seconds });
    }
    for (const name of model.rates.keys()) if (!next.has(name)) model.rates.delete(name);
    model.prevCounters = next;
  }

  function ingestHistory(s, t) {
    const history = model.history;
    const last = history[history.length - 1];
    if (last && last.pid !== s.pid) history.length = 0; // another process: start over
    else if (last && t <= last.t) return; // repeated or out of order
    if (last && last.pid === s.pid) {
      const dt = t - last.t;
      if (dt > 0 && dt < 60000) model.interval = model.interval * 0.8 + dt * 0.2;
    }
    const kindTotals = {};
    for (const a of s.actors || []) {
      const kind = a.actor || a.name;
      const k = (kindTotals[kind] ||= { messages: 0, seconds: 0, restarts: 0, counted: true });
      if (a.messages_total == null) k.counted = false;
      k.messages += a.messages_total || 0;
      k.seconds += a.handler_seconds_total || 0;
      k.restarts += a.restarts || 0;
    }
    history.push({ t, pid: s.pid, kinds: kindTotals });
    const cutoff = t - HISTORY_SECS * 1000 - 10000;
    while (history.length > 2 && history[1].t < cutoff) history.shift();
  }

  function kindsInHistory() {
    const kindsSeen = [];
    const set = new Set();
    for (const point of model.history) {
      for (const kind of Object.keys(point.kinds)) {
        if (!set.has(kind)) {
          set.add(kind);
          kindsSeen.push(kind);
        }
      }
    }
    return kindsSeen;
  }

  function buildSeries() {
    const history = model.history;
    const gap = Math.max(10000, model.interval * 5);
    const out = { rate: [], latency: [], restarts: [] };
    for (const kind of kindsInHistory()) {
      const color = kindColor(kind);
      const rate = [];
      const latency = [];
      const restarts = [];
      for (let i = 0; i < history.length; i++) {
        const cur = history[i];
        const c = cur.kinds[kind];
        restarts.push({ t: cur.t, v: c ? c.restarts : null });
        if (i === 0) continue;
        const prev = history[i - 1];
        const p = prev.kinds[kind];
        const dt = (cur.t - prev.t) / 1000;
        if (!c || !p || !c.counted || !p.counted || dt <= 0 || cur.t - prev.t > gap) {
          rate.push({ t: cur.t, v: null });
          latency.push({ t: cur.t, v: null });
          continue;
        }
        const dm = c.messages - p.messages;
        if (dm < 0) {
          rate.push({ t: cur.t, v: null });
          latency.push({ t: cur.t, v: null });
          continue;
        }
        rate.push({ t: cur.t, v: dm / dt });
        latency.push({ t: cur.t, v: dm > 0 ? Math.max(0, (c.seconds - p.seconds) / dm) : null });
      }
      out.rate.push({ kind, color, points: rate });
      out.latency.push({ kind, color, points: latency });
      out.restarts.push({ kind, color, points: restarts });
    }
    return out;
  }

  // ---------------------------------------------------------------- charts (canvas)

  function niceCeil(v) {
    if (!(v > 0)) return 1;
    const exp = 10 ** Math.floor(Math.log10(v));
    const f = v / exp;
    const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
    return nice * exp;
  }

  const charts = {
    rate: {
      canvas: byId("chart-rate"),
      legend: byId("legend-rate"),
      format: (v) => `${fmtRate(v)}/s`,
      axis: fmtAxis,
      minMax: 1,
      empty: "waiting for two snapshots…",
    },
    latency: {
      canvas: byId("chart-latency"),
      legend: byId("legend-latency"),
      format: fmtLatency,
      axis: (v) => (v === 0 ? "0" : fmtLatency(v).replace(/\.0+ /, " ").replace(/(\.\d*?)0+ /, "$1 ")),
      minMax: 0.001,
      empty: "no messages handled in the window",
    },
    restarts: {
      canvas: byId("chart-restarts"),
      legend: byId("legend-restarts"),
      format: (v) => fmtCount(v),
      axis: (v) => String(Math.round(v)),
      minMax: 4,
      integer: true,
      step: true,
      empty: "waiting for data…",
    },
  };
  for (const chart of Object.values(charts)) chart.legendItems = new Map();

  function updateLegend(chart, series) {
    const seen = new Set();
    for (const s of series) {
      seen.add(s.kind);
      let item = chart.legendItems.get(s.kind);
      if (!item) {
        const swatch = h("span", { class: "swatch", "aria-hidden": "true" });
        swatch.style.backgroundColor = s.color;
        const value = h("span", { class: "value" });
        item = { li: h("li", {}, swatch, h("span", { text: s.kind }), value), value };
        chart.legendItems.set(s.kind, item);
        chart.legend.append(item.li);
      }
      let latest = null;
      for (let i = s.points.length - 1; i >= 0; i--) {
        if (s.points[i].v != null) {
          latest = s.points[i];
          break;
        }
      }
      const fresh = latest && s.points.length && latest === s.points[s.points.length - 1];
      setText(item.value, latest && fresh ? chart.format(latest.v) : DASH);
    }
    for (const [kind, item] of chart.legendItems) {
      if (!seen.has(kind)) {
        item.li.remove();
        chart.legendItems.delete(kind);
      }
    }
  }

  function drawChart(chart, series, tMax) {
    const canvas = chart.canvas;
    const dpr = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (!width || !height) return;
    const pw = Math.round(width * dpr);
    const ph = Math.round(height * dpr);
    if (canvas.width !== pw) canvas.width = pw;
    if (canvas.height !== ph) canvas.height = ph;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);

    const left = 50;
    const right = 6;
    const top = 6;
    const bottom = 16;
    const plotW = width - left - right;
    const plotH = height - top - bottom;
    const span = HISTORY_SECS * 1000;
    const tMin = tMax - span;

    let max = 0;
    let any = false;
    for (const s of series) {
      for (const p of s.points) {
        if (p.v != null && p.t >= tMin) {
          any = true;
          if (p.v > max) max = p.v;
        }
      }
    }
    // Round steps (1, 2, 2.5, 5 × 10^n; whole numbers for counts), three to four of them.
    const ceiling = Math.max(max, chart.minMax);
    let step = niceCeil(ceiling / 4);
    if (chart.integer) step = Math.max(1, Math.ceil(step));
    const ticks = Math.max(1, Math.ceil(ceiling / step - 1e-9));
    const yMax = ticks * step;

    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    ctx.lineWidth = 1;
    for (let i = 0; i <= ticks; i++) {
      const v = step * i;
      const y = Math.round(top + plotH * (1 - i / ticks)) + 0.5;
      ctx.strokeStyle = i === 0 ? "#b8bec6" : "#e6e9ed";
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + plotW, y);
      ctx.stroke();
      ctx.fillStyle = "#5b636e";
      ctx.textAlign = "right";
      ctx.fillText(chart.axis(v), left - 5, y);
    }
    ctx.textBaseline = "alphabetic";
    for (let m = 0; m <= HISTORY_SECS / 60; m++) {
      const x = left + plotW * (1 - (m * 60000) / span);
      ctx.textAlign = m === 0 ? "right" : m === HISTORY_SECS / 60 ? "left" : "center";
      ctx.fillStyle = "#5b636e";
      ctx.fillText(m === 0 ? "now" : `−${m}m`, x, height - 3);
      if (m > 0 && m < HISTORY_SECS / 60) {
        ctx.strokeStyle = "#f0f2f4";
        ctx.beginPath();
        ctx.moveTo(Math.round(x) + 0.5, top);
        ctx.lineTo(Math.round(x) + 0.5, top + plotH);
        ctx.stroke();
      }
    }

    if (!any) {
      ctx.fillStyle = "#7a828c";
      ctx.textAlign = "center";
      ctx.fillText(chart.empty, left + plotW / 2, top + plotH / 2);
      return;
    }

    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top - 2, plotW + 2, plotH + 4);
    ctx.clip();
    const xOf = (t) => left + ((t - tMin) / span) * plotW;
    const yOf = (v) => top + plotH * (1 - v / yMax);
    ctx.lineWidth = 1.75;
    ctx.lineJoin = "round";
    for (const s of series) {
      ctx.strokeStyle = s.color;
      ctx.fillStyle = s.color;
      let pen = null; // last drawn point, null after a gap
      let runLength = 0;
      const flushDot = () => {
        if (pen && runLength === 1) {
          ctx.beginPath();
          ctx.arc(pen.x, pen.y, 2, 0, Math.PI * 2);
          ctx.fill();
        }
      };
      ctx.beginPath();
      for (const p of s.points) {
        if (p.t < tMin - 60000) continue;
        if (p.v == null) {
          if (pen) {
            ctx.stroke();
            flushDot();
            ctx.beginPath();
          }
          pen = null;
          runLength = 0;
          continue;
        }
        const x = xOf(p.t);
        const y = yOf(p.v);
        if (!pen) {
          ctx.moveTo(x, y);
        } else if (chart.step) {
          ctx.lineTo(x, pen.y);
          ctx.lineTo(x, y);
        } else {
          ctx.lineTo(x, y);
        }
        pen = { x, y };
        runLength += 1;
      }
      ctx.stroke();
      flushDot();
    }
    ctx.restore();
  }

  function renderCharts() {
    const series = buildSeries();
    const last = model.history[model.history.length - 1];
    const tMax = last ? last.t : Date.now();
    for (const [name, chart] of Object.entries(charts)) {
      updateLegend(chart, series[name]);
      drawChart(chart, series[name], tMax);
    }
  }

  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(renderCharts, 100);
  });

  // ---------------------------------------------------------------- live connection

  const live = byId("live");
  const lastUpdate = byId("last-update");

  function setLive(state, text) {
    if (state === "live") setAttr(live, "title", null);
    setAttr(live, "data-state", state);
    setText(live, text);
    document.body.classList.toggle("stale", state !== "live" && !!model.snapshot);
  }

  function onSnapshot(payload) {
    const s = payload.snapshot || payload;
    const t = parseTime(s.taken_at) ?? Date.now();
    model.snapshot = s;
    model.takenAt = t;
    model.lastEventAt = Date.now();
    document.body.classList.remove("no-data");
    ingestCounters(s, t);
    ingestHistory(s, t);
    renderHeader(s);
    renderActors(s);
    renderTasks(s);
    if ("services" in payload || "services_error" in payload) {
      renderServices(payload.services, payload.services_error);
    }
    refreshButtons();
    renderCharts();
    setText(lastUpdate, `updated ${fmtClock(model.lastEventAt)}`);
    // For tests and scripts: how many snapshots this page has shown (waits need no sleeps).
    model.received += 1;
    live.dataset.snapshots = String(model.received);
    setLive("live", "live");
  }

  let source = null;
  let retryTimer = 0;
  let retryDelay = 1000;

  function connect() {
    clearTimeout(retryTimer);
    if (source) source.close();
    setLive("connecting", model.snapshot ? "reconnecting…" : "connecting…");
    const es = new EventSource(`${API}/events`);
    source = es;
    es.addEventListener("open", () => {
      if (source !== es) return;
      retryDelay = 1000;
    });
    es.addEventListener("snapshot", (event) => {
      if (source !== es) return;
      let payload;
      try {
        payload = JSON.parse(event.data);
      } catch (err) {
        setStatus("error", `could not read a snapshot event: ${err.message}`);
        return;
      }
      try {
        onSnapshot(payload);
      } catch (err) {
        console.error(err);
        setStatus("error", `could not show a snapshot: ${err.message}`);
      }
    });
    es.addEventListener("error", (event) => {
      if (source !== es) return;
      if (typeof event.data === "string") {
        // The server's own `error` event: the stream is fine, the supervisor did not answer.
        let message = event.data;
        try {
          message = JSON.parse(event.data).error || message;
        } catch {
          // not JSON: show it as it came
        }
        model.lastEventAt = Date.now();
        setLive("stale", "no snapshot: supervisor not answering");
        setAttr(live, "title", message);
        return;
      }
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. the server answered with an error): retry ourselves.
        setLive("disconnected", `disconnected, retrying in ${Math.round(retryDelay / 1000)} s`);
        retryTimer = setTimeout(connect, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 15000);
      } else {
        setLive("disconnected", "disconnected, reconnecting…");
      }
    });
  }

  // A connection that stays open but delivers nothing (a stuck proxy, a stopped process
  // behind a keep-alive) is as good as none: mark it stale and reconnect.
  setInterval(() => {
    if (!source || !model.lastEventAt) return;
    const quiet = Date.now() - model.lastEventAt;
    const limit = Math.max(5000, model.interval * 5);
    if (quiet > limit && live.getAttribute("data-state") === "live") {
      setLive("stale", `stale: nothing for ${Math.round(quiet / 1000)} s`);
      connect();
    }
  }, 1000);

  // ---------------------------------------------------------------- wiring

  try {
    tokenInput.value = sessionStorage.getItem(TOKEN_KEY) || "";
  } catch {
    // sessionStorage unavailable (privacy mode): the token lives in the field only.
  }
  rememberToken(tokenInput.value.trim());
  tokenInput.addEventListener("input", () => {
    rememberToken(tokenInput.value.trim());
    // A stream refused for want of the token is tried again with it.
    if (!source || source.readyState === EventSource.CLOSED) connect();
    try {
      if (tokenInput.value) sessionStorage.setItem(TOKEN_KEY, tokenInput.value);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      // ignored: see above
    }
  });
  const showToken = byId("token-show");
  showToken.addEventListener("click", () => {
    const shown = tokenInput.type === "text";
    tokenInput.type = shown ? "password" : "text";
    showToken.setAttribute("aria-pressed", shown ? "false" : "true");
    showToken.textContent = shown ? "show" : "hide";
  });

  byId("drain").addEventListener("click", async () => {
    const s = model.snapshot;
    const who = s ? `${s.host} (pid ${s.pid})` : "this process";
    const ok = window.confirm(
      `Drain ${who}?\n\nEvery actor stops consuming, in-flight calls finish, and the process exits, as on SIGTERM.`,
    );
    if (!ok) return;
    const data = await operate("drain", `drain ${who}`, `${API}/drain`);
    if (data && model.snapshot) {
      model.snapshot.draining = true;
      renderHeader(model.snapshot);
      refreshButtons();
    }
  });

  connect();
})();
