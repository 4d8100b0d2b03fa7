/* rostvakt's web app: plain JavaScript over the service's own API, signed
 * in with a session cookie; every state-changing request carries the
 * session's CSRF token. Pages are hash routes; text from the archive is
 * always set as text, never as markup. */
'use strict';

const state = { me: null, csrf: null, flash: null, rendered: false };

const CLASSES = {
  possible_public_record: 'Möjlig allmän handling',
  ephemeral: 'Tillfälligt meddelande',
  empty: 'Tomt',
};
const REASONS = {
  case_words: 'ärendeord hörda', long_message: 'långt meddelande', short_message: 'kort meddelande',
  callback_request: 'ber om återuppringning', no_speech: 'inget tal', hang_up: 'lade på',
  silence: 'tystnad', tone: 'ton', noise: 'brus',
};
const DECISIONS = {
  registered: 'Registrerad', not_public_record: 'Inte allmän handling', dispose: 'Gallras',
};
const ELEMENTS = { name: 'Namn', unit: 'Enhet', org: 'Organisation', closing: 'Avslutning' };
const VIOLATIONS = {
  name_missing: 'namn saknas', unit_missing: 'enhet saknas', org_missing: 'organisation saknas',
  no_closing_prompt: 'uppmaning saknas', absence_without_end: 'frånvaro utan slutdatum',
};

/* ---- helpers ---- */

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat(Infinity)) if (k !== null && k !== undefined) e.append(k.nodeType ? k : String(k));
  return e;
}

function svg(tag, attrs, ...kids) {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const k of kids.flat(Infinity)) if (k !== null && k !== undefined) e.append(k.nodeType ? k : String(k));
  return e;
}

function say(text, error) {
  const s = document.getElementById('status');
  s.textContent = text || '';
  s.className = 'status' + (error ? ' error' : '');
}

class ApiError extends Error {
  constructor(status, msg) { super(msg); this.status = status; }
}

async function api(method, path, body) {
  const opt = { method, headers: {}, credentials: 'same-origin' };
  if (method !== 'GET' && state.csrf) opt.headers['X-CSRF-Token'] = state.csrf;
  if (body !== undefined) {
    opt.headers['Content-Type'] = 'application/json';
    opt.body = JSON.stringify(body);
  }
  const r = await fetch(path, opt);
  const j = await r.json().catch(() => null);
  if (r.status === 401 && path !== '/v1/session') {
    state.me = null;
    state.flash = 'Sessionen har gått ut. Logga in igen.';
    showSignedIn();
    location.hash = '#/logga-in';
    throw new ApiError(401, state.flash);
  }
  if (!r.ok) throw new ApiError(r.status, (j && j.error && j.error.message) || 'Fel ' + r.status);
  return j;
}

/* Make and save voicemail id's package: a POST, as making it is recorded
 * in the voicemail's history; the tar is saved under the name the service
 * gives it. */
async function savePackage(id) {
  const headers = state.csrf ? { 'X-CSRF-Token': state.csrf } : {};
  const r = await fetch('/v1/voicemails/' + id + '/package', { method: 'POST', headers, credentials: 'same-origin' });
  if (!r.ok) {
    const j = await r.json().catch(() => null);
    throw new ApiError(r.status, (j && j.error && j.error.message) || 'Fel ' + r.status);
  }
  const m = /filename="([^"]+)"/.exec(r.headers.get('Content-Disposition') || '');
  const url = URL.createObjectURL(await r.blob());
  const a = el('a', { href: url, download: m ? m[1] : 'arkivpaket.tar', hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function when(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString('sv-SE', { dateStyle: 'short', timeStyle: 'short' });
}

function seconds(s) {
  if (s === null || s === undefined) return '–';
  return s < 60 ? s.toFixed(0) + ' s' : Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
}

function page(title, ...kids) {
  document.title = title + ' – rostvakt';
  const p = document.getElementById('page');
  p.replaceChildren(el('h1', { text: title }), ...kids.flat(Infinity).filter((k) => k !== null && k !== undefined));
  /* after a navigation, focus moves to the new content (not on the first
   * page, so that Tab starts at the skip link) */
  if (state.rendered) document.getElementById('main').focus();
  state.rendered = true;
}

function table(caption, heads, rows) {
  return el('table', {},
    el('caption', { text: caption }),
    el('thead', {}, el('tr', {}, heads.map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: heads.length, text: 'Inget att visa.' }))));
}

