/*
 * Plexus web console: the behaviour of the single page index.html.
 *
 * It reads snapshots over the console's JSON API (/api/...), then keeps
 * them current from one WebSocket (/ws) that resumes from the last
 * sequence number it saw.  Each tab (hash route) is one view: overview
 * with plugin controls, topology (d3 force layout), switch details,
 * routers, the event stream, frame journeys and terminals (xterm).
 *
 * Plain ES2020, no framework and no build step.  The page runs under a
 * strict Content-Security-Policy, so the DOM is built with
 * createElement/textContent (never innerHTML, never style attributes);
 * looks come from classes in console.css.
 *
 * Hooks for tests: window.plexusConsole (state and a few functions),
 * window.plexusTerminals[NAME] (the xterm Terminal of each pane), and the
 * ids, classes and data-* attributes documented where each view renders.
 */
'use strict';

(() => {
  const MAX_EVENT_LINES = 500;
  const MAX_JOURNEYS = 200;
  const MAX_RELOAD_LOG = 20;
  const BACKOFF_MIN_MS = 500;
  const BACKOFF_MAX_MS = 10000;
  const VIEWS = ['overview', 'topology', 'switch', 'routers', 'events', 'journey', 'terminal'];

  const state = {
    token: null,
    view: 'overview',
    dpid: null,            /* the switch #switch/DPID shows, as the server spells it */
    ws: null,
    wsState: 'connecting', /* connecting | connected | reconnecting */
    lastSeq: 0,
    resuming: false,
    backoff: BACKOFF_MIN_MS,
    status: null,
    plugins: [],
    switches: [],
    topology: null,
    routers: [],
    journeys: new Map(),   /* id → JOURNEY, oldest first */
    journeysLoaded: false,
    busy: false,           /* a plugin change is being asked for */
    terminals: null,       /* /api/terminals answer, fetched once */
    reloads: new Map(),    /* reload id → RELOAD, the recent ones */
    pending: new Map(),    /* reload id → what this page asked for */
    sentEvents: undefined, /* the events prefix the server has from us */
    sentWatch: undefined,  /* the dpid the server has from us */
    events: { prefix: '', paused: false, hidden: [], count: 0 },
    switchStats: null,
    portInfo: null,        /* {dpid, ports: Map port_no → {hw_addr, state}} */
  };

  /* ------------------------------------------------------------------ */
  /* Small helpers                                                       */

  const $ = (id) => document.getElementById(id);

  /* Builds an element: attrs maps names to values (class, data-*, href…;
   * null/undefined/false skip the attribute), children are nodes or text. */
  function h(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      e.setAttribute(k === 'key' ? 'data-key' : k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function clear(e) {
    while (e.firstChild) e.removeChild(e.firstChild);
    return e;
  }

  /* Makes 'parent' hold 'kids' (freshly built nodes) while keeping the
   * elements already there: an element with the same data-key (or,
   * without a key, one of the same tag at the same place) is updated in
   * place.  So the live refreshes (every 2 s) do not rebuild the page
   * under the user's pointer, and tests keep hold of rows and buttons.
   * Listeners are not carried over: rendered content uses delegation. */
  function render(parent, kids) {
    const fresh = kids.flat().filter((k) => k !== null && k !== undefined && k !== false)
      .map((k) => (k instanceof Node ? k : document.createTextNode(String(k))));
    const old = [...parent.childNodes];
    const keyOf = (n) => (n.nodeType === 1 ? n.getAttribute('data-key') : null);
    const byKey = new Map();
    for (const o of old) if (keyOf(o) !== null) byKey.set(keyOf(o), o);
    const used = new Set();
    fresh.forEach((k, i) => {
      const key = keyOf(k);
      let match = key !== null ? byKey.get(key) : old[i];
      if (match && (used.has(match) || match.nodeName !== k.nodeName || (key === null && keyOf(match) !== null))) match = null;
      let node = k;
      if (match) {
        used.add(match);
        morph(match, k);
        node = match;
      }
      const at = parent.childNodes[i];
      if (at !== node) parent.insertBefore(node, at || null);
    });
    for (const o of old) if (!used.has(o) && o.parentNode === parent) parent.removeChild(o);
  }

  function morph(a, b) {
    if (a.nodeType !== 1) {
      if (a.nodeValue !== b.nodeValue) a.nodeValue = b.nodeValue;
      return;
    }
    for (const at of [...a.attributes]) if (!b.hasAttribute(at.name)) a.removeAttribute(at.name);
    for (const at of [...b.attributes]) if (a.getAttribute(at.name) !== at.value) a.setAttribute(at.name, at.value);
    render(a, [...b.childNodes]);
  }

  /* Datapath ids arrive as "0000000000000001" or "00:00:…:01": compare
   * them as 16 lowercase hex digits. */
  function dpidKey(d) {
    if (d === null || d === undefined) return '';
    const s = String(d).toLowerCase().replace(/[^0-9a-f]/g, '');
    return s.padStart(16, '0');
  }

  /* The significant hex digits of a dpid ("1" for 00:…:01), drawn inside
   * the switch's box; the full id is its label. */
  function dpidShort(d) {
    const k = dpidKey(d).replace(/^0+/, '');
    return k === '' ? '0' : k;
  }

  function num(n) {
    if (n === null || n === undefined || n === '') return '';
    if (typeof n !== 'number') return String(n);
    return n.toLocaleString('en-US');
  }

  function bytes(n) {
    if (typeof n !== 'number') return n === undefined ? '' : String(n);
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    let v = n;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return i === 0 ? `${n} B` : `${v.toFixed(1)} ${u[i]}`;
  }

  function rate(pps, bps) {
    const p = typeof pps === 'number' ? `${pps < 10 ? pps.toFixed(1) : Math.round(pps)} pkt/s` : '';
    if (typeof bps !== 'number') return p;
    const u = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s'];
    let i = 0;
    let v = bps;
    while (v >= 1000 && i < u.length - 1) { v /= 1000; i++; }
    return `${p} · ${i === 0 ? Math.round(v) : v.toFixed(1)} ${u[i]}`;
  }

  function duration(s) {
    if (typeof s !== 'number' || !isFinite(s)) return '';
    s = Math.max(0, Math.floor(s));
    const d = Math.floor(s / 86400);
    const hh = Math.floor((s % 86400) / 3600);
    const mm = Math.floor((s % 3600) / 60);
    const ss = s % 60;
    if (d) return `${d}d ${hh}h ${mm}m`;
    if (hh) return `${hh}h ${mm}m ${ss}s`;
    if (mm) return `${mm}m ${ss}s`;
    return `${ss}s`;
  }

  /* dt of a journey hop (seconds) as µs below a millisecond, else ms. */
  function dtText(dt) {
    if (typeof dt !== 'number') return '';
    if (dt < 0.001) return `+${Math.round(dt * 1e6)} µs`;
    if (dt < 1) return `+${(dt * 1e3).toFixed(dt < 0.01 ? 2 : 1)} ms`;
    return `+${dt.toFixed(3)} s`;
  }

  function clock(t) {
    if (typeof t !== 'number') return '';
    const d = new Date(t * 1000);
    const p = (n, w = 2) => String(n).padStart(w, '0');
    return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
  }

  /* Shows (or with null hides) an error line at the top of a view. */
  function showError(view, text) {
    const e = $(`err-${view}`);
    if (!e) return;
    e.textContent = text || '';
    e.hidden = !text;
  }

  /* GETs JSON; on failure says so in the view's error line and returns
   * null, so the page never throws on a missing or broken answer. */
  async function getJSON(path, view) {
    try {
      const r = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (!r.ok) throw new Error(`${r.status} ${r.statusText}`.trim());
      const j = await r.json();
      if (view) showError(view, null);
      return j;
    } catch (err) {
      const why = err instanceof TypeError ? 'no answer from plexusd (network error)' : (err.message || String(err));
      if (view) showError(view, `GET ${path}: ${why}`);
      return null;
    }
  }

  /* Runs fn at most once per 'ms', trailing: bursts of "refetch" messages
   * become one request. */
  function debounce(fn, ms) {
    let timer = null;
    return (...a) => {
      if (timer) return;
      timer = setTimeout(() => { timer = null; fn(...a); }, ms);
    };
  }

  /* ------------------------------------------------------------------ */
  /* Token                                                               */

  /* The token comes once in ?token=…; it is kept for this tab's session
   * and taken out of the address bar (and so out of history and of any
   * screenshot). */
  function initToken() {
    const params = new URLSearchParams(location.search);
    const fromUrl = params.get('token');
    try {
      if (fromUrl) sessionStorage.setItem('plexus-token', fromUrl);
      state.token = fromUrl || sessionStorage.getItem('plexus-token');
    } catch (_) {
      state.token = fromUrl;
    }
    if (fromUrl !== null) {
      params.delete('token');
      const q = params.toString();
      history.replaceState(null, '', location.pathname + (q ? `?${q}` : '') + location.hash);
    }
    const badge = $('hdr-token');
    badge.textContent = state.token ? 'token' : 'read-only';
    badge.dataset.state = state.token ? 'token' : 'none';
    badge.title = state.token
      ? 'This page has the console token: it can change plugins and open terminals.'
      : 'No token: open the URL that "plexusctl console" prints to change plugins or use terminals.';
  }

  /* POSTs with the token; returns the JSON answer, or throws an Error
   * whose message is fit to show. */
  async function post(path) {
    const r = await fetch(path, {
      method: 'POST',
      headers: { Authorization: `Bearer ${state.token}`, Accept: 'application/json' },
      cache: 'no-store',
    });
    let body = null;
    try { body = await r.json(); } catch (_) { /* not JSON: keep the status */ }
    if (!r.ok) {
      let why = `${r.status} ${r.statusText}`.trim();
      if (r.status === 401) why += ': the token was refused; open the URL from "plexusctl console" again';
      if (r.status === 403) why += ': refused (origin)';
      if (body && body.error) why += ` (${body.error})`;
      throw new Error(why);
    }
    return body || {};
  }

  /* ------------------------------------------------------------------ */
  /* Routing                                                             */

  function parseHash() {
    const raw = decodeURIComponent(location.hash.replace(/^#/, ''));
    const [view, ...rest] = raw.split('/');
    return { view: VIEWS.includes(view) ? view : 'overview', arg: rest.join('/') || null };
  }

  function route() {
    const { view, arg } = parseHash();
    state.view = view;
    state.dpid = view === 'switch' ? arg : null;
    for (const v of VIEWS) $(`view-${v}`).hidden = v !== view;
    for (const a of document.querySelectorAll('#tabs a')) {
      a.classList.toggle('active', a.dataset.tab === view);
    }
    document.body.dataset.view = view;
    syncSubscriptions();
    onShow[view]();
  }

  const onShow = {
    overview() { refreshOverview(); },
    topology() {
      if (state.topology) renderTopology(); else refreshTopology();
    },
    switch() { showSwitch(); },
    routers() { refreshRouters(); },
    events() { renderEventsHeader(); },
    journey() { if (state.journeysLoaded) renderJourneys(); else refreshJourneys(); },
    terminal() { showTerminals(); },
  };

  /* ------------------------------------------------------------------ */
  /* Live WebSocket                                                      */

  function wsURL() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const q = new URLSearchParams();
    if (state.lastSeq) q.set('since', String(state.lastSeq));
    if (state.token) q.set('token', state.token);
    const qs = q.toString();
    return `${proto}//${location.host}/ws${qs ? `?${qs}` : ''}`;
  }

  function setConn(s, detail) {
    state.wsState = s;
    const b = $('conn-state');
    b.dataset.state = s;
    b.textContent = detail ? `${s} ${detail}` : s;
  }

  function connect() {
    let ws;
    try {
      ws = new WebSocket(wsURL());
    } catch (err) {
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    state.sentEvents = undefined;
    state.sentWatch = undefined;
    ws.onopen = () => { state.backoff = BACKOFF_MIN_MS; setConn('connected'); syncSubscriptions(); };
    ws.onmessage = (e) => {
      let m;
      try { m = JSON.parse(e.data); } catch (_) { return; }
      handle(m);
    };
    ws.onclose = () => {
      if (state.ws !== ws) return;
      state.ws = null;
      scheduleReconnect();
    };
    /* onerror is always followed by onclose: nothing to do there. */
    ws.onerror = () => {};
  }

  function scheduleReconnect() {
    const wait = state.backoff;
    state.backoff = Math.min(state.backoff * 2, BACKOFF_MAX_MS);
    setConn('reconnecting', `(${(wait / 1000).toFixed(1)} s)`);
    setTimeout(connect, wait);
  }

  function send(obj) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) {
      state.ws.send(JSON.stringify(obj));
      return true;
    }
    return false;
  }

  /* Tells the server what this view wants streamed: event summaries while
   * the event tab shows, switch_stats for the switch shown.  Called on
   * every route change and after every (re)connect. */
  function syncSubscriptions() {
    const wantEvents = state.view === 'events' ? state.events.prefix : null;
    if (wantEvents !== state.sentEvents && send({ op: 'events', prefix: wantEvents })) {
      state.sentEvents = wantEvents;
    }
    const wantWatch = state.view === 'switch' && state.dpid ? state.dpid : null;
    if (wantWatch !== state.sentWatch && send({ op: 'watch', dpid: wantWatch })) {
      state.sentWatch = wantWatch;
    }
  }

  function handle(m) {
    if (m.type === 'hello') {
      if (m.version) setVersion(m.version);
      if (m.resumed) {
        state.resuming = true;
      } else {
        state.resuming = false;
        if (typeof m.seq === 'number') state.lastSeq = m.seq;
        refetchAll();
      }
      return;
    }
    if (typeof m.seq === 'number') {
      /* A replay after resuming may overlap what was already seen. */
      if (state.resuming && m.seq <= state.lastSeq) return;
      state.lastSeq = m.seq;
    }
    switch (m.type) {
      case 'event': onEvent(m); break;
      case 'journey': onJourney(m.journey); break;
      case 'reload': onReload(m.reload); break;
      case 'plugin': refetchPlugins(); break;
      case 'topology': refetchTopology(); break;
      case 'switch_stats': onSwitchStats(m); break;
      case 'skipped': refetchAll(); break;
      case 'stats': onStatus(m.status); break;
      default: break;
    }
  }

  /* After a fresh (not resumed) stream or skipped messages: what the page
   * holds may be stale, so every snapshot is read again. */
  function refetchAll() {
    refreshOverview();
    refreshTopology();
    refreshSwitches();
    refreshRouters();
    refreshJourneys();
    if (state.view === 'switch' && state.dpid) refreshPorts(state.dpid);
  }

  const refetchPlugins = debounce(() => refreshPlugins(), 200);
  const refetchTopology = debounce(() => {
    refreshTopology();
    if (state.view === 'switch') refreshSwitches();
    if (state.view === 'routers') refreshRouters();
  }, 250);

  /* ------------------------------------------------------------------ */
  /* Overview                                                            */

  async function refreshOverview() {
    const s = await getJSON('/api/status', 'overview');
    if (s) onStatus(s);
    await refreshPlugins();
    await refreshRoutes();
  }

  /* The routes every plugin reports: tr.route-row[data-owner][data-path];
   * a GET route without a pattern is a link. */
  async function refreshRoutes() {
    const j = await getJSON('/api/routes', 'overview');
    if (!j) return;
    const routes = Array.isArray(j.routes) ? j.routes : [];
    const rows = routes.map((r) => h('tr', {
      key: `${r.method} ${r.path}`, class: 'route-row',
      'data-owner': r.owner, 'data-path': r.path,
    },
    h('td', { class: 'mono' }, r.method),
    h('td', { class: 'mono' }, r.method === 'GET' && !r.path.includes('*')
      ? h('a', { href: r.path }, r.path) : r.path),
    h('td', { class: 'mono' }, r.owner),
    h('td', null, r.auth ? 'yes' : ''),
    h('td', null, r.help || '')));
    if (!rows.length) rows.push(h('tr', null, h('td', { colspan: 5, class: 'muted' }, 'no routes')));
    render($('routes-table').tBodies[0], rows);
  }

  function kv(dl, rows) {
    render(dl, rows.map(([k, v, field]) => [h('dt', null, k), h('dd', { class: 'mono', 'data-field': field || null }, v)]));
  }

  function setVersion(v) {
    $('hdr-version').textContent = `v${String(v).replace(/^v/, '')}`;
  }

  function onStatus(s) {
    if (!s) return;
    state.status = s;
    if (s.version) setVersion(s.version);
    $('hdr-uptime').textContent = typeof s.uptime === 'number' ? `up ${duration(s.uptime)}` : '';
    if (state.view === 'routers') refreshRouters();
    if (state.view !== 'overview') return;
    kv($('ov-controller'), [
      ['version', s.version ?? '', 'version'],
      ['pid', s.pid ?? '', 'pid'],
      ['started', typeof s.start_time === 'number' ? new Date(s.start_time * 1000).toLocaleString() : '', 'start_time'],
      ['uptime', duration(s.uptime), 'uptime'],
    ]);
    const r = s.reloads || {};
    const last = s.last_reload ? normReload(s.last_reload) : null;
    if (last && last.id !== undefined && !state.reloads.has(last.id)) logReload(last);
    kv($('ov-reloads'), [
      ['ok', num(r.ok ?? 0), 'reloads_ok'],
      ['partial', num(r.partial ?? 0), 'reloads_partial'],
      ['refused', num(r.refused ?? 0), 'reloads_refused'],
      ['last', last ? `#${last.id} ${reloadText(last)}` : 'none', 'last_reload'],
    ]);
    const et = s.event_table || {};
    kv($('ov-events'), [
      ['topics', num(et.topics), 'topics'],
      ['subscriptions', num(et.subscriptions), 'subscriptions'],
      ['queue', `${num(et.queue_depth)} / ${num(et.queue_capacity)}`, 'queue'],
      ['queued events', num(et.queue_events), 'queue_events'],
      ['drops', `${num(et.queue_drops)} queue, ${num(et.nesting_drops)} nesting`, 'drops'],
    ]);
  }

  async function refreshPlugins() {
    const j = await getJSON('/api/plugins', 'overview');
    if (!j) return;
    state.plugins = Array.isArray(j.plugins) ? j.plugins : [];
    renderPlugins();
  }

  /* Plugin rows: tr.plugin-row[data-plugin=NAME][data-loaded][data-enabled],
   * buttons button[data-action=enable|disable][data-plugin=NAME]. */
  function renderPlugins() {
    const rows = [];
    const canWrite = !!state.token;
    $('token-note').hidden = canWrite;
    $('btn-reload').disabled = !canWrite || state.busy;
    for (const p of state.plugins) {
      const name = p.plugin ?? p.name;
      const st = p.loaded ? (p.enabled ? 'loaded' : 'loaded, disabled in conf.d')
        : (p.enabled ? 'enabled, not loaded' : 'disabled');
      const file = p.file ? `${p.file}${p.line ? `:${p.line}` : ''}` : '';
      const btn = (action, label, off) => h('button', {
        type: 'button', 'data-action': action, 'data-plugin': name,
        disabled: !canWrite || off || state.busy,
      }, label);
      rows.push(h('tr', {
        key: name, class: `plugin-row${p.loaded ? ' is-loaded' : ''}`, 'data-plugin': name,
        'data-loaded': String(!!p.loaded), 'data-enabled': String(!!p.enabled),
      },
      h('td', { class: 'mono' }, name),
      h('td', { class: 'mono' }, p.module ?? ''),
      h('td', { class: 'mono' }, p.version ?? ''),
      h('td', { class: 'num' }, num(p.generation)),
      h('td', { class: 'num' }, num(p.reloads)),
      h('td', { class: 'num' }, num(p.reloads_refused)),
      h('td', null, h('span', { class: `pill ${p.loaded ? 'ok' : (p.enabled ? 'warn' : 'off')}` }, st)),
      h('td', { class: 'mono small' }, file),
      h('td', { class: 'actions' },
        btn('enable', 'Enable', p.enabled && p.loaded),
        btn('disable', 'Disable', !p.enabled))));
    }
    if (!state.plugins.length) rows.push(h('tr', null, h('td', { colspan: 9, class: 'muted' }, 'no plugins')));
    render($('plugins-table').tBodies[0], rows);
  }

  async function pluginAction(name, action) {
    await startReload(`/api/plugins/${encodeURIComponent(name)}/${action}`, `${action} ${name}`);
  }

  async function startReload(path, what) {
    const out = $('reload-outcome');
    out.hidden = false;
    out.dataset.state = 'waiting';
    delete out.dataset.reloadId;
    out.textContent = `${what}: asking…`;
    state.busy = true;
    renderPlugins();
    try {
      const j = await post(path);
      const id = j.reload_id;
      state.pending.set(id, what);
      out.dataset.reloadId = String(id);
      out.textContent = `${what}: reload #${id} running…`;
      /* The outcome may have come over the WebSocket before this answer. */
      if (state.reloads.has(id)) showOutcome(state.reloads.get(id));
    } catch (err) {
      out.dataset.state = 'error';
      out.textContent = `${what}: ${err.message || err}`;
    } finally {
      state.busy = false;
      renderPlugins();
    }
  }

  /* A RELOAD as the spec has it (lists), also from the host's flat text
   * ("a,b" and "name: why; name: why"), so either form shows right. */
  function normReload(r) {
    const list = (v) => (Array.isArray(v) ? v : typeof v === 'string' && v ? v.split(',').map((x) => x.trim()).filter(Boolean) : []);
    let refused = r.refused;
    if (typeof refused === 'string') {
      refused = refused.split('; ').filter(Boolean).map((x) => {
        const i = x.indexOf(':');
        return i < 0 ? { instance: x, reason: '' } : { instance: x.slice(0, i), reason: x.slice(i + 1).trim() };
      });
    }
    return {
      ...r,
      added: list(r.added), removed: list(r.removed), reloaded: list(r.reloaded), reconfigured: list(r.reconfigured),
      refused: Array.isArray(refused) ? refused : [],
    };
  }

  /* The words the page shows for a reload's outcome: "done",
   * "partial: X refused: reason" or "refused: FILE:LINE: message", with
   * the server's text verbatim. */
  function reloadText(r) {
    const refused = (r.refused || []).map((x) => `${x.instance} refused: ${x.reason}`).join('; ');
    if (r.outcome === 'ok') return 'done';
    if (r.outcome === 'partial') return `partial: ${refused || r.error || ''}`.trim();
    if (r.outcome === 'refused') return `refused: ${r.error || refused}`.trim();
    return `${r.outcome}${r.error ? `: ${r.error}` : ''}`;
  }

  function reloadChanges(r) {
    const parts = [];
    for (const k of ['added', 'removed', 'reloaded', 'reconfigured']) {
      if (r[k] && r[k].length) parts.push(`${k} ${r[k].join(', ')}`);
    }
    return parts.join('; ');
  }

  function showOutcome(r) {
    const out = $('reload-outcome');
    const what = state.pending.get(r.id);
    out.hidden = false;
    out.dataset.reloadId = String(r.id);
    out.dataset.state = r.outcome;
    const changes = reloadChanges(r);
    out.textContent = `${what ? `${what}: ` : ''}reload #${r.id} ${reloadText(r)}${changes ? ` (${changes})` : ''}`;
  }

  /* Reload log entries: li.reload-entry[data-reload-id][data-outcome]. */
  function onReload(r0) {
    if (!r0 || r0.id === undefined) return;
    const r = normReload(r0);
    state.reloads.set(r.id, r);
    while (state.reloads.size > 50) state.reloads.delete(state.reloads.keys().next().value);
    const out = $('reload-outcome');
    if (state.pending.has(r.id) || out.dataset.state !== 'waiting') showOutcome(r);
    logReload(r);
    refreshOverview();
  }

  function logReload(r) {
    state.reloads.set(r.id, r);
    const log = $('reload-log');
    if (log.querySelector(`li[data-reload-id="${CSS.escape(String(r.id))}"]`)) return;
    const what = state.pending.get(r.id);
    const changes = reloadChanges(r);
    log.prepend(h('li', { class: `reload-entry ${r.outcome}`, 'data-reload-id': r.id, 'data-outcome': r.outcome },
      h('span', { class: 'mono muted' }, `${clock(r.time ?? Date.now() / 1000)} #${r.id}`), ' ',
      what ? h('strong', null, `${what}: `) : null,
      h('span', { class: 'mono' }, reloadText(r)),
      changes ? h('span', { class: 'muted' }, ` (${changes})`) : null));
    while (log.children.length > MAX_RELOAD_LOG) log.lastElementChild.remove();
  }

  /* ------------------------------------------------------------------ */
  /* Topology                                                            */

  /* The drawing's d3 state (topoInit makes it). */
  const topo = {
    root: null,
    sim: null,
    nodes: [],     /* the simulation's node objects, kept across updates */
    signature: '', /* node ids and link keys drawn: a change re-runs the layout */
  };

  async function refreshTopology() {
    const j = await getJSON('/api/topology', 'topology');
    if (!j) return;
    state.topology = j;
    if (state.view === 'topology') renderTopology();
  }

  /* Turns /api/topology into nodes and links for d3.  Node ids: "sw:DPID",
   * "host:MAC", "rt:ID", "if:ID:NAME". */
  function topoGraph(t) {
    const nodes = [];
    const links = [];
    const byId = new Map();
    const add = (n) => { if (!byId.has(n.id)) { byId.set(n.id, n); nodes.push(n); } return byId.get(n.id); };
    const sw = (d) => add({ id: `sw:${dpidKey(d)}`, kind: 'switch', dpid: d, label: String(d) });
    for (const s of t.switches || []) {
      const d = typeof s === 'string' ? s : s.dpid ?? s.switch;
      const n = sw(d);
      n.ports = (typeof s === 'object' && s.ports) || [];
    }
    for (const l of t.links || []) {
      const src = l.src || { dpid: l.src_dpid, port: l.src_port };
      const dst = l.dst || { dpid: l.dst_dpid, port: l.dst_port };
      const a = sw(src.dpid);
      const b = sw(dst.dpid);
      /* Both directions of one cable come as two links: draw it once. */
      const key = [a.id, src.port, b.id, dst.port];
      const rev = [b.id, dst.port, a.id, src.port];
      const k = key.join('|') < rev.join('|') ? key.join('|') : rev.join('|');
      if (links.some((x) => x.key === k)) continue;
      links.push({ key: k, kind: 'switch', source: a.id, target: b.id, sport: src.port, tport: dst.port });
    }
    for (const host of t.hosts || []) {
      const ips = host.ips || [];
      const n = add({ id: `host:${host.mac}`, kind: 'host', mac: host.mac, ips, label: host.mac, sub: ips.join(' ') });
      const s = sw(host.dpid);
      links.push({ key: `h|${n.id}`, kind: 'host', source: s.id, target: n.id, sport: host.port });
    }
    for (const r of t.routers || []) {
      const rid = r.id ?? r.router;
      const rn = add({ id: `rt:${rid}`, kind: 'router', router: rid, label: `router ${rid}`, sub: r.state || '' });
      for (const i of r.interfaces || []) {
        const addr = i.ip ? `${i.ip}${i.mask ? `/${maskBits(i.mask)}` : ''}` : '';
        const inode = add({ id: `if:${rid}:${i.name}`, kind: 'iface', router: rid, iface: i.name, ip: i.ip || '', label: i.name, sub: addr });
        links.push({ key: `ri|${inode.id}`, kind: 'router', source: rn.id, target: inode.id });
        if (i.dpid !== undefined && i.dpid !== null && i.port !== undefined) {
          const s = sw(i.dpid);
          links.push({ key: `is|${inode.id}`, kind: 'iface', source: s.id, target: inode.id, sport: i.port });
        }
      }
    }
    return { nodes, links };
  }

  /* "255.255.255.0" → 24; anything else is shown as it came. */
  function maskBits(m) {
    const parts = String(m).split('.');
    if (parts.length !== 4) return m;
    let bits = 0;
    for (const p of parts) {
      let v = Number(p);
      if (!(v >= 0 && v <= 255)) return m;
      while (v & 0x80) { bits++; v = (v << 1) & 0xff; }
    }
    return bits;
  }

  const TOPO_W = 1000; /* the SVG's viewBox */
  const TOPO_H = 600;
  /* Distances leave room for the labels (a MAC is ~130 units wide); an
   * interface sits close to its router, further from its switch. */
  const TOPO_DIST = { switch: 240, host: 150, iface: 170, router: 55 };
  const TOPO_RADIUS = { switch: 70, host: 68, router: 50, iface: 42 };
  const TOPO_LABEL_DY = { switch: 28, host: 22, router: 32, iface: 18 };

  /* The SVG's layers, zoom and simulation, made once: later updates join
   * new data to the same elements. */
  function topoInit() {
    const sel = d3.select('#topo-svg');
    topo.root = sel.append('g').attr('class', 'viewport');
    topo.gLinks = topo.root.append('g').attr('class', 'links');
    topo.gPorts = topo.root.append('g').attr('class', 'port-labels');
    topo.gNodes = topo.root.append('g').attr('class', 'nodes');
    topo.zoom = d3.zoom().scaleExtent([0.2, 4]).on('zoom', () => {
      /* Once the user zooms or pans, the view stops fitting itself. */
      if (d3.event.sourceEvent) topo.autoFit = false;
      topo.root.attr('transform', d3.event.transform);
    });
    sel.call(topo.zoom);
    topo.autoFit = true;
    topo.nodes = [];
    topo.signature = '';
    topo.sim = d3.forceSimulation([])
      .force('link', d3.forceLink([]).id((n) => n.id)
        .distance((l) => TOPO_DIST[l.kind])
        .strength((l) => (l.kind === 'router' ? 1 : 0.5)))
      .force('charge', d3.forceManyBody().strength((n) => (n.kind === 'iface' ? -250 : -900)))
      .force('collide', d3.forceCollide((n) => TOPO_RADIUS[n.kind]))
      .force('x', d3.forceX(TOPO_W / 2).strength(0.04))
      .force('y', d3.forceY(TOPO_H / 2).strength(0.06))
      .on('tick', topoDraw);
    topo.drag = d3.drag()
      .on('start', (n) => { if (!d3.event.active) topo.sim.alphaTarget(0.3).restart(); n.fx = n.x; n.fy = n.y; })
      .on('drag', (n) => { n.fx = d3.event.x; n.fy = d3.event.y; })
      .on('end', (n) => { if (!d3.event.active) topo.sim.alphaTarget(0); n.fx = null; n.fy = null; });
  }

  /* A port label sits a little way along its link from the switch end. */
  function along(a, b, d) {
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len = Math.hypot(dx, dy) || 1;
    const f = Math.min(d / len, 0.45);
    return [a.x + dx * f, a.y + dy * f];
  }

  /* Puts every element where the simulation has its node. */
  function topoDraw() {
    if (!topo.linkSel) return;
    topo.linkSel.attr('x1', (l) => l.source.x).attr('y1', (l) => l.source.y)
      .attr('x2', (l) => l.target.x).attr('y2', (l) => l.target.y);
    topo.portSel.each(function place(pl) {
      const [a, b] = pl.end === 'src' ? [pl.link.source, pl.link.target] : [pl.link.target, pl.link.source];
      const [x, y] = along(a, b, 42);
      this.setAttribute('x', x.toFixed(1));
      this.setAttribute('y', (y + 4).toFixed(1));
    });
    topo.nodeSel.attr('transform', (n) => `translate(${n.x.toFixed(1)},${n.y.toFixed(1)})`);
    if (topo.autoFit) fitTopology(topo.nodes, TOPO_W, TOPO_H);
  }

  /* Draws the graph: g.node[data-kind=switch|host|router|iface] with
   * data-dpid / data-mac / data-ips / data-router / data-iface / data-ip,
   * line.link[data-kind], text.port-label[data-port].  Elements are
   * joined by id, so an update keeps the ones that stay (and where they
   * are); the layout moves again only when something came or went. */
  function renderTopology() {
    const t = state.topology;
    if (!t) return;
    const { nodes: fresh, links } = topoGraph(t);
    const count = (k) => fresh.filter((n) => n.kind === k).length;
    const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
    const nl = links.filter((l) => l.kind === 'switch').length;
    $('topo-summary').textContent = [plural(count('switch'), 'switch', 'switches'), plural(nl, 'link', 'links'),
      plural(count('host'), 'host', 'hosts'), plural(count('router'), 'router', 'routers')].join(', ');
    renderHostTable(t);

    if (typeof d3 === 'undefined' || !d3.forceSimulation) {
      showError('topology', 'd3 did not load (/lib/d3.js): the graph cannot be drawn; the tables below still work.');
      return;
    }
    if (!topo.root) topoInit();

    /* Nodes that stay keep their objects: the simulation's positions and
     * velocities live there. */
    const prev = new Map(topo.nodes.map((n) => [n.id, n]));
    const nodes = fresh.map((n) => {
      const old = prev.get(n.id);
      if (old) return Object.assign(old, n);
      /* A newcomer starts beside a node it is linked to, if one is
       * placed already, so that it does not cross the picture. */
      const l = links.find((x) => (x.source === n.id && prev.has(x.target)) || (x.target === n.id && prev.has(x.source)));
      const near = l ? prev.get(l.source === n.id ? l.target : l.source) : { x: TOPO_W / 2, y: TOPO_H / 2 };
      const spread = l ? 60 : 200;
      n.x = near.x + (Math.random() - 0.5) * spread;
      n.y = near.y + (Math.random() - 0.5) * spread;
      return n;
    });
    topo.nodes = nodes;
    const signature = `${nodes.map((n) => n.id).join(',')}|${links.map((l) => l.key).join(',')}`;

    topo.linkSel = topo.gLinks.selectAll('line.link').data(links, (l) => l.key)
      .join((enter) => enter.append('line'))
      .attr('class', (l) => `link link-${l.kind}`)
      .attr('data-kind', (l) => l.kind);

    const ports = [];
    for (const l of links) {
      if (l.sport !== undefined) ports.push({ key: `${l.key}|s`, link: l, end: 'src', port: l.sport });
      if (l.tport !== undefined) ports.push({ key: `${l.key}|t`, link: l, end: 'dst', port: l.tport });
    }
    topo.portSel = topo.gPorts.selectAll('text.port-label').data(ports, (p) => p.key)
      .join((enter) => enter.append('text'))
      .attr('class', (p) => `port-label ${p.end}`)
      .attr('data-port', (p) => p.port)
      .text((p) => p.port);

    topo.nodeSel = topo.gNodes.selectAll('g.node').data(nodes, (n) => n.id)
      .join((enter) => enter.append('g').each(function build(n) {
        const g = d3.select(this);
        if (n.kind === 'switch') {
          g.append('rect').attr('x', -22).attr('y', -14).attr('width', 44).attr('height', 28).attr('rx', 5);
          g.append('text').attr('class', 'glyph').attr('dy', 4);
          g.classed('clickable', true).on('click', (d) => {
            if (!d3.event.defaultPrevented) location.hash = `#switch/${d.dpid}`;
          });
        } else if (n.kind === 'host') {
          g.append('circle').attr('r', 9);
        } else if (n.kind === 'router') {
          g.append('path').attr('d', 'M-20,0 L-10,-17 L10,-17 L20,0 L10,17 L-10,17 Z');
          g.append('text').attr('class', 'glyph').attr('dy', 4);
        } else {
          g.append('rect').attr('x', -6).attr('y', -6).attr('width', 12).attr('height', 12).attr('rx', 2);
        }
        g.append('text').attr('class', 'label').attr('dy', TOPO_LABEL_DY[n.kind]);
        g.append('text').attr('class', 'sublabel').attr('dy', TOPO_LABEL_DY[n.kind] + 13);
        g.append('title');
        g.call(topo.drag);
      }))
      .attr('class', (n) => `node node-${n.kind}${n.kind === 'switch' ? ' clickable' : ''}`)
      .attr('data-kind', (n) => n.kind)
      .attr('data-dpid', (n) => (n.kind === 'switch' ? n.dpid : null))
      .attr('data-mac', (n) => n.mac || null)
      .attr('data-ips', (n) => (n.ips ? n.ips.join(' ') : null))
      .attr('data-router', (n) => (n.router !== undefined ? n.router : null))
      .attr('data-iface', (n) => n.iface || null)
      .attr('data-ip', (n) => n.ip || null);
    topo.nodeSel.select('text.glyph').text((n) => (n.kind === 'switch' ? dpidShort(n.dpid) : `R${n.router}`));
    topo.nodeSel.select('text.label').text((n) => n.label);
    topo.nodeSel.select('text.sublabel').text((n) => n.sub || '');
    topo.nodeSel.select('title').text((n) => {
      if (n.kind === 'switch') return `switch ${n.dpid}: ${(n.ports || []).length} ports — click for details`;
      if (n.kind === 'host') return `host ${n.mac} ${n.ips.join(' ')}`;
      if (n.kind === 'router') return `VNS router ${n.router}`;
      return `router ${n.router} ${n.iface} ${n.sub}`;
    });

    topo.sim.nodes(nodes);
    topo.sim.force('link').links(links);
    if (signature !== topo.signature) {
      topo.sim.alpha(topo.signature ? 0.3 : 1).restart();
      topo.signature = signature;
    }
    topoDraw();
  }

  /* Scales and centres the drawing so every node and its labels show. */
  function fitTopology(nodes, W, H) {
    if (!nodes.length) return;
    const xs = nodes.map((n) => n.x);
    const ys = nodes.map((n) => n.y);
    const x0 = Math.min(...xs) - 80;
    const x1 = Math.max(...xs) + 80;
    const y0 = Math.min(...ys) - 40;
    const y1 = Math.max(...ys) + 60;
    const k = Math.min(1.5, W / (x1 - x0), H / (y1 - y0));
    const t = d3.zoomIdentity.translate(W / 2 - (k * (x0 + x1)) / 2, H / 2 - (k * (y0 + y1)) / 2).scale(k);
    d3.select('#topo-svg').call(topo.zoom.transform, t);
  }

  /* Hosts table: tr.host-row[data-mac]. */
  function renderHostTable(t) {
    const rows = (t.hosts || []).map((host) => h('tr', { key: host.mac, class: 'host-row', 'data-mac': host.mac },
        h('td', { class: 'mono' }, host.mac),
        h('td', { class: 'mono' }, (host.ips || []).join(', ')),
        h('td', { class: 'mono' }, h('a', { href: `#switch/${host.dpid}` }, String(host.dpid))),
        h('td', { class: 'num' }, host.port)));
    if (!rows.length) {
      rows.push(h('tr', null, h('td', { colspan: 4, class: 'muted' },
        'no hosts known (hosts come from the topology plugin, when it is loaded)')));
    }
    render($('topo-hosts').tBodies[0], rows);
  }

  /* ------------------------------------------------------------------ */
  /* Switches                                                            */

  async function refreshSwitches() {
    const j = await getJSON('/api/switches', 'switch');
    if (!j) return;
    state.switches = Array.isArray(j.switches) ? j.switches : [];
    renderSwitchList();
  }

  /* Switch list: tr.switch-row[data-dpid] with a.switch-link. */
  function renderSwitchList() {
    const rows = state.switches.map((s) => {
      const d = s.dpid ?? s.switch;
      const sel = state.dpid && dpidKey(d) === dpidKey(state.dpid);
      return h('tr', { key: dpidKey(d), class: `switch-row${sel ? ' selected' : ''}`, 'data-dpid': d },
        h('td', { class: 'mono' }, h('a', { class: 'switch-link', href: `#switch/${d}`, 'data-dpid': d }, String(d))),
        h('td', null, s.version ?? ''),
        h('td', { class: 'mono' }, s.peer ?? ''),
        h('td', null, s.connected === false ? 'disconnected' : 'connected'),
        h('td', { class: 'num' }, num(Array.isArray(s.ports) ? s.ports.length : s.ports)),
        h('td', { class: 'num' }, num(s.packet_ins)),
        h('td', { class: 'num' }, num(s.packet_outs)));
    });
    if (!rows.length) rows.push(h('tr', null, h('td', { colspan: 7, class: 'muted' }, 'no switches connected')));
    render($('switch-list').tBodies[0], rows);
  }

  function showSwitch() {
    refreshSwitches();
    const box = $('switch-detail');
    if (!state.dpid) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    if (!state.switchStats || dpidKey(state.switchStats.dpid) !== dpidKey(state.dpid)) {
      state.switchStats = null;
      $('sw-dpid').textContent = state.dpid;
      $('sw-updated').textContent = 'waiting for statistics…';
      render($('switch-flows').tBodies[0], []);
      $('sw-flow-count').textContent = '';
      $('sw-groups-box').hidden = true;
      $('sw-meters-box').hidden = true;
      render($('switch-ports').tBodies[0], []);
      refreshPorts(state.dpid);
    }
  }

  /* Until the first switch_stats arrives, the ports come from the
   * "ports" snapshot (no counters yet). */
  async function refreshPorts(dpid) {
    const j = await getJSON(`/api/switches/${encodeURIComponent(dpid)}/ports`, 'switch');
    if (!j || dpidKey(state.dpid) !== dpidKey(dpid)) return;
    const ports = (j.ports || []).map((p) => ({
      port_no: p.port_no ?? p.port, name: p.name, hw_addr: p.hw_addr ?? p.mac, state: p.state,
    }));
    state.portInfo = { dpid: dpidKey(dpid), ports: new Map(ports.map((p) => [String(p.port_no), p])) };
    if (state.switchStats) renderPorts(state.switchStats.ports || []);
    else renderPorts(ports);
  }

  /* switch_stats carries counters only: the MAC and state of a port come
   * from the ports snapshot, else from the topology. */
  function portInfo(port_no) {
    const key = dpidKey(state.dpid);
    if (state.portInfo && state.portInfo.dpid === key) {
      const p = state.portInfo.ports.get(String(port_no));
      if (p) return p;
    }
    const sw = ((state.topology && state.topology.switches) || []).find((s) => typeof s === 'object' && dpidKey(s.dpid ?? s.switch) === key);
    const p = sw && (sw.ports || []).find((x) => String(x.port_no) === String(port_no));
    return p ? { hw_addr: p.hw_addr, state: p.up === undefined ? undefined : p.up ? 'up' : 'down' } : {};
  }

  function onSwitchStats(m) {
    if (state.view !== 'switch' || !state.dpid || dpidKey(m.dpid) !== dpidKey(state.dpid)) return;
    state.switchStats = m;
    $('sw-dpid').textContent = state.dpid;
    $('sw-updated').textContent = `updated ${clock(m.t ?? Date.now() / 1000)}`;
    renderPorts(m.ports || []);
    renderFlows(m.flows || []);
    renderGroups(m.groups || []);
    renderMeters(m.meters || []);
    renderOmitted(m);
  }

  /* "rx/tx" of two counters; a counter the switch does not keep is "–". */
  function pair(rx, tx) {
    if (rx === undefined && tx === undefined) return '';
    const f = (v) => (typeof v === 'number' ? num(v) : '–');
    return `${f(rx)} / ${f(tx)}`;
  }

  /* Ports: tr.port-row[data-port=N], counter cells td[data-field=rx_packets|
   * tx_packets|rx_bytes|tx_bytes] holding the plain number in data-value. */
  function renderPorts(ports) {
    const rows = [];
    const counter = (p, f, fmt) => h('td', { class: 'num', 'data-field': f, 'data-value': p[f] ?? null }, fmt(p[f]));
    for (const p0 of ports) {
      const info = portInfo(p0.port_no);
      const p = { ...p0, hw_addr: p0.hw_addr ?? p0.mac ?? info.hw_addr, state: p0.state ?? info.state };
      const up = p.up ?? (p.state ? !/down/i.test(p.state) : undefined);
      rows.push(h('tr', { key: p.port_no, class: 'port-row', 'data-port': p.port_no },
        h('td', { class: 'num' }, p.port_no),
        h('td', { class: 'mono' }, p.name ?? ''),
        h('td', { class: 'mono' }, p.hw_addr ?? p.mac ?? ''),
        h('td', null, p.state ?? (up === undefined ? '' : up ? 'up' : 'down')),
        counter(p, 'rx_packets', num), counter(p, 'tx_packets', num),
        counter(p, 'rx_bytes', bytes), counter(p, 'tx_bytes', bytes),
        h('td', { class: 'num', 'data-field': 'rx_rate' }, rate(p.rx_pps, p.rx_bps)),
        h('td', { class: 'num', 'data-field': 'tx_rate' }, rate(p.tx_pps, p.tx_bps)),
        h('td', { class: 'num', 'data-field': 'drops' }, pair(p.rx_dropped, p.tx_dropped)),
        h('td', { class: 'num', 'data-field': 'errors' }, pair(p.rx_errors, p.tx_errors))));
    }
    if (!ports.length) rows.push(h('tr', null, h('td', { colspan: 12, class: 'muted' }, 'no ports')));
    render($('switch-ports').tBodies[0], rows);
  }

  /* Flows: tr.flow-row[data-table][data-priority]. */
  function renderFlows(flows) {
    const rows = [];
    const sorted = [...flows].sort((a, b) => (a.table_id - b.table_id) || (b.priority - a.priority));
    for (const f of sorted) {
      const to = [];
      if (f.idle_timeout) to.push(`idle ${f.idle_timeout}s`);
      if (f.hard_timeout) to.push(`hard ${f.hard_timeout}s`);
      rows.push(h('tr', { key: `${f.table_id}|${f.priority}|${f.match}|${f.cookie}`, class: 'flow-row', 'data-table': f.table_id, 'data-priority': f.priority },
        h('td', { class: 'num' }, f.table_id),
        h('td', { class: 'num' }, f.priority),
        h('td', { class: 'mono wrap' }, f.match || '(any)'),
        h('td', { class: 'mono wrap' }, f.actions || '(drop)'),
        h('td', { class: 'num', 'data-field': 'packets', 'data-value': f.packets }, num(f.packets)),
        h('td', { class: 'num', 'data-field': 'bytes', 'data-value': f.bytes }, bytes(f.bytes)),
        h('td', { class: 'num' }, duration(f.age)),
        h('td', null, to.join(', ') || 'none'),
        h('td', { class: 'mono small' }, f.cookie === undefined ? '' : String(f.cookie))));
    }
    $('sw-flow-count').textContent = `(${flows.length} flow${flows.length === 1 ? '' : 's'})`;
    if (!flows.length) rows.push(h('tr', null, h('td', { colspan: 9, class: 'muted' }, 'no flows')));
    render($('switch-flows').tBodies[0], rows);
  }

  /* Groups: tr.group-row[data-group]. */
  function renderGroups(groups) {
    $('sw-groups-box').hidden = !groups.length;
    render($('switch-groups').tBodies[0], groups.map((g) => h('tr', { key: g.group_id, class: 'group-row', 'data-group': g.group_id },
        h('td', { class: 'num' }, g.group_id),
        h('td', null, g.type ?? ''),
        h('td', { class: 'mono wrap' }, (g.buckets || []).map((b, i) => h('div', null, `${i + 1}: ${typeof b === 'string' ? b : JSON.stringify(b)}`))),
        h('td', { class: 'num' }, num(g.packets)),
        h('td', { class: 'num' }, bytes(g.bytes)))));
  }

  /* A meter band as one line: "drop rate=1000 kbps burst=10: 5 packets". */
  function bandText(b, unit) {
    if (typeof b !== 'object' || b === null) return String(b);
    const parts = [b.type ?? 'band'];
    if (b.rate !== undefined && b.rate !== null) parts.push(`rate=${b.rate}${unit ? ` ${unit}` : ''}`);
    if (b.burst_size) parts.push(`burst=${b.burst_size}`);
    let text = parts.join(' ');
    if (typeof b.packets === 'number') text += `: ${num(b.packets)} packets, ${bytes(b.bytes)}`;
    return text;
  }

  /* Meters: tr.meter-row[data-meter]. */
  function renderMeters(meters) {
    $('sw-meters-box').hidden = !meters.length;
    render($('switch-meters').tBodies[0], meters.map((m) => h('tr', { key: m.meter_id, class: 'meter-row', 'data-meter': m.meter_id ?? null },
      h('td', { class: 'num' }, m.meter_id),
      h('td', null, m.unit ?? m.flags ?? ''),
      h('td', { class: 'num' }, num(m.flow_count)),
      h('td', { class: 'mono wrap' }, (Array.isArray(m.bands) ? m.bands : m.bands === undefined ? [] : [m.bands])
        .map((b) => h('div', null, bandText(b, m.unit)))),
      h('td', { class: 'num' }, num(m.packets)),
      h('td', { class: 'num' }, bytes(m.bytes)))));
  }

  /* What the server cut from a long table (flows_omitted, …). */
  function renderOmitted(m) {
    const parts = [];
    for (const k of ['ports', 'flows', 'groups', 'meters']) {
      const n = m[`${k}_omitted`];
      if (n) parts.push(`${num(n)} more ${k}`);
    }
    const e = $('sw-omitted');
    e.hidden = !parts.length;
    e.textContent = parts.length ? `Not shown (over the console's bounds): ${parts.join(', ')}.` : '';
  }

  /* ------------------------------------------------------------------ */
  /* Routers                                                             */

  let routersBusy = false;

  async function refreshRouters() {
    if (routersBusy) return;
    routersBusy = true;
    try {
      const j = await getJSON('/api/routers', 'routers');
      if (!j) return;
      state.routers = Array.isArray(j.routers) ? j.routers : [];
      renderRouters();
    } finally {
      routersBusy = false;
    }
  }

  /* Routers: div.router[data-router=ID]; tr.iface-row[data-iface=NAME];
   * dd[data-field=frames_to_router|frames_from_router];
   * tr.drop-row[data-reason]. */
  function renderRouters() {
    const cards = state.routers.map((r) => {
      const id = r.id ?? r.router;
      const ifRows = (r.interfaces || []).map((i) => h('tr', { class: 'iface-row', 'data-iface': i.name },
        h('td', { class: 'mono' }, i.name),
        h('td', { class: 'mono' }, i.ip ? `${i.ip}${i.mask ? ` / ${i.mask}` : ''}` : ''),
        h('td', { class: 'mono' }, i.mac ?? ''),
        h('td', { class: 'mono' }, i.dpid !== undefined
          ? h('a', { href: `#switch/${i.dpid}` }, `${i.dpid} port ${i.port}`) : '')));
      const drops = Object.entries(r.drops || {});
      return h('div', { key: id, class: 'card router', 'data-router': id },
        h('div', { class: 'card-head' },
          h('h2', null, `Router ${id}`),
          h('span', { class: `pill ${r.state === 'open' ? 'ok' : 'warn'}` }, r.state ?? '')),
        h('dl', { class: 'kv' },
          h('dt', null, 'peer'), h('dd', { class: 'mono' }, r.peer ?? ''),
          h('dt', null, 'frames to router'), h('dd', { class: 'mono', 'data-field': 'frames_to_router' }, num(r.frames_to_router)),
          h('dt', null, 'frames from router'), h('dd', { class: 'mono', 'data-field': 'frames_from_router' }, num(r.frames_from_router))),
        h('h3', null, 'Interfaces'),
        h('table', { class: 'data' },
          h('thead', null, h('tr', null, h('th', null, 'name'), h('th', null, 'address / mask'), h('th', null, 'MAC'), h('th', null, 'switch port'))),
          h('tbody', null, ifRows.length ? ifRows : h('tr', null, h('td', { colspan: 4, class: 'muted' }, 'no interfaces yet')))),
        h('h3', null, 'Drops'),
        drops.length
          ? h('table', { class: 'data narrow' },
            h('thead', null, h('tr', null, h('th', null, 'reason'), h('th', { class: 'num' }, 'frames'))),
            h('tbody', null, drops.map(([k, v]) => h('tr', { class: 'drop-row', 'data-reason': k },
              h('td', { class: 'mono' }, k), h('td', { class: 'num' }, num(v))))))
          : h('p', { class: 'muted' }, 'none'));
    });
    if (!cards.length) cards.push(h('div', { class: 'card' }, h('p', { class: 'muted' }, 'No VNS router is connected.')));
    render($('routers-list'), cards);
  }

  /* ------------------------------------------------------------------ */
  /* Event stream                                                        */

  /* Event lines: div.ev-line[data-topic] in #events-list, oldest first,
   * at most MAX_EVENT_LINES. */
  function eventLine(m) {
    return h('div', { class: 'ev-line', 'data-topic': m.topic ?? '' },
      h('span', { class: 'ev-time' }, clock(m.t ?? Date.now() / 1000)),
      h('span', { class: 'ev-topic' }, m.topic ?? ''),
      h('span', { class: 'ev-pub' }, m.publisher ?? ''),
      h('span', { class: 'ev-sum' }, m.summary ?? ''));
  }

  function onEvent(m) {
    const ev = state.events;
    ev.count++;
    if (ev.paused) {
      ev.hidden.push(m);
      if (ev.hidden.length > MAX_EVENT_LINES) ev.hidden.shift();
      renderEventsHeader();
      return;
    }
    appendEvents([m]);
  }

  function appendEvents(list) {
    const box = $('events-list');
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 30;
    const frag = document.createDocumentFragment();
    for (const m of list) frag.append(eventLine(m));
    box.append(frag);
    while (box.childElementCount > MAX_EVENT_LINES) box.firstElementChild.remove();
    if (atBottom) box.scrollTop = box.scrollHeight;
    renderEventsHeader();
  }

  function renderEventsHeader() {
    const ev = state.events;
    const hid = $('events-hidden');
    hid.hidden = !ev.paused;
    hid.textContent = `paused: ${ev.hidden.length}${ev.hidden.length >= MAX_EVENT_LINES ? '+' : ''} new line${ev.hidden.length === 1 ? '' : 's'} hidden`;
    hid.dataset.count = String(ev.hidden.length);
    const pause = $('events-pause');
    pause.textContent = ev.paused ? 'Resume' : 'Pause';
    pause.dataset.paused = String(ev.paused);
    $('events-count').textContent = `${$('events-list').childElementCount} shown, ${ev.count} received`;
    $('events-prefix').dataset.applied = ev.prefix;
  }

  function initEvents() {
    $('events-form').addEventListener('submit', (e) => {
      e.preventDefault();
      state.events.prefix = $('events-prefix').value.trim();
      /* Lines of the old filter would read as matches of the new one. */
      clear($('events-list'));
      state.events.hidden = [];
      syncSubscriptions();
      renderEventsHeader();
    });
    $('events-pause').addEventListener('click', () => {
      const ev = state.events;
      ev.paused = !ev.paused;
      if (!ev.paused && ev.hidden.length) {
        const list = ev.hidden;
        ev.hidden = [];
        appendEvents(list);
      }
      renderEventsHeader();
    });
    $('events-clear').addEventListener('click', () => {
      clear($('events-list'));
      state.events.hidden = [];
      renderEventsHeader();
    });
  }

  /* ------------------------------------------------------------------ */
  /* Frame journeys                                                      */

  async function refreshJourneys() {
    const j = await getJSON('/api/journeys', 'journey');
    if (!j) return;
    state.journeysLoaded = true;
    state.journeys.clear();
    for (const x of j.journeys || []) state.journeys.set(x.id, x);
    trimJourneys();
    if (state.view === 'journey') renderJourneys();
  }

  function trimJourneys() {
    while (state.journeys.size > MAX_JOURNEYS) state.journeys.delete(state.journeys.keys().next().value);
  }

  const renderJourneysSoon = debounce(() => renderJourneys(), 150);

  function onJourney(j) {
    if (!j || j.id === undefined) return;
    /* Replace by id, and move it to the newest end. */
    state.journeys.delete(j.id);
    state.journeys.set(j.id, j);
    trimJourneys();
    if (state.view === 'journey') renderJourneysSoon();
  }

  function hopPlace(x) {
    if (x.at === 'switch') return [`switch ${x.dpid ?? ''}`, `port ${x.port}`];
    if (x.at === 'router') return [`router ${x.router ?? ''}`, `${x.iface ?? ''}`];
    return [x.at ?? '?', ''];
  }

  /* Journeys: div.journey[data-id][data-kind], newest first; each hop is
   * div.hop[data-at=switch|router][data-dir=in|out][data-port]
   * [data-iface][data-dpid][data-router][data-dt]. */
  function journeyEl(j) {
    const hops = j.hops || [];
    const steps = [];
    hops.forEach((x, i) => {
      if (i) steps.push(h('span', { class: 'hop-arrow', 'aria-hidden': 'true' }, '→'));
      const [where, what] = hopPlace(x);
      const prev = i ? hops[i - 1].dt : null;
      const step = prev !== null && typeof x.dt === 'number' && typeof prev === 'number' ? dtText(x.dt - prev) : '';
      steps.push(h('div', {
        class: `hop hop-${x.at} hop-${x.dir}`,
        'data-at': x.at, 'data-dir': x.dir,
        'data-port': x.port ?? null, 'data-iface': x.iface ?? null,
        'data-dpid': x.dpid ?? null, 'data-router': x.router ?? null, 'data-dt': x.dt ?? null,
        'data-len': x.len ?? null,
      },
      h('div', { class: 'hop-at' }, where),
      h('div', { class: 'hop-where' }, h('strong', { class: 'hop-what' }, what), ' ', h('span', { class: 'hop-dir' }, x.dir ?? '')),
      h('div', { class: 'hop-dt' }, dtText(x.dt),
        step ? h('span', { class: 'hop-step', title: 'time since the previous hop' }, ` (${step.replace('+', 'Δ ')})`) : null,
        typeof x.len === 'number' ? h('span', { class: 'hop-len' }, ` · ${x.len} B`) : null),
      h('div', { class: 'hop-sum' }, x.summary ?? '')));
    });
    return h('div', { key: j.id, class: 'journey', 'data-id': j.id, 'data-kind': j.kind ?? '' },
      h('div', { class: 'journey-head' },
        h('span', { class: 'mono muted' }, clock(j.t)),
        h('span', { class: 'pill kind' }, j.kind ?? ''),
        h('span', { class: 'journey-sum' }, j.summary ?? ''),
        h('span', { class: 'muted small' }, `#${j.id}, ${hops.length} hop${hops.length === 1 ? '' : 's'}${j.hops_dropped ? ` (${j.hops_dropped} more not kept)` : ''}`)),
      h('div', { class: 'hops' }, steps));
  }

  function renderJourneys() {
    const list = [...state.journeys.values()].reverse().map(journeyEl);
    if (!list.length) list.push(h('p', { class: 'muted' }, 'No frame journeys yet: ping through the router to make some.'));
    render($('journeys'), list);
  }

  /* ------------------------------------------------------------------ */
  /* Terminals                                                           */

  const terms = {}; /* name → {term, ws, decoder, el, stateEl, pane} */
  window.plexusTerminals = {};

  async function showTerminals() {
    if (!state.terminals) {
      const j = await getJSON('/api/terminals', 'terminal');
      if (!j) return;
      state.terminals = Array.isArray(j.terminals) ? j.terminals : [];
      buildTerminals();
    }
    /* xterm measures its cell size when opened, so panes are opened (and
     * their processes started) only once the tab is visible. */
    if (state.view !== 'terminal') return;
    for (const t of state.terminals) {
      const pane = terms[t.name];
      if (pane && !pane.term && state.token) openTerminal(t);
      else if (pane && pane.term) fitTerminal(pane);
    }
  }

  /* Panes: div.term-pane[data-term=NAME][data-state=…] with div.term. */
  function buildTerminals() {
    const box = clear($('terminals'));
    const note = $('term-note');
    if (!state.terminals.length) {
      note.hidden = false;
      note.textContent = 'No terminal is configured (the console plugin\'s terminal settings are empty).';
      return;
    }
    note.hidden = true;
    for (const t of state.terminals) {
      const stateEl = h('span', { class: 'badge term-state' }, state.token ? 'not started' : 'needs the token');
      const restart = h('button', { type: 'button', class: 'term-restart', hidden: true }, 'Restart');
      const el = h('div', { class: 'term' });
      const pane = h('div', { class: 'card term-pane', 'data-term': t.name, 'data-state': state.token ? 'idle' : 'no-token' },
        h('div', { class: 'card-head' },
          h('h2', null, t.name),
          h('span', { class: 'mono muted small' }, t.command ?? ''),
          h('span', { class: 'muted small' }, t.writable === false ? 'read-only' : ''),
          stateEl, restart),
        state.token ? el : h('p', { class: 'note' }, 'This terminal needs the token: open the URL that "plexusctl console" prints.'));
      box.append(pane);
      terms[t.name] = { el, stateEl, pane, restart, term: null, ws: null };
      restart.addEventListener('click', () => connectTerminal(t));
    }
  }

  function openTerminal(t) {
    const p = terms[t.name];
    if (typeof Terminal === 'undefined') {
      showError('terminal', 'xterm did not load (/lib/xterm.js): terminals cannot be shown.');
      return;
    }
    const term = new Terminal({ cols: 100, rows: 30 });
    term.open(p.el);
    p.term = term;
    window.plexusTerminals[t.name] = term;
    /* A read-only pane's server ignores input; not sending it saves the
     * round trip. */
    term.on('data', (d) => {
      if (t.writable !== false && p.ws && p.ws.readyState === WebSocket.OPEN) p.ws.send(JSON.stringify({ op: 'input', data: d }));
    });
    term.on('resize', (size) => {
      if (p.ws && p.ws.readyState === WebSocket.OPEN) p.ws.send(JSON.stringify({ op: 'resize', cols: size.cols, rows: size.rows }));
    });
    fitTerminal(p);
    connectTerminal(t);
  }

  function fitTerminal(p) {
    if (!p.term || typeof xtermFit === 'undefined' || !p.el.clientWidth) return;
    try { xtermFit.fit(p.term); } catch (_) { /* not measurable yet */ }
  }

  function setTermState(p, s, text) {
    p.pane.dataset.state = s;
    p.stateEl.textContent = text;
    p.restart.hidden = s !== 'closed';
  }

  /* One socket per pane; the server starts the configured command for
   * each new socket, so a closed pane restarts only when asked. */
  function connectTerminal(t) {
    const p = terms[t.name];
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/ws/term/${encodeURIComponent(t.name)}?token=${encodeURIComponent(state.token)}`);
    ws.binaryType = 'arraybuffer';
    p.ws = ws;
    p.decoder = new TextDecoder();
    setTermState(p, 'connecting', 'connecting');
    ws.onopen = () => {
      setTermState(p, 'open', t.writable === false ? 'running (read-only)' : 'running');
      ws.send(JSON.stringify({ op: 'resize', cols: p.term.cols, rows: p.term.rows }));
      p.term.focus();
    };
    ws.onmessage = (e) => {
      const text = typeof e.data === 'string' ? e.data : p.decoder.decode(new Uint8Array(e.data), { stream: true });
      p.term.write(text);
    };
    ws.onclose = (e) => {
      if (p.ws !== ws) return;
      p.ws = null;
      p.term.write(`\r\n\x1b[2m[session closed${e.code && e.code !== 1000 && e.code !== 1005 ? ` (${e.code}${e.reason ? ` ${e.reason}` : ''})` : ''}]\x1b[0m\r\n`);
      setTermState(p, 'closed', 'closed');
    };
    ws.onerror = () => {};
  }

  /* ------------------------------------------------------------------ */
  /* Start                                                               */

  function init() {
    initToken();
    initEvents();
    $('btn-reload').addEventListener('click', () => startReload('/api/reload', 'reload conf.d'));
    $('plugins-table').addEventListener('click', (e) => {
      const b = e.target.closest('button[data-action]');
      if (b && !b.disabled) pluginAction(b.dataset.plugin, b.dataset.action);
    });
    window.addEventListener('hashchange', route);
    window.addEventListener('resize', debounce(() => {
      if (state.view === 'terminal') for (const p of Object.values(terms)) fitTerminal(p);
    }, 100));
    window.plexusConsole = {
      state,
      refetchAll,
      get connected() { return state.wsState === 'connected'; },
    };
    /* route() fetches what the first view shows; the WebSocket's hello
     * then has every snapshot read. */
    route();
    connect();
  }

  init();
})();