function field(label, input) {
  const id = input.id || ('f-' + Math.random().toString(36).slice(2));
  input.id = id;
  return el('div', {}, el('label', { for: id, text: label }), input);
}

function select(name, options, value) {
  return el('select', { name }, Object.entries(options).map(([v, t]) =>
    el('option', { value: v, selected: v === (value || '') ? true : null, text: t })));
}

/* ---- sign-in ---- */

function showSignedIn() {
  const nav = document.getElementById('nav'), who = document.getElementById('who');
  nav.hidden = who.hidden = !state.me;
  if (!state.me) return;
  document.getElementById('who-name').textContent = state.me.name + ' (' + roleName(state.me.role) + ')';
  for (const li of nav.querySelectorAll('li')) li.hidden = !li.dataset.roles.split(' ').includes(state.me.role);
}

function roleName(r) {
  return { officer: 'registrator', admin: 'administratör', manager: 'chef' }[r] || r;
}

function home() {
  if (!state.me) return '#/logga-in';
  return state.me.role === 'manager' ? '#/halsningsfraser' : state.me.role === 'admin' ? '#/logg' : '#/inkorg';
}

function signInPage() {
  const token = el('input', { type: 'password', name: 'token', autocomplete: 'current-password', required: true });
  const form = el('form', { class: 'signin', onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const me = await api('POST', '/v1/session', { token: token.value });
      state.me = me;
      state.csrf = me.csrf;
      token.value = '';
      showSignedIn();
      say('Du är inloggad som ' + me.name + '.');
      location.hash = home();
    } catch (e) {
      say(e.status === 403 ? 'Den nyckeln kan inte logga in i webbappen.' : 'Fel nyckel: ' + e.message, true);
      token.focus();
    }
  } },
  field('Inloggningsnyckel', token),
  el('p', { class: 'muted', text: 'Nyckeln får du av den som administrerar rostvakt. Vid inloggning via kommunens inloggning behövs ingen nyckel.' }),
  el('button', { type: 'submit', class: 'primary', text: 'Logga in' }));
  page('Logga in', form);
  if (state.flash) {
    say(state.flash, true);
    state.flash = null;
  }
}

/* ---- Inkorg ---- */

async function inboxPage(params) {
  const q = new URLSearchParams(params);
  const f = {
    classification: select('classification', { '': 'Alla', ...CLASSES }, q.get('classification')),
    decision: select('decision', { none: 'Obeslutade', any: 'Beslutade', '': 'Alla' }, q.has('decision') ? q.get('decision') : 'none'),
    unit: el('input', { name: 'unit', value: q.get('unit') || '' }),
    ext: el('input', { name: 'ext', inputmode: 'numeric', value: q.get('ext') || '', size: 8 }),
    from: el('input', { name: 'from', type: 'date', value: q.get('from') || '' }),
    to: el('input', { name: 'to', type: 'date', value: q.get('to') || '' }),
  };
  const form = el('form', { class: 'filters', onsubmit: (ev) => {
    ev.preventDefault();
    const n = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) n.set(k, v.value);
    location.hash = '#/inkorg?' + n.toString();
  } },
  field('Klassning', f.classification), field('Beslut', f.decision), field('Enhet', f.unit),
  field('Anknytning', f.ext), field('Från och med', f.from), field('Till och med', f.to),
  el('button', { type: 'submit', class: 'primary', text: 'Filtrera' }));
  page('Inkorg', form, el('p', { text: 'Hämtar …' }));
  const a = new URLSearchParams({ limit: '25' });
  for (const k of ['classification', 'unit', 'ext']) if (f[k].value) a.set(k, f[k].value);
  if (f.decision.value) a.set('decision', f.decision.value);
  if (f.from.value) a.set('from', f.from.value + 'T00:00:00Z');
  if (f.to.value) {
    const d = new Date(f.to.value + 'T00:00:00Z');
    d.setUTCDate(d.getUTCDate() + 1);
    a.set('to', d.toISOString().slice(0, 19) + 'Z');
  }
  if (q.get('after')) a.set('after', q.get('after'));
  const j = await api('GET', '/v1/voicemails?' + a.toString());
  const rows = j.items.map((v) => el('tr', {},
    el('td', {}, el('a', { href: '#/rostmeddelande/' + v.id, text: when(v.received_at) })),
    el('td', {}, (v.name || '') + ', ' + (v.unit || ''), el('br'), el('span', { class: 'muted', text: 'ankn. ' + v.ext })),
    el('td', { text: v.caller || 'okänt nummer' }),
    el('td', { text: seconds(v.duration_s) }),
    el('td', {}, el('strong', { text: CLASSES[v.classification] || (v.state === 'queued' ? 'Analyseras' : '–') }),
      v.reasons && v.reasons.length ? el('br') : null,
      (v.reasons || []).map((r) => REASONS[r] || r).join(', ')),
    el('td', { text: v.decision ? DECISIONS[v.decision] : 'Inget beslut' })));
  const pager = el('div', { class: 'pager' });
  if (q.get('after')) {
    const first = new URLSearchParams(params);
    first.delete('after');
    pager.append(el('a', { href: '#/inkorg?' + first.toString(), text: 'Första sidan' }));
  }
  if (j.next) {
    const next = new URLSearchParams(params);
    next.set('after', j.next);
    pager.append(el('a', { href: '#/inkorg?' + next.toString(), text: 'Nästa sida' }));
  }
  page('Inkorg', form,
    table('Röstmeddelanden, nyast först', ['Mottaget', 'Brevlåda', 'Uppringare', 'Längd', 'Klassning och skäl', 'Beslut'], rows),
    pager);
}

/* ---- Röstmeddelande ---- */

function timeline(a) {
  const dur = Math.max(a.duration_s || 0, 0.1), W = 720, H = 70, x = (t) => (t / dur) * (W - 20) + 10;
  const segs = (a.signal && a.signal.speech_segments) || [];
  const words = a.keywords || [];
  const desc = segs.length + ' stycken tal' + (words.length ? '; ärendeord: ' +
    words.map((w) => w.word + ' vid ' + w.at_s.toFixed(1) + ' s').join(', ') : '');
  return svg('svg', { class: 'timeline', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Tidslinje: ' + desc },
    svg('rect', { x: 10, y: 30, width: W - 20, height: 14, fill: '#e6e6e6' }),
    segs.map((s) => svg('rect', { x: x(s.start_s), y: 30, width: Math.max(1, x(s.end_s) - x(s.start_s)), height: 14, fill: '#0b4f9c' })),
    words.map((w) => [svg('line', { x1: x(w.at_s), x2: x(w.at_s), y1: 22, y2: 50, stroke: '#a32020', 'stroke-width': 2 }),
      svg('text', { x: x(w.at_s) + 3, y: 18, 'font-size': 13, fill: '#a32020' }, w.word)]),
    svg('text', { x: 10, y: 64, 'font-size': 12, fill: '#4a4a4a' }, '0 s'),
    svg('text', { x: W - 50, y: 64, 'font-size': 12, fill: '#4a4a4a' }, dur.toFixed(1) + ' s'));
}

async function voicemailPage(id) {
  const v = await api('GET', '/v1/voicemails/' + encodeURIComponent(id));
  const a = v.analysis || {};
  const o = v.owner || {};
  const player = el('audio', { controls: true, preload: 'metadata', src: '/v1/voicemails/' + v.id + '/audio', 'aria-label': 'Röstmeddelandet' });
  const dnr = el('input', { name: 'diarienummer' });
  const note = el('textarea', { name: 'note', rows: 3, cols: 40 });
  const choice = ['registered', 'not_public_record', 'dispose'].map((d, i) =>
    el('label', {}, el('input', { type: 'radio', name: 'decision', value: d, checked: i === 0 ? true : null }), ' ',
      { registered: 'Registrera med diarienummer', not_public_record: 'Inte allmän handling', dispose: 'Gallra' }[d]));
  const canDecide = state.me.role === 'officer';
  const form = el('form', { onsubmit: async (ev) => {
    ev.preventDefault();
    const d = form.querySelector('input[name=decision]:checked').value;
    const body = { decision: d };
    if (dnr.value) body.diarienummer = dnr.value;
    if (note.value) body.note = note.value;
    try {
      await api('POST', '/v1/voicemails/' + v.id + '/decision', body);
      say('Beslutet är sparat: ' + DECISIONS[d] + '.');
      await voicemailPage(id);
    } catch (e) { say('Beslutet sparades inte: ' + e.message, true); }
  } },
  el('fieldset', { class: 'radio' }, el('legend', { text: 'Beslut' }), choice),
  field('Diarienummer (vid registrering)', dnr), field('Anteckning', note),
  el('p', {}, el('button', { type: 'submit', class: 'primary', text: 'Spara beslut' })));
  const history = (v.decisions || []).map((d) => el('tr', {},
    el('td', { text: when(d.decided_at) }), el('td', { text: DECISIONS[d.decision] || d.decision }),
    el('td', { text: d.diarienummer || '' }), el('td', { text: d.note || '' }), el('td', { text: d.actor })));
  /* hand-over to the e-archive: the package, then the archive's reference */
  const last = (v.decisions || []).slice(-1)[0];
  const ref = el('input', { name: 'reference' });
  const archForm = el('form', { onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', '/v1/voicemails/' + v.id + '/archived', { reference: ref.value });
      say('E-arkivets referens är sparad.');
      await voicemailPage(id);
    } catch (e) { say('Referensen sparades inte: ' + e.message, true); }
  } }, field('E-arkivets referens', ref), el('p', {}, el('button', { type: 'submit', text: 'Spara referens' })));
  const archive = last && last.decision === 'registered' && canDecide && !v.disposed_at ? [
    el('h2', { text: 'E-arkiv' }),
    el('p', {}, el('button', { type: 'button', class: 'package', text: 'Hämta arkivpaketet (FGS Paketstruktur 2.0)', onclick: async () => {
      try {
        await savePackage(v.id);
        say('Arkivpaketet är gjort och hämtat.');
        await voicemailPage(id);
      } catch (e) { say('Arkivpaketet gjordes inte: ' + e.message, true); }
    } })),
    v.archived_at ? el('p', { text: 'Arkiverat ' + when(v.archived_at) + ', referens ' + v.archive_ref + '.' })
      : v.packaged_at ? archForm
        : el('p', { class: 'muted', text: 'Hämta paketet och lämna det till e-arkivet; spara sedan arkivets referens här.' })] : [];
  const EVENTS = { packaged: 'Arkivpaket gjort', archived: 'Arkiverat i e-arkivet' };
  const events = (v.events || []).map((e) => el('tr', {},
    el('td', { text: when(e.at) }), el('td', { text: EVENTS[e.event] || e.event }), el('td', { text: e.detail || '' }),
    el('td', { text: e.actor })));
  page('Röstmeddelande ' + v.id,
    el('p', {}, el('a', { href: '#/inkorg', text: '← Till inkorgen' })),
    el('dl', { class: 'facts' },
      el('dt', { text: 'Mottaget' }), el('dd', { text: when(v.received_at) }),
      el('dt', { text: 'Uppringare' }), el('dd', { text: v.caller || 'okänt nummer' }),
      el('dt', { text: 'Brevlåda' }), el('dd', { text: `${o.first_name || ''} ${o.last_name || ''}, ${o.unit || ''}, ${o.org || ''} (ankn. ${v.ext})` }),
      el('dt', { text: 'Längd' }), el('dd', { text: seconds(a.duration_s) }),
      el('dt', { text: 'Klassning' }), el('dd', { text: (CLASSES[v.classification] || '–') +
        (a.reasons && a.reasons.length ? ' (' + a.reasons.map((r) => REASONS[r] || r).join(', ') + ')' : '') }),
      el('dt', { text: 'Återuppringning' }), el('dd', { text: v.callback_at ? 'återuppringd ' + when(v.callback_at)
        : 'ska ske senast ' + (v.callback_deadline || '–') })),
    el('h2', { text: 'Lyssna' }), player, timeline(a),
    el('p', { class: 'muted', text: 'Blått: tal. Rött: ärendeord som hördes.' }),
    el('h2', { text: 'Beslut' }), canDecide ? form : el('p', { text: 'Beslut fattas av registrator.' }),
    el('h2', { text: 'Beslutshistorik' }),
    table('Beslut om meddelandet, äldst först', ['Beslutat', 'Beslut', 'Diarienummer', 'Anteckning', 'Av'], history),
    archive,
    events.length ? [el('h2', { text: 'Händelser' }),
      table('Händelser efter beslutet, äldst först', ['Tid', 'Händelse', 'Paket eller referens', 'Av'], events)] : []);
}

/* ---- Hälsningsfraser ---- */

/* A unit's name as the service compares it: without regard to case, Å, Ä
 * and Ö too ("Socialtjänsten" and "SOCIALTJÄNSTEN" are one unit). */
const unitKey = (u) => (u || '').normalize('NFC').toLocaleLowerCase('sv');

async function greetingsPage(params) {
  const q = new URLSearchParams(params);
  const unit = el('input', { name: 'unit', value: q.get('unit') || '' });
  const comp = select('compliant', { '': 'Alla', 'false': 'Följer inte policyn', 'true': 'Följer policyn' }, q.get('compliant'));
  const form = el('form', { class: 'filters', onsubmit: (ev) => {
    ev.preventDefault();
    location.hash = '#/halsningsfraser?' + new URLSearchParams({ unit: unit.value, compliant: comp.value });
  } }, field('Enhet', unit), field('Policy', comp), el('button', { type: 'submit', class: 'primary', text: 'Visa' }));
  const a = new URLSearchParams({ limit: '200' });
  if (unit.value) a.set('unit', unit.value);
  if (comp.value) a.set('compliant', comp.value);
  const [mb, rv] = await Promise.all([api('GET', '/v1/mailboxes?' + a), api('GET', '/v1/review?limit=100')]);
  const byUnit = new Map(); /* a unit's key: its name as first seen, its mailboxes */
  for (const m of mb.items) {
    const k = unitKey(m.unit);
    if (!byUnit.has(k)) byUnit.set(k, [m.unit, []]);
    byUnit.get(k)[1].push(m);
  }
  const sections = [...byUnit.values()].sort((x, y) => x[0].localeCompare(y[0], 'sv')).map(([u, ms]) =>
    table(u, ['Anknytning', 'Namn', 'Hälsningsfras', 'Brister', 'Lyssna'], ms.map((m) => {
      const g = m.greeting;
      const verdict = !g || g.removed ? el('span', { class: 'bad', text: 'Saknas' })
        : g.missing_reason ? el('span', { class: 'bad', text: 'Saknas (' + g.missing_reason + ')' })
        : g.compliant === true ? el('span', { class: 'ok', text: 'Följer policyn' })
        : g.compliant === false ? el('span', { class: 'bad', text: 'Följer inte policyn' })
        : el('span', { class: 'warn', text: 'Behöver lyssnas' });
      return el('tr', {}, el('td', { text: m.ext }), el('td', { text: m.first_name + ' ' + m.last_name }),
        el('td', {}, verdict), el('td', { text: g ? (g.violations || []).map((x) => VIOLATIONS[x] || x).join(', ') : '' }),
        el('td', {}, el('a', { href: '#/brevlada/' + m.ext, text: 'Lyssna och historik',
          'aria-label': 'Lyssna och historik för ' + m.first_name + ' ' + m.last_name })));
    })));
  const review = rv.items.map((r) => reviewRow(r));
  page('Hälsningsfraser', form,
    el('h2', { text: 'Behöver lyssnas' }),
    el('p', { text: 'Hälsningsfraser där rostvakt är osäker. Lyssna och ange vad som sägs.' }),
    table('Osäkra bedömningar', ['Brevlåda', 'Osäkert', 'Lyssna', 'Vad sägs?'], review),
    el('h2', { text: 'Brevlådor per enhet' }), sections.length ? sections : el('p', { text: 'Inga brevlådor.' }));
}

function reviewRow(r) {
  const canReview = state.me.role === 'officer';
  const sets = r.unsure.map((k) => el('fieldset', { class: 'radio' }, el('legend', { text: ELEMENTS[k] || k }),
    ['stated', 'not_stated'].map((v) => el('label', {}, el('input', { type: 'radio', name: `${r.greeting_id}-${k}`, value: v }),
      ' ', v === 'stated' ? 'Sägs' : 'Sägs inte'))));
  const form = el('form', { onsubmit: async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const k of r.unsure) {
      const c = form.querySelector(`input[name="${r.greeting_id}-${k}"]:checked`);
      if (c) body[k] = c.value;
    }
    if (!Object.keys(body).length) { say('Välj vad som sägs först.', true); return; }
    try {
      await api('POST', `/v1/mailboxes/${r.ext}/greetings/${r.greeting_id}/review`, body);
      say('Granskningen av ' + r.name + 's hälsningsfras är sparad.');
      route();
    } catch (e) { say('Granskningen sparades inte: ' + e.message, true); }
  } }, sets, el('button', { type: 'submit', text: 'Spara granskning' }));
  return el('tr', {}, el('td', { text: `${r.name}, ${r.unit} (${r.ext})` }),
    el('td', { text: r.unsure.map((k) => ELEMENTS[k] || k).join(', ') }),
    el('td', {}, el('audio', { controls: true, preload: 'none', src: `/v1/mailboxes/${r.ext}/greetings/${r.greeting_id}/audio`,
      'aria-label': 'Hälsningsfrasen för ' + r.name })),
    el('td', {}, canReview ? form : el('span', { class: 'muted', text: 'Granskas av registrator' })));
}

async function mailboxPage(ext) {
  const [m, gs] = await Promise.all([api('GET', '/v1/mailboxes/' + encodeURIComponent(ext)),
    api('GET', '/v1/mailboxes/' + encodeURIComponent(ext) + '/greetings')]);
  const items = (gs.items || gs || []).slice().reverse();
  page(`${m.first_name} ${m.last_name}`,
    el('p', {}, el('a', { href: '#/halsningsfraser', text: '← Till hälsningsfraserna' })),
    el('dl', { class: 'facts' }, el('dt', { text: 'Enhet' }), el('dd', { text: m.unit }),
      el('dt', { text: 'Organisation' }), el('dd', { text: m.org || '–' }),
      el('dt', { text: 'Policy' }), el('dd', { text: m.profile })),
    table('Hälsningsfraser, nyast först', ['Mottagen', 'Bedömning', 'Lyssna'], items.map((g) => el('tr', {},
      el('td', { text: when(g.received_at) }),
      el('td', { text: g.removed ? 'Borttagen' : g.missing_reason ? 'Saknas (' + g.missing_reason + ')'
        : g.compliant === true ? 'Följer policyn' : g.compliant === false ? 'Brister: ' + g.violations.map((x) => VIOLATIONS[x] || x).join(', ')
        : 'Behöver lyssnas' }),
      el('td', {}, g.removed || !g.audio_sha256 ? '–' : el('audio', { controls: true, preload: 'none',
        src: `/v1/mailboxes/${m.ext}/greetings/${g.id}/audio`, 'aria-label': 'Hälsningsfrasen från ' + when(g.received_at) }))))));
}

/* ---- Rapporter ---- */

/* A series' look: a colour, a marker and a dash, so that lines differ by
 * more than colour, and any number of units can be drawn. */
const MARKERS = ['circle', 'square', 'triangle', 'diamond'];
function marker(kind, cx, cy, fill) {
  if (kind === 'circle') return svg('circle', { cx, cy, r: 3.5, fill });
  if (kind === 'square') return svg('rect', { x: cx - 3.5, y: cy - 3.5, width: 7, height: 7, fill });
  const pts = kind === 'triangle' ? [[0, -4.5], [4, 3], [-4, 3]] : [[0, -4.5], [4.5, 0], [0, 4.5], [-4.5, 0]];
  return svg('polygon', { points: pts.map(([a, b]) => `${cx + a},${cy + b}`).join(' '), fill });
}

function lineChart(title, series, dates, max, fmt) {
  const W = 720, L = 50, R = 190, T = 20, B = 30, H = Math.max(220, T + B + 18 * series.length);
  const x = (i) => L + (dates.length > 1 ? i * (W - L - R) / (dates.length - 1) : (W - L - R) / 2);
  const y = (v) => T + (H - T - B) * (1 - v / (max || 1));
  const colours = ['#0b4f9c', '#a32020', '#1e6b2e', '#7a4d00', '#5b2a86', '#00666b', '#444444'];
  const g = [svg('title', {}, title),
    svg('line', { x1: L, x2: W - R, y1: y(0), y2: y(0), stroke: '#4a4a4a' }),
    svg('line', { x1: L, x2: L, y1: T, y2: y(0), stroke: '#4a4a4a' }),
    svg('text', { x: 4, y: T + 4, 'font-size': 12 }, fmt(max)),
    svg('text', { x: 4, y: y(0), 'font-size': 12 }, fmt(0))];
  if (dates.length) {
    g.push(svg('text', { x: L, y: H - 8, 'font-size': 12 }, dates[0]));
    if (dates.length > 1) g.push(svg('text', { x: W - R - 70, y: H - 8, 'font-size': 12 }, dates[dates.length - 1]));
  }
  const dashes = ['', '6 3', '2 3', '8 3 2 3'];
  series.forEach((s, k) => {
    const colour = colours[k % colours.length], mark = MARKERS[k % MARKERS.length];
    const dash = dashes[Math.floor(k / colours.length) % dashes.length];
    const pts = s.values.map((v, i) => v === null ? null : `${x(i)},${y(v)}`).filter(Boolean);
    if (pts.length > 1) g.push(svg('polyline', { points: pts.join(' '), fill: 'none', stroke: colour, 'stroke-width': 2,
      ...(dash ? { 'stroke-dasharray': dash } : {}) }));
    s.values.forEach((v, i) => { if (v !== null) g.push(marker(mark, x(i), y(v), colour)); });
    /* the legend: the series' marker and its name */
    const ly = T + 10 + k * 18;
    g.push(marker(mark, W - R + 14, ly - 4, colour));
    g.push(svg('text', { x: W - R + 24, y: ly, 'font-size': 12, fill: colour }, s.name.length > 26 ? s.name.slice(0, 25) + '…' : s.name));
  });
  const label = title + ': ' + series.map((s) => s.name + ' ' + fmt(s.values[s.values.length - 1] ?? 0)).join(', ');
  return svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label }, g);
}

async function reportsPage() {
  const j = await api('GET', '/v1/sweeps?limit=60');
  const byDate = new Map();
  for (const s of j.items) if (!byDate.has(s.date)) byDate.set(s.date, s); /* the latest run of each day */
  const runs = [...byDate.values()].reverse();
  if (!runs.length) { page('Rapporter', el('p', { text: 'Ingen nattlig kontroll har körts än.' })); return; }
  const dates = runs.map((r) => r.date);
  /* one line a unit whatever the case of its name, named as the latest run names it */
  const names = new Map();
  for (const r of runs) for (const u of r.report.units || []) names.set(unitKey(u.unit), u.unit);
  const units = [...names.keys()].sort((a, b) => names.get(a).localeCompare(names.get(b), 'sv'));
  const per = (fn) => units.map((k) => ({ name: names.get(k), values: runs.map((r) => fn(r.report, k)) }));
  const share = per((rep, k) => {
    const xs = (rep.units || []).filter((z) => unitKey(z.unit) === k);
    const n = xs.reduce((a, z) => a + z.mailboxes, 0);
    return n ? xs.reduce((a, z) => a + z.compliant, 0) / n : null;
  });
  const count = (key) => per((rep, k) => (rep[key] || []).filter((i) => unitKey(i.unit) === k).length);
  const missing = count('missing_greetings'), overdue = count('overdue_callbacks');
  const maxOf = (ser) => Math.max(1, ...ser.flatMap((s) => s.values.filter((v) => v !== null)));
  const last = runs[runs.length - 1].report;
  const list = (key, title, cols, row) => table(title + ' (' + (last[key] || []).length + ')', cols, (last[key] || []).map(row));
  page('Rapporter',
    el('p', { text: `Senaste nattliga kontroll ${last.date}: ${last.mailboxes} brevlådor.` }),
    el('h2', { text: 'Andel hälsningsfraser som följer policyn, per enhet' }),
    lineChart('Andel som följer policyn', share, dates, 1, (v) => Math.round(v * 100) + ' %'),
    el('h2', { text: 'Saknade hälsningsfraser, per enhet' }),
    lineChart('Saknade hälsningsfraser', missing, dates, maxOf(missing), (v) => String(Math.round(v))),
    el('h2', { text: 'Försenade återuppringningar, per enhet' }),
    lineChart('Försenade återuppringningar', overdue, dates, maxOf(overdue), (v) => String(Math.round(v))),
    el('h2', { text: 'Senaste rapporten' }),
    list('missing_greetings', 'Saknade hälsningsfraser', ['Anknytning', 'Namn', 'Enhet', 'Skäl'],
      (i) => el('tr', {}, el('td', { text: i.ext }), el('td', { text: i.name }), el('td', { text: i.unit }), el('td', { text: i.reason }))),
    list('noncompliant_greetings', 'Följer inte policyn', ['Anknytning', 'Namn', 'Enhet', 'Brister'],
      (i) => el('tr', {}, el('td', { text: i.ext }), el('td', { text: i.name }), el('td', { text: i.unit }),
        el('td', { text: (i.violations || []).map((x) => VIOLATIONS[x] || x).join(', ') }))),
    list('needs_review', 'Behöver lyssnas', ['Anknytning', 'Namn', 'Enhet', 'Osäkert'],
      (i) => el('tr', {}, el('td', { text: i.ext }), el('td', { text: i.name }), el('td', { text: i.unit }),
        el('td', { text: (i.unsure || []).map((k) => ELEMENTS[k] || k).join(', ') }))),
    list('overdue_callbacks', 'Försenade återuppringningar', ['Nr', 'Namn', 'Enhet', 'Mottaget', 'Senast'],
      (i) => el('tr', {}, el('td', { text: i.id }), el('td', { text: i.name }), el('td', { text: i.unit }),
        el('td', { text: when(i.received_at) }), el('td', { text: i.deadline }))));
}

/* ---- Logg ---- */

async function auditPage(params) {
  const q = new URLSearchParams(params);
  const f = {
    actor: el('input', { name: 'actor', value: q.get('actor') || '' }),
    voicemail: el('input', { name: 'voicemail', inputmode: 'numeric', size: 8, value: q.get('voicemail') || '' }),
    from: el('input', { name: 'from', type: 'date', value: q.get('from') || '' }),
    to: el('input', { name: 'to', type: 'date', value: q.get('to') || '' }),
  };
  const a = new URLSearchParams();
  if (f.actor.value) a.set('actor', f.actor.value);
  if (f.voicemail.value) a.set('voicemail', f.voicemail.value);
  if (f.from.value) a.set('from', f.from.value + 'T00:00:00Z');
  if (f.to.value) a.set('to', f.to.value + 'T23:59:59Z');
  const form = el('form', { class: 'filters', onsubmit: (ev) => {
    ev.preventDefault();
    const n = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v.value) n.set(k, v.value);
    location.hash = '#/logg?' + n.toString();
  } }, field('Vem', f.actor), field('Röstmeddelande', f.voicemail), field('Från och med', f.from),
  field('Till och med', f.to), el('button', { type: 'submit', class: 'primary', text: 'Filtrera' }));
  const csv = new URLSearchParams(a);
  csv.set('format', 'csv');
  const j = await api('GET', '/v1/audit?' + a.toString());
  page('Logg', form,
    el('p', {}, el('a', { href: '/v1/audit?' + csv.toString(), download: 'rostvakt-logg.csv', text: 'Exportera som CSV' })),
    table('Vem gjorde vad, nyast först (högst 1000 rader)', ['Tid', 'Vem', 'Adress', 'Händelse', 'Meddelande', 'Anknytning', 'Uppgift'],
      j.items.map((r) => el('tr', {}, el('td', { text: when(r.at) }), el('td', { text: r.actor }), el('td', { text: r.remote }),
        el('td', { text: r.action }), el('td', {}, r.voicemail ? el('a', { href: '#/rostmeddelande/' + r.voicemail, text: String(r.voicemail) }) : ''),
        el('td', { text: r.ext || '' }), el('td', { text: r.detail || '' })))));
}

/* ---- routing ---- */

const ROUTES = [
  [/^#\/inkorg(?:\?(.*))?$/, inboxPage, ['officer', 'admin']],
  [/^#\/rostmeddelande\/(\d+)$/, voicemailPage, ['officer', 'admin']],
  [/^#\/halsningsfraser(?:\?(.*))?$/, greetingsPage, ['officer', 'admin', 'manager']],
  [/^#\/brevlada\/(\d+)$/, mailboxPage, ['officer', 'admin', 'manager']],
  [/^#\/rapporter$/, reportsPage, ['officer', 'admin', 'manager']],
  [/^#\/logg(?:\?(.*))?$/, auditPage, ['admin']],
];

async function route() {
  const h = location.hash || '#/';
  for (const a of document.querySelectorAll('nav a'))
    a.toggleAttribute('aria-current', h.startsWith(a.getAttribute('href')));
  for (const a of document.querySelectorAll('nav a[aria-current]')) a.setAttribute('aria-current', 'page');
  if (!state.me) { signInPage(); return; }
  for (const [re, fn, roles] of ROUTES) {
    const m = h.match(re);
    if (!m) continue;
    if (!roles.includes(state.me.role)) { page('Ingen behörighet', el('p', { text: 'Din roll får inte se den här sidan.' })); return; }
    try { await fn(m[1] || ''); } catch (e) {
      if (e.status !== 401) say('Kunde inte hämta sidan: ' + e.message, true);
    }
    return;
  }
  location.hash = home();
}

async function start() {
  document.getElementById('sign-out').addEventListener('click', async () => {
    try { await api('DELETE', '/v1/session'); } catch (e) { /* signed out either way */ }
    state.me = null;
    state.csrf = null;
    showSignedIn();
    say('Du är utloggad.');
    location.hash = '#/logga-in';
  });
  try {
    const me = await api('GET', '/v1/session');
    if (me.role !== 'pbx') { state.me = me; state.csrf = me.csrf; }
  } catch (e) { state.me = null; }
  showSignedIn();
  window.addEventListener('hashchange', () => { say(''); route(); });
  route();
}

start();
