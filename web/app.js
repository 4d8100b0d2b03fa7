/* rostvakt's web app: plain JavaScript over the service's own API, signed
 * in with a session cookie; every state-changing request carries the
 * session's CSRF token. Pages are hash routes; text from the archive is
 * always set as text, never as markup. */
'use strict';

const state = { me: null, csrf: null, flash: null, notice: null, next: null, rendered: false, seq: 0, pageOrg: '' };

/* Every code the API gives, in the one Swedish word the app shows for it;
 * docs/glossary.md lists the same table (a browser test keeps them equal). */
const WORDS = {
  classification: {
    possible_public_record: 'Möjlig allmän handling', ephemeral: 'Tillfälligt meddelande', empty: 'Tomt meddelande',
  },
  reason: {
    case_words: 'ärendeord hörda', long_message: 'långt meddelande', short_message: 'kort meddelande',
    no_speech: 'inget tal',
  },
  state: { queued: 'Analyseras', analysed: 'Analyserat', failed: 'Analysen misslyckades' },
  decision: {
    registrera: 'Registreras i diariet', halls_ordnad: 'Hålls ordnad', gallras: 'Gallras',
    privat: 'Privat, inte allmän handling',
  },
  ground: { tillfallig: 'tillfällig betydelse', ringa: 'ringa betydelse' },
  element: { name: 'namn', unit: 'enhet', org: 'organisation', closing: 'uppmaning att lämna meddelande' },
  violation: {
    missing: 'hälsningsfras saknas', system_prompt: 'växelns standardfras', name_missing: 'namn saknas',
    unit_missing: 'enhet saknas', wrong_order: 'enhet ska sägas före namnet', too_long: 'för lång',
    no_closing_prompt: 'uppmaning att lämna meddelande saknas', absence_without_end: 'frånvaro utan slutdatum och tid',
  },
  missing: {
    no_greeting: 'ingen hälsningsfras', removed: 'borttagen', empty_recording: 'tom inspelning', silence: 'tystnad',
    noise: 'brus', tone: 'ton', dtmf: 'knapptoner', system_prompt: 'växelns standardfras',
    too_little_speech: 'för lite tal',
  },
  greeting: {
    compliant: 'Följer policyn', not_compliant: 'Följer inte policyn', unsure: 'Behöver granskas',
    reviewed: 'Granskad', missing: 'Saknas', removed: 'Borttagen',
  },
  event: { packaged: 'Arkivpaket gjort', archived: 'Arkiverat i e-arkivet' },
  audit: {
    mailbox_read: 'Läste en brevlåda', mailboxes_listed: 'Listade brevlådor', greeting_read: 'Läste en hälsningsfras',
    greetings_listed: 'Listade hälsningsfraser', greeting_audio_read: 'Lyssnade på en hälsningsfras',
    review_listed: 'Listade hälsningsfraser att lyssna på', voicemail_read: 'Läste ett röstmeddelande',
    voicemails_listed: 'Listade röstmeddelanden', audio_read: 'Lyssnade på ett röstmeddelande',
    units_listed: 'Listade enheter', sweep_read: 'Läste en rapport', sweeps_listed: 'Listade rapporter',
    mailbox_created: 'Brevlåda skapad', mailbox_updated: 'Brevlåda ändrad', greeting_received: 'Hälsningsfras mottagen',
    greeting_removed: 'Hälsningsfras borttagen', name_recording_received: 'Inspelat namn mottaget',
    voicemail_received: 'Röstmeddelande mottaget', callback: 'Återuppringd', decision: 'Beslut',
    greeting_reviewed: 'Hälsningsfras granskad', voicemail_packaged: 'Arkivpaket gjort',
    voicemail_archived: 'Arkiverat i e-arkivet',
    voicemail_handed_over: 'Lämnat över till handläggare', unit_created: 'Enhet skapad', unit_updated: 'Enhet ändrad',
    sweep_run: 'Nattlig kontroll startad', sweep_done: 'Nattlig kontroll klar', disposed: 'Gallrat',
    sign_in: 'Inloggning', sign_in_refused: 'Inloggning nekad', sign_out: 'Utloggning',
    organisation_created: 'Organisation skapad', organisation_updated: 'Organisation ändrad',
    organisations_listed: 'Listade organisationer', organisation_read: 'Läste en organisation',
  },
  param: {
    classification: 'klassning', decision: 'beslut', unit: 'enhet', ext: 'anknytning', from: 'från och med',
    to: 'till', limit: 'antal', after: 'efter', compliant: 'följer policyn', email: 'e-post', date: 'datum',
    dry_run: 'på prov', format: 'format', voicemail: 'röstmeddelande', actor: 'vem', organisation: 'organisation',
  },
  role: { officer: 'registrator', admin: 'administratör', manager: 'chef', pbx: 'växel' },
  error: {
    invalid_argument: 'en uppgift är felaktig', unauthorized: 'nyckeln stämmer inte, eller inloggningen har gått ut',
    forbidden: 'din roll får inte göra det', not_found: 'finns inte', method_not_allowed: 'går inte att göra så',
    sweep_running: 'den nattliga kontrollen pågår, försök igen om en stund',
    conflict: 'går inte i det här läget', disposed: 'gallrat', too_large: 'för stort', too_long: 'för långt',
    unsupported_audio: 'okänt ljudformat', unsupported_media_type: 'fel sorts innehåll',
    unprocessable: 'uppgiften kan inte användas', corrupt_audio: 'trasigt ljud', truncated_audio: 'avbrutet ljud',
    queue_full: 'analyskön är full, försök igen om en stund', stopping: 'tjänsten stängs, försök igen om en stund',
    busy: 'arkivet är upptaget, försök igen om en stund', disk_full: 'arkivets disk är full',
    io_error: 'läs- eller skrivfel i arkivet', config_error: 'fel i tjänstens inställningar',
    out_of_memory: 'minnet tog slut', internal_error: 'internt fel i tjänsten',
    network_error: 'ingen kontakt med tjänsten',
  },
};

/* The word for code in group; an unknown code is shown as "okänt (code)"
 * rather than passed off as Swedish. */
function word(group, code) {
  if (code === null || code === undefined || code === '') return '';
  return WORDS[group][code] || 'okänt (' + code + ')';
}
const words = (group, codes) => (codes || []).map((c) => word(group, c)).join(', ');
const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);

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
  /* said at the top of the page: brought into view, wherever the person is */
  if (text && s.scrollIntoView) s.scrollIntoView({ block: 'nearest' });
}

/* A name in the genitive: Anna's is "Annas", Lars's "Lars". */
const genitive = (n) => (/[sxz]$/i.test(n || '') ? n : (n || '') + 's');

/* An answer other than 2xx: its HTTP status and the API's error code; its
 * message is the code's Swedish word (the API's own text is English). */
/* A read answered after the person went to another page: its page is not drawn. */
class Stale extends Error {}

class ApiError extends Error {
  constructor(status, code, detail) {
    super(WORDS.error[code] || 'fel ' + status);
    this.status = status;
    this.code = code;
    this.detail = detail || ''; /* the API's own words: read to pick the field, never shown */
  }
}

async function call(path, opt) {
  try { return await fetch(path, opt); } catch (e) { throw new ApiError(0, 'network_error'); }
}

async function failure(r) {
  const j = await r.json().catch(() => null);
  return new ApiError(r.status, j && j.error && j.error.code, j && j.error && j.error.message);
}

async function api(method, path, body) {
  /* no-store: every read reaches the service (and its audit), none is
   * answered from the browser's cache */
  const opt = { method, headers: {}, credentials: 'same-origin', cache: 'no-store' };
  if (method !== 'GET' && state.csrf) opt.headers['X-CSRF-Token'] = state.csrf;
  if (body !== undefined) {
    opt.headers['Content-Type'] = 'application/json';
    opt.body = JSON.stringify(body);
  }
  /* a read for a page the person has left is not drawn: checked when the
   * answer's headers come and again once its body is read, as another page
   * may be asked for and drawn in between */
  const seq = state.seq;
  const stale = () => method === 'GET' && seq !== state.seq;
  const r = await call(path, opt);
  if (stale()) throw new Stale();
  if (r.status === 401 && path !== '/v1/session') {
    state.me = null;
    state.flash = 'Sessionen har gått ut. Logga in igen.';
    showSignedIn();
    wantAfterSignIn(location.hash);
    location.hash = '#/logga-in';
    throw new ApiError(401, 'unauthorized');
  }
  if (!r.ok) {
    const e = await failure(r);
    throw stale() ? new Stale() : e;
  }
  const j = await r.json();
  if (stale()) throw new Stale();
  return j;
}

/* Make and save voicemail id's package: a POST, as making it is recorded
 * in the voicemail's history; the tar is saved under the name the service
 * gives it. */
async function savePackage(id) {
  const headers = state.csrf ? { 'X-CSRF-Token': state.csrf } : {};
  const r = await call('/v1/voicemails/' + id + '/package', { method: 'POST', headers, credentials: 'same-origin' });
  if (!r.ok) throw await failure(r);
  const m = /filename="([^"]+)"/.exec(r.headers.get('Content-Disposition') || '');
  const url = URL.createObjectURL(await r.blob());
  const a = el('a', { href: url, download: m ? m[1] : 'arkivpaket.tar', hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/* The body's time zone: dates and times are shown and filtered in it,
 * whatever the browser's own zone is (Europe/Mariehamn for an Åland body). */
function zone() {
  const me = state.me;
  if (!me) return 'Europe/Stockholm';
  /* a page of one organisation (picked, or a voicemail's): that one's */
  const o = state.pageOrg && (me.organisations || []).find((x) => x.id === state.pageOrg);
  return (o && o.time_zone) || me.time_zone || 'Europe/Stockholm';
}

function when(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString('sv-SE', { dateStyle: 'short', timeStyle: 'short', timeZone: zone() });
}

/* Today's date, YYYY-MM-DD, in the body's time zone. */
function today() {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: zone(), year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(new Date());
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

/* A table; each cell also carries its column's name, which narrow screens
 * show when the rows become cards. */
function table(caption, heads, rows) {
  for (const r of rows) [...r.children].forEach((c, i) => { if (heads[i]) c.dataset.label = heads[i]; });
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

/* An error at its field: said beside it, tied to it with aria-describedby,
 * and the focus moved there. */
function fieldError(input, text) {
  const id = input.id + '-fel';
  let msg = document.getElementById(id);
  if (!msg) {
    msg = el('p', { id, class: 'field-error' });
    input.after(msg);
  }
  msg.textContent = text;
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', id);
  input.focus();
}

function clearFieldError(input) {
  document.getElementById(input.id + '-fel')?.remove();
  input.removeAttribute('aria-invalid');
  input.removeAttribute('aria-describedby');
}

function select(name, options, value) {
  return el('select', { name }, Object.entries(options).map(([v, t]) =>
    el('option', { value: v, selected: v === (value || '') ? true : null, text: t })));
}

/* Draw into a box at its own width, again whenever that changes: the SVG's
 * units are then screen pixels, and its text keeps its size at any width. */
function drawn(cls, draw) {
  const box = el('div', { class: cls });
  let last = 0;
  new ResizeObserver(() => {
    const w = Math.floor(box.clientWidth);
    if (w > 0 && w !== last) {
      last = w;
      box.replaceChildren(draw(w));
    }
  }).observe(box);
  return box;
}

/* Draw the page again after a change, then say what was done (a failed
 * redraw leaves the change done). */
async function redraw(draw, done) {
  try { await draw(); } catch (e) {
    if (e instanceof Stale) return;
    say(done + ' Sidan kunde inte visas på nytt: ' + e.message + '.', true);
    return;
  }
  say(done);
}

/* ---- sign-in ---- */

/* The page asked for before sign-in, shown once signed in. */
function wantAfterSignIn(hash) {
  if (hash && hash !== '#/' && !hash.startsWith('#/logga-in')) state.next = hash;
}

function showSignedIn() {
  const nav = document.getElementById('nav'), who = document.getElementById('who');
  nav.hidden = who.hidden = !state.me;
  if (!state.me) return;
  document.getElementById('who-name').textContent = state.me.name + ' (' + word('role', state.me.role) + ')';
  for (const li of nav.querySelectorAll('li')) li.hidden = !li.dataset.roles.split(' ').includes(state.me.role);
  if (state.me.organisations) showOrganisations();
  else { // a sign-in's answer does not name them: the session does (not api(): a page change may not drop it)
    fetch('/v1/session', { credentials: 'same-origin', cache: 'no-store' }).then((r) => (r.ok ? r.json() : null)).then((me) => {
      if (!state.me || !me) return;
      state.me.organisations = me.organisations;
      state.me.every_organisation = me.every_organisation;
      showOrganisations();
    }).catch(() => { /* the page works without the names */ });
  }
}

// Whose records the pages show: the authorities the signed-in person acts for.
function showOrganisations() {
  const orgs = state.me.organisations || [], span = document.getElementById('who-orgs');
  span.textContent = state.me.every_organisation ? (orgs.length > 1 ? '· alla organisationer' : '')
    : orgs.length ? '· ' + orgs.map((o) => o.name).join(', ') : '';
  span.title = orgs.map((o) => o.name).join(', ');
}

/* The organisations the signed-in person acts for, {id, name} each: the
 * sign-in's answer does not name them, the session does. */
async function myOrgs() {
  const me = state.me, seq = state.seq;
  if (me && !me.organisations) {
    const r = await call('/v1/session', { credentials: 'same-origin', cache: 'no-store' });
    const j = r.ok ? await r.json().catch(() => null) : null;
    if (j && state.me === me) {
      me.organisations = j.organisations;
      me.every_organisation = j.every_organisation;
      me.time_zone = j.time_zone;
      showOrganisations();
    }
    if (seq !== state.seq) throw new Stale(); /* as api() reads: for a page left meanwhile, nothing */
  }
  return (me && me.organisations) || [];
}

const orgName = (orgs, id) => (orgs.find((o) => o.id === id) || {}).name || id || '';

/* For a person of several organisations: which one a list shows (none
 * chosen: all of theirs). */
function orgPicker(orgs, value) {
  const opts = { '': 'Alla organisationer' };
  for (const o of orgs) opts[o.id] = o.name;
  return select('organisation', opts, value);
}

/* The organisation picked on one page is the next page's too, in this tab
 * until sign-out: a page's own organisation= first ("": all of theirs). */
function pickedOrg(q) {
  let id = '';
  if (q.has('organisation')) id = q.get('organisation');
  else try { id = sessionStorage.getItem('organisation') || ''; } catch (e) { /* none kept */ }
  state.pageOrg = id; /* its dates in its time zone */
  return id;
}
function keepOrg(picker) {
  if (!picker) return;
  try { sessionStorage.setItem('organisation', picker.value); } catch (e) { /* picked again on each page */ }
}

/* Whose records a page shows: the organisation picked, or the person's own. */
function whose(orgs, id) {
  if (id) return el('p', { class: 'org' }, 'Organisation: ', el('strong', { text: orgName(orgs, id) }));
  if (!orgs.length) return null;
  return el('p', { class: 'org' }, orgs.length === 1 ? 'Organisation: ' : 'Organisationer: ',
    el('strong', { text: orgs.map((o) => o.name).join(', ') }));
}

/* A unit picker where there are several units to pick from (a manager's:
 * those they manage); with one, the unit named. */
function unitChoice(units, value) {
  if (units.length > 1) return { input: unitPicker(units, value), shown: null };
  return { input: null, shown: units.length ? el('p', { class: 'unit' }, 'Enhet: ', el('strong', { text: units[0] })) : null };
}

function home() {
  if (!state.me) return '#/logga-in';
  return state.me.role === 'manager' ? '#/halsningsfraser' : state.me.role === 'admin' ? '#/logg' : '#/inkorg';
}

function signInPage() {
  wantAfterSignIn(location.hash);
  const token = el('input', { type: 'password', name: 'token', autocomplete: 'current-password', required: true });
  const form = el('form', { class: 'signin', onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const me = await api('POST', '/v1/session', { token: token.value });
      token.value = '';
      /* the session as GET answers it: its organisations and time zone too */
      const full = await api('GET', '/v1/session').catch(() => null);
      state.me = full && full.name === me.name ? full : me;
      state.csrf = me.csrf;
      showSignedIn();
      const next = state.next || home();
      state.next = null;
      const hello = 'Du är inloggad som ' + me.name + '.';
      if (location.hash === next) {
        await route();
        say(hello);
      } else {
        state.notice = hello;
        location.hash = next;
      }
    } catch (e) {
      say(e.status === 403 ? 'Den nyckeln kan inte logga in i webbappen.'
        : e.status === 401 ? 'Nyckeln stämmer inte. Kontrollera den och försök igen.'
          : 'Kunde inte logga in: ' + e.message + '.', true);
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

/* The units a picker offers: every unit the directory has and every unit
 * put with its managers (GET /v1/units), once each whatever the case. */
async function knownUnits() {
  const u = await api('GET', '/v1/units');
  const names = new Map();
  for (const x of u.items || []) if (!names.has(unitKey(x.name))) names.set(unitKey(x.name), x.name);
  return [...names.values()].sort((a, b) => a.localeCompare(b, 'sv'));
}

function unitPicker(units, value) {
  const pick = units.find((u) => unitKey(u) === unitKey(value)) || value || '';
  const opts = { '': 'Alla enheter' };
  for (const u of units) opts[u] = u;
  if (pick && !(pick in opts)) opts[pick] = pick;
  return select('unit', opts, pick);
}

/* Every item of a list that pages with "next" (as after=). */
async function allPages(path) {
  const items = [];
  let after = null;
  for (let i = 0; i < 1000; i++) {
    const j = await api('GET', path + (after ? '&after=' + encodeURIComponent(after) : ''));
    items.push(...j.items);
    if (!j.next) break;
    after = j.next;
  }
  return items;
}

/* The inbox's link with one of its filters changed; the cursors dropped
 * unless given. */
function inboxLink(params, change) {
  const n = new URLSearchParams(params);
  n.delete('after');
  n.delete('before');
  for (const [k, v] of Object.entries(change)) if (v === null) n.delete(k); else n.set(k, v);
  return '#/inkorg?' + n.toString();
}

async function inboxPage(params) {
  const q = new URLSearchParams(params);
  const [units, orgs] = await Promise.all([knownUnits(), myOrgs()]);
  const org = orgs.length > 1 ? orgPicker(orgs, pickedOrg(q)) : null;
  keepOrg(org);
  const f = {
    ...(org ? { organisation: org } : {}),
    classification: select('classification', { '': 'Alla', ...WORDS.classification }, q.get('classification')),
    decision: select('decision', { none: 'Obeslutade', any: 'Beslutade', '': 'Alla' }, q.has('decision') ? q.get('decision') : 'none'),
    listened: select('listened', { '': 'Alla', false: 'Nya (ingen har lyssnat)', true: 'Lyssnade' }, q.get('listened')),
    unit: unitPicker(units, q.get('unit')),
    q: el('input', { name: 'q', type: 'search', value: q.get('q') || '', size: 16 }),
    caller: el('input', { name: 'caller', type: 'search', inputmode: 'tel', value: q.get('caller') || '', size: 14 }),
    from: el('input', { name: 'from', type: 'date', value: q.get('from') || '' }),
    to: el('input', { name: 'to', type: 'date', value: q.get('to') || '' }),
  };
  const form = el('form', { class: 'filters', onsubmit: (ev) => {
    ev.preventDefault();
    clearFieldError(f.to);
    if (f.from.value && f.to.value && f.to.value < f.from.value) { /* else an empty list and no word why */
      fieldError(f.to, 'Till och med är före Från och med: byt plats på datumen.');
      return;
    }
    const n = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) n.set(k, v.value.trim());
    if (q.get('limit')) n.set('limit', q.get('limit'));
    location.hash = '#/inkorg?' + n.toString();
  } },
  org ? field('Organisation', org) : null,
  field('Klassning', f.classification), field('Beslut', f.decision), field('Lyssnat', f.listened), field('Enhet', f.unit),
  field('Brevlåda (namn eller anknytning)', f.q), field('Uppringarens nummer', f.caller),
  field('Från och med', f.from), field('Till och med', f.to),
  el('button', { type: 'submit', class: 'primary', text: 'Filtrera' }));
  /* one click: today's (local dates: the API's too), and those nobody has listened to */
  const d = today();
  const isToday = q.get('from') === d && q.get('to') === d;
  const isNew = q.get('listened') === 'false';
  const picked = org && org.value ? { organisation: org.value } : {};
  const quick = el('p', { class: 'quick' },
    el('a', { href: '#/inkorg?' + new URLSearchParams({ decision: '', from: d, to: d, ...picked }), text: 'Idag',
      'aria-current': isToday ? 'true' : null }), ' ',
    el('a', { href: '#/inkorg?' + new URLSearchParams({ decision: '', listened: 'false', ...picked }), text: 'Nya',
      'aria-current': isNew ? 'true' : null }));
  const owner = whose(orgs, org && org.value);
  page('Inkorg', owner, quick, form, el('p', { text: 'Hämtar …' }));
  const limit = /^\d{1,3}$/.test(q.get('limit') || '') ? q.get('limit') : '25';
  const a = new URLSearchParams({ limit });
  for (const k of ['organisation', 'classification', 'unit', 'q', 'caller', 'listened', 'from', 'to']) if (f[k] && f[k].value.trim()) a.set(k, f[k].value.trim());
  /* a number as people write it: 070-123 45 67 */
  if (a.has('caller')) a.set('caller', a.get('caller').replace(/[\s()-]/g, ''));
  if (f.decision.value) a.set('decision', f.decision.value);
  for (const k of ['after', 'before']) if (q.get(k)) a.set(k, q.get(k));
  const j = await api('GET', '/v1/voicemails?' + a.toString());
  const now = today();
  const rows = j.items.map((v) => el('tr', {},
    el('td', {}, el('a', { href: '#/rostmeddelande/' + v.id, text: when(v.received_at) }),
      v.listened_at ? null : [el('br'), el('span', { class: 'new', text: 'Ny' })]),
    el('td', {}, (v.name || '') + ', ' + (v.unit || ''), el('br'), el('span', { class: 'muted', text: 'ankn. ' + v.ext })),
    el('td', { text: v.caller || 'okänt nummer' }),
    el('td', { text: seconds(v.duration_s) }),
    el('td', {}, el('strong', { text: v.classification ? word('classification', v.classification) : word('state', v.state) }),
      v.reasons && v.reasons.length ? [el('br'), words('reason', v.reasons)] : null),
    el('td', {}, v.decision ? word('decision', v.decision) : 'Inget beslut',
      overdue(v, now) ? [el('br'), el('span', { class: 'bad', text: 'Återuppringning försenad' })] : null)));
  const pager = el('nav', { class: 'pager', 'aria-label': 'Sidor' });
  if (j.prev) pager.append(el('a', { href: inboxLink(params, { before: j.prev }), rel: 'prev', text: 'Föregående sida' }), ' ');
  if (j.next) pager.append(el('a', { href: inboxLink(params, { after: j.next }), rel: 'next', text: 'Nästa sida' }));
  const count = j.total === 1 ? '1 röstmeddelande' : j.total + ' röstmeddelanden';
  page('Inkorg', owner, quick, form,
    el('p', { class: 'total', role: 'status', text: count + (j.items.length && j.total > j.items.length ? ', ' + j.items.length + ' på sidan' : '') + '.' }),
    table('Röstmeddelanden, nyast först', ['Mottaget', 'Brevlåda', 'Uppringare', 'Längd', 'Klassning och skäl', 'Beslut'], rows),
    pager);
}

/* A call-back not made by its deadline (a date of the body's calendar). */
const overdue = (v, now) => Boolean(v.callback_deadline && !v.callback_at && v.callback_deadline < now);

/* ---- Röstmeddelande ---- */

/* The timeline at width w: speech, the case words, and the playhead at
 * the player's time. */
function timeline(a, w, player) {
  const dur = Math.max(a.duration_s || 0, 0.1), W = Math.max(w, 200), H = 72, L = 8, R = 8;
  const x = (t) => L + (Math.min(Math.max(t, 0), dur) / dur) * (W - L - R);
  const segs = (a.signal && a.signal.speech_segments) || [];
  const kws = a.keywords || [];
  const desc = segs.length + ' stycken tal' + (kws.length ? '; ärendeord: ' +
    kws.map((k) => k.word + ' vid ' + k.at_s.toFixed(1).replace('.', ',') + ' s').join(', ') : '');
  const head = svg('line', { class: 'playhead', x1: x(player.currentTime || 0), x2: x(player.currentTime || 0), y1: 24, y2: 52,
    stroke: '#1b1b1b', 'stroke-width': 3 });
  const move = () => { head.setAttribute('x1', x(player.currentTime)); head.setAttribute('x2', x(player.currentTime)); };
  for (const ev of ['timeupdate', 'seeked', 'loadedmetadata']) player.addEventListener(ev, move);
  return svg('svg', { class: 'timeline', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Tidslinje: ' + desc },
    svg('rect', { class: 'track', x: L, y: 31, width: W - L - R, height: 14, fill: '#e6e6e6' }),
    segs.map((s) => svg('rect', { x: x(s.start_s), y: 31, width: Math.max(1, x(s.end_s) - x(s.start_s)), height: 14, fill: '#0b4f9c' })),
    kws.map((k) => [svg('line', { x1: x(k.at_s), x2: x(k.at_s), y1: 22, y2: 50, stroke: '#a32020', 'stroke-width': 2 }),
      svg('text', { x: Math.min(x(k.at_s) + 3, W - 8 * k.word.length), y: 17, 'font-size': 13, fill: '#a32020' }, k.word)]),
    head,
    svg('text', { x: L, y: 66, 'font-size': 12, fill: '#4a4a4a' }, '0 s'),
    svg('text', { x: W - R, y: 66, 'font-size': 12, fill: '#4a4a4a', 'text-anchor': 'end' }, dur.toFixed(1).replace('.', ',') + ' s'));
}

/* The player: the audio, its buttons, the case words to play from, and
 * keys that act only while the player has focus (K play and pause, J and
 * L five seconds back and forward), so that they take no key a screen
 * reader uses elsewhere on the page. */
function playerBox(v, a) {
  /* nothing fetched until it is played: every fetch of the audio is a
   * listen in the audit and in "Nya" */
  const audio = el('audio', { controls: true, preload: 'none', src: '/v1/voicemails/' + v.id + '/audio', 'aria-label': 'Röstmeddelandet' });
  const jump = (s) => { audio.currentTime = Math.min(Math.max(0, audio.currentTime + s), audio.duration || a.duration_s || 0); };
  const toggle = () => { if (audio.paused) audio.play().catch(() => {}); else audio.pause(); };
  const playFrom = (t) => { audio.currentTime = t; audio.play().catch(() => {}); };
  const play = el('button', { type: 'button', text: 'Spela', onclick: toggle });
  for (const [ev, t] of [['play', 'Pausa'], ['pause', 'Spela'], ['ended', 'Spela']]) audio.addEventListener(ev, () => { play.textContent = t; });
  const kws = a.keywords || [];
  const box = el('div', { class: 'player', role: 'group', 'aria-label': 'Spelare', onkeydown: (ev) => {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const act = { k: toggle, j: () => jump(-5), l: () => jump(5) }[ev.key.toLowerCase()];
    if (act) { ev.preventDefault(); act(); }
  } },
  audio,
  el('p', { class: 'buttons' }, el('button', { type: 'button', text: '5 s bakåt', onclick: () => jump(-5) }), ' ', play, ' ',
    el('button', { type: 'button', text: '5 s framåt', onclick: () => jump(5) })),
  kws.length ? el('p', {}, 'Ärendeord, spela härifrån: ', kws.map((k) => [el('button', { type: 'button', class: 'word',
    text: k.word + ' (' + k.at_s.toFixed(1).replace('.', ',') + ' s)', onclick: () => playFrom(k.at_s) }), ' '])) : null,
  /* null: never listened for (no models), which is not "none heard" */
  a.keywords === null && v.state === 'analysed' && v.classification !== 'empty'
    ? el('p', { class: 'muted', text: 'Ärendeord har inte letats efter i det här meddelandet: lyssna på hela.' }) : null,
  drawn('timeline-box', (w) => timeline(a, w, audio)));
  return box;
}

/* The next voicemail without a decision after voicemail id (older, as the
 * inbox lists them; else the newest), or null. */
async function nextUndecided(id) {
  const older = await api('GET', '/v1/voicemails?decision=none&limit=1&after=' + id);
  if (older.items.length) return older.items[0].id;
  const newest = await api('GET', '/v1/voicemails?decision=none&limit=1');
  return newest.items.length && newest.items[0].id !== Number(id) ? newest.items[0].id : null;
}

/* Hand the voicemail to the person who is to deal with it: a mail with
 * its link, audited. */
function handoverBox(v) {
  const to = el('input', { name: 'to', type: 'email', autocomplete: 'email', size: 30 });
  const note = el('textarea', { name: 'handover-note', rows: 2, cols: 40, maxlength: 2000 });
  const form = el('form', { class: 'handover', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    clearFieldError(to);
    if (!/^[^@\s]+@[^@\s]+$/.test(to.value.trim())) {
      fieldError(to, 'Skriv handläggarens e-postadress.');
      return;
    }
    const body = { to: to.value.trim() };
    if (note.value.trim()) body.note = note.value.trim();
    let r;
    try {
      r = await api('POST', '/v1/voicemails/' + v.id + '/handover', body);
    } catch (e) {
      if (e.status === 422) fieldError(to, 'Adressen kan inte användas: ' + e.message + '.');
      else say('Meddelandet lämnades inte över: ' + e.message + '.', true);
      return;
    }
    to.value = '';
    note.value = '';
    say(r.sent ? 'Lämnat över: ett mejl med länken har skickats till ' + r.to + '.'
      : 'Lämnat över till ' + r.to + ', men mejlet kunde inte skickas nu. Det skickas vid nästa nattliga kontroll.', !r.sent);
  } },
  field('Handläggarens e-post', to), field('Meddelande till handläggaren', note),
  el('p', {}, el('button', { type: 'submit', text: 'Lämna över' })));
  return [el('h2', { text: 'Lämna över till handläggare' }),
    el('p', { class: 'muted', text: 'Handläggaren får ett mejl med en länk hit. Överlämningen loggas.' }), form];
}

/* Why the service refused a decision, in Swedish: by the field it names and
 * the answer's status. */
function decisionError(name, e) {
  const m = e.detail || '';
  if (e.status === 409 && /e-archive/.test(m)) return 'meddelandet är lämnat till e-arkivet och kan inte gallras';
  if (e.status === 409) return 'inspelningen är redan gallrad';
  if (name === 'diarienummer' && /form/.test(m)) {
    return 'diarienumret har inte den form myndigheten använder (' + (m.split(' is not of the form ')[1] || '') + ')';
  }
  if (name === 'diarienummer') return 'skriv ett diarienummer (bara mellanslag räknas inte)';
  if (name === 'arendemening') return 'skriv ärendemeningen';
  if (name === 'sekretess') return 'ange sekretessen med kapitel och paragraf i OSL, till exempel "OSL 26 kap. 1 §"';
  if (name === 'ground' && /does not cover/.test(m)) return 'myndighetens gallringsbeslut täcker inte den grunden';
  if (name === 'ground') return 'välj om meddelandet är av tillfällig eller ringa betydelse';
  if (name === 'reason') return 'skriv varför beslutet ändras';
  if (/gallringsbeslut/.test(m)) {
    return 'myndigheten har inte angett något gallringsbeslut, så inget kan gallras här. ' +
      'Välj ett annat beslut, eller be den som administrerar rostvakt att föra in gallringsbeslutet för organisationen';
  }
  return 'tjänsten svarade ' + (e.status || 'inte');
}

async function voicemailPage(id, decided) {
  const [v, orgs] = await Promise.all([api('GET', '/v1/voicemails/' + encodeURIComponent(id)), myOrgs()]);
  const next = decided ? await nextUndecided(v.id) : undefined;
  const a = v.analysis || {};
  const o = v.owner || {};
  state.pageOrg = o.organisation || ''; /* its times in its organisation's zone (by id) */
  const dnr = el('input', { name: 'diarienummer' });
  const subject = el('input', { name: 'arendemening', size: 40 });
  const secrecy = el('input', { name: 'sekretess', placeholder: 'OSL 26 kap. 1 §' });
  const reason = el('textarea', { name: 'reason', rows: 2, cols: 40 });
  const note = el('textarea', { name: 'note', rows: 3, cols: 40 });
  const grounds = el('fieldset', { class: 'radio', id: 'grund' }, el('legend', { text: 'Gallras som en handling av' }),
    Object.keys(WORDS.ground).map((g) =>
      el('label', {}, el('input', { type: 'radio', name: 'ground', value: g }), ' ', word('ground', g))));
  const LAW = {
    registrera: 'förs in i diariet (OSL 5 kap. 1 §)',
    halls_ordnad: 'allmän handling som hålls ordnad utan att registreras (OSL 5 kap. 1 § andra stycket)',
    gallras: 'förstörs enligt myndighetens gallringsbeslut',
    privat: 'gällde mottagaren personligen och är inte en allmän handling',
  };
  const choices = el('fieldset', { class: 'radio' }, el('legend', { text: 'Beslut' }),
    Object.keys(WORDS.decision).map((d) =>
      el('label', {}, el('input', { type: 'radio', name: 'decision', value: d }), ' ', word('decision', d),
        el('span', { class: 'muted', text: ' – ' + LAW[d] }))));
  const decidedBefore = (v.decisions || []).length > 0;
  const canDecide = state.me.role === 'officer';
  const fields = { diarienummer: dnr, arendemening: subject, sekretess: secrecy, reason, ground: grounds };
  const form = el('form', { novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    Object.values(fields).forEach((f) => f.tagName === 'FIELDSET' ? f.querySelector('.field-error')?.remove() : clearFieldError(f));
    choices.querySelector('.field-error')?.remove();
    const picked = form.querySelector('input[name=decision]:checked');
    if (!picked) {
      const first = choices.querySelector('input');
      choices.append(el('p', { id: 'beslut-fel', class: 'field-error', text: 'Välj ett beslut.' }));
      choices.setAttribute('aria-describedby', 'beslut-fel');
      first.focus();
      return;
    }
    const d = picked.value;
    const groundError = (text) => {
      grounds.append(el('p', { id: 'grund-fel', class: 'field-error', text }));
      grounds.setAttribute('aria-describedby', 'grund-fel');
      grounds.querySelector('input').focus();
    };
    if (d === 'registrera' && !dnr.value.trim()) {
      fieldError(dnr, 'Skriv diarienumret: ett registrerat meddelande behöver ett diarienummer.');
      return;
    }
    if (d === 'registrera' && !subject.value.trim()) {
      fieldError(subject, 'Skriv ärendemeningen: vad meddelandet gäller, i korthet.');
      return;
    }
    const ground = form.querySelector('input[name=ground]:checked');
    if (d === 'gallras' && !ground) { groundError('Välj om meddelandet är av tillfällig eller ringa betydelse.'); return; }
    if (decidedBefore && !reason.value.trim()) {
      fieldError(reason, 'Skriv varför beslutet ändras: det sparas i loggen med det gamla och det nya.');
      return;
    }
    /* what was typed for a registration is not thrown away unseen: the
     * service would refuse it too (a diarienummer with another decision) */
    const stray = d !== 'registrera' && [dnr, subject, secrecy].find((x) => x.value.trim());
    if (stray) {
      fieldError(stray, 'Fältet hör till Registrera: töm det, eller välj Registrera.');
      return;
    }
    const body = { decision: d };
    if (d === 'registrera') {
      body.diarienummer = dnr.value.trim();
      body.arendemening = subject.value.trim();
      if (secrecy.value.trim()) body.sekretess = secrecy.value.trim();
    }
    if (d === 'gallras') body.ground = ground.value;
    if (reason.value.trim()) body.reason = reason.value.trim();
    if (note.value) body.note = note.value;
    try {
      await api('POST', '/v1/voicemails/' + v.id + '/decision', body);
    } catch (e) {
      /* the service names the field first ("diarienummer: ..."); said in Swedish at that field */
      const at = /^(\w+):/.exec(e.detail || '');
      const name = at ? at[1] : '';
      const f = fields[name];
      const text = 'Beslutet sparades inte: ' + decisionError(name, e) + '.';
      if (name === 'reason' && !decidedBefore) { /* someone decided meanwhile: their decision shown, then asked again */
        await redraw(() => voicemailPage(id), '');
        say('Beslutet sparades inte: ett annat beslut har fattats under tiden, se beslutshistoriken. ' +
          'Vill du ändra det, välj beslut igen och skriv varför.', true);
        return;
      }
      if (f && !f.isConnected) say(text, true);
      else if (f && f.tagName === 'FIELDSET') groundError(text);
      else if (f) fieldError(f, text);
      else say(text, true);
      return;
    }
    await redraw(() => voicemailPage(id, true), 'Beslutet är sparat: ' + word('decision', d) + '.');
  } },
  v.classification ? el('p', { class: 'suggestion', text: 'Tjänstens förslag: ' + word('classification', v.classification) +
    '. Förslaget är inget beslut.' }) : null,
  choices,
  field('Diarienummer (vid registrering)', dnr), field('Ärendemening (vid registrering)', subject),
  field('Sekretessmarkering med OSL-hänvisning (vid registrering, om sekretess kan gälla)', secrecy),
  grounds,
  decidedBefore ? field('Skäl till ändrat beslut', reason) : null,
  field('Anteckning', note),
  el('p', {}, el('button', { type: 'submit', class: 'primary', text: 'Spara beslut' })));
  const history = (v.decisions || []).map((d) => el('tr', {},
    el('td', { text: when(d.decided_at) }), el('td', { text: word('decision', d.decision) }),
    el('td', { text: [d.diarienummer, d.arendemening, d.sekretess, d.ground ? word('ground', d.ground) : '',
      d.gallringsbeslut ? 'gallringsbeslut ' + d.gallringsbeslut : ''].filter(Boolean).join(', ') }),
    el('td', { text: [d.reason ? 'Skäl: ' + d.reason : '', d.note || ''].filter(Boolean).join('. ') }),
    el('td', { text: d.actor })));
  /* hand-over to the e-archive: the package, then the archive's reference */
  const last = (v.decisions || []).slice(-1)[0];
  const ref = el('input', { name: 'reference' });
  const archForm = el('form', { onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      await api('POST', '/v1/voicemails/' + v.id + '/archived', { reference: ref.value });
    } catch (e) { say('Referensen sparades inte: ' + e.message + '.', true); return; }
    await redraw(() => voicemailPage(id), 'E-arkivets referens är sparad.');
  } }, field('E-arkivets referens', ref), el('p', {}, el('button', { type: 'submit', text: 'Spara referens' })));
  const archive = last && last.decision === 'registrera' && canDecide && !v.disposed_at ? [
    el('h2', { text: 'E-arkiv' }),
    el('p', {}, el('button', { type: 'button', class: 'package', text: 'Hämta arkivpaketet (FGS Paketstruktur 2.0)', onclick: async () => {
      try {
        await savePackage(v.id);
      } catch (e) { say('Arkivpaketet gjordes inte: ' + e.message + '.', true); return; }
      await redraw(() => voicemailPage(id), 'Arkivpaketet är gjort och hämtat. Lämna det till e-arkivet och spara sedan arkivets referens.');
    } })),
    v.archived_at ? el('p', { text: 'Arkiverat ' + when(v.archived_at) + ', referens ' + v.archive_ref + '.' })
      : v.packaged_at ? archForm
        : el('p', { class: 'muted', text: 'Hämta paketet och lämna det till e-arkivet; spara sedan arkivets referens här.' })] : [];
  const events = (v.events || []).map((e) => el('tr', {},
    el('td', { text: when(e.at) }), el('td', { text: word('event', e.event) }), el('td', { text: e.detail || '' }),
    el('td', { text: e.actor })));
  const late = overdue(v, today());
  page('Röstmeddelande ' + v.id,
    el('p', {}, el('a', { href: '#/inkorg', text: '← Till inkorgen' })),
    el('dl', { class: 'facts' },
      el('dt', { text: 'Mottaget' }), el('dd', { text: when(v.received_at) }),
      el('dt', { text: 'Uppringare' }), el('dd', { text: v.caller || 'okänt nummer' }),
      el('dt', { text: 'Brevlåda' }), el('dd', { text: `${o.first_name || ''} ${o.last_name || ''}, ${o.unit || ''}, ${o.org || ''} (ankn. ${v.ext})` }),
      o.organisation ? [el('dt', { text: 'Organisation' }), el('dd', { class: 'org', text: orgName(orgs, o.organisation) })] : null,
      el('dt', { text: 'Längd' }), el('dd', { text: seconds(a.duration_s) }),
      el('dt', { text: 'Klassning' }), el('dd', { text: (v.classification ? word('classification', v.classification) : word('state', v.state)) +
        (a.reasons && a.reasons.length ? ' (' + words('reason', a.reasons) + ')' : '') }),
      el('dt', { text: 'Återuppringning' }), el('dd', {}, v.callback_at ? 'återuppringd ' + when(v.callback_at)
        : 'ska ske senast ' + (v.callback_deadline || '–'), late ? [' ', el('strong', { class: 'bad', text: 'försenad' })] : null),
      el('dt', { text: 'Har lyssnat' }), el('dd', { class: 'listens' }, (v.listens || []).length
        ? v.listens.map((l, i) => [i ? '; ' : '', l.name + ' ' + when(l.at) + (l.times > 1 ? ' (senast ' + when(l.last_at) + ')' : '')])
        : 'ingen än'),
      (v.handovers || []).length ? [el('dt', { text: 'Lämnat över' }), el('dd', { class: 'handovers' },
        v.handovers.map((h, i) => [i ? '; ' : '', 'till ' + h.to + ' av ' + h.by + ' ' + when(h.at)]))] : null),
    el('h2', { text: 'Lyssna' }), v.disposed_at
      ? el('p', { class: 'disposed', text: 'Inspelningen gallrades ' + when(v.disposed_at) + ' och kan inte spelas upp.' })
      : playerBox(v, a),
    v.disposed_at ? null : [
      el('p', { class: 'muted', text: 'Blått: tal. Rött: ärendeord som hördes. Svart streck: var uppspelningen är.' }),
      el('p', { class: 'muted', text: 'Tangenter när spelaren har fokus: K spelar och pausar, J går 5 sekunder bakåt, L 5 sekunder framåt. ' +
        'På själva spelaren går även mellanslag och piltangenterna.' })],
    el('h2', { text: 'Beslut' }),
    next === undefined ? null : el('p', {}, next ? el('a', { class: 'next-undecided', href: '#/rostmeddelande/' + next, text: 'Nästa obeslutade →' })
      : 'Inga fler obeslutade röstmeddelanden.'),
    v.disposed_at ? el('p', { text: 'Inspelningen är gallrad: inga fler beslut eller överlämningar görs om den.' })
      : canDecide ? form : el('p', { text: 'Beslut fattas av registrator.' }),
    canDecide && !v.disposed_at ? handoverBox(v) : null,
    el('h2', { text: 'Beslutshistorik' }),
    table('Beslut om meddelandet, äldst först', ['Beslutat', 'Beslut', 'Uppgifter', 'Skäl och anteckning', 'Av'], history),
    archive,
    events.length ? [el('h2', { text: 'Händelser' }),
      table('Händelser efter beslutet, äldst först', ['Tid', 'Händelse', 'Paket eller referens', 'Av'], events)] : []);
}

/* ---- Hälsningsfraser ---- */

/* A unit's name as the service compares it: without regard to case, Å, Ä
 * and Ö too ("Socialtjänsten" and "SOCIALTJÄNSTEN" are one unit). */
// as rostvakt and its databases key a unit: lower case, NFC, final sigma as sigma
const unitKey = (u) => (u || '').toLowerCase().normalize('NFC').replaceAll('ς', 'σ');

/* A greeting's state in the app's words, and the class that colours it. */
function greetingState(g) {
  if (!g || g.removed) return [g ? word('greeting', 'removed') : word('greeting', 'missing'), 'bad'];
  if (g.missing_reason) return [word('greeting', 'missing') + ': ' + word('missing', g.missing_reason), 'bad'];
  const heard = g.reviewed_at ? ' (' + word('greeting', 'reviewed').toLowerCase() + ' ' + when(g.reviewed_at) + ')' : '';
  if (g.compliant === true) return [word('greeting', 'compliant') + heard, 'ok'];
  if (g.compliant === false) return [word('greeting', 'not_compliant') + heard, 'bad'];
  return [word('greeting', 'unsure'), 'warn'];
}

async function greetingsPage(params) {
  const q = new URLSearchParams(params);
  const [units, orgs] = await Promise.all([knownUnits(), myOrgs()]);
  const org = orgs.length > 1 ? orgPicker(orgs, pickedOrg(q)) : null;
  keepOrg(org);
  const { input: unit, shown: oneUnit } = unitChoice(units, q.get('unit'));
  const comp = select('compliant', { '': 'Alla', 'false': word('greeting', 'not_compliant'), 'true': word('greeting', 'compliant') }, q.get('compliant'));
  const form = el('form', { class: 'filters', onsubmit: (ev) => {
    ev.preventDefault();
    const n = new URLSearchParams();
    if (org) n.set('organisation', org.value); /* "" too: all of theirs, not the one picked before */
    if (unit && unit.value) n.set('unit', unit.value);
    if (comp.value) n.set('compliant', comp.value);
    location.hash = '#/halsningsfraser?' + n;
  } }, org ? field('Organisation', org) : null, unit ? field('Enhet', unit) : null, field('Policy', comp),
  el('button', { type: 'submit', class: 'primary', text: 'Visa' }));
  const a = new URLSearchParams({ limit: '500' });
  const r = new URLSearchParams({ limit: '500' });
  if (org && org.value) { a.set('organisation', org.value); r.set('organisation', org.value); }
  if (unit && unit.value) { a.set('unit', unit.value); r.set('unit', unit.value); }
  if (comp.value) a.set('compliant', comp.value);
  /* every mailbox and every greeting to listen to, page after page */
  const [mbs, rvs] = await Promise.all([allPages('/v1/mailboxes?' + a), allPages('/v1/review?' + r)]);
  const mb = { items: mbs }, rv = { items: rvs };
  /* an officer hears a sample blind: its mailbox's verdict waits too, and a
   * list picked by verdict leaves it out (else it would tell the verdict) */
  const blind = new Set(state.me.role === 'officer' ? rv.items.filter((r) => r.sample).map((r) => r.ext) : []);
  const byUnit = new Map(); /* a unit's key: its name as first seen, its mailboxes */
  for (const m of mb.items) {
    if (comp.value && blind.has(m.ext)) continue;
    const k = unitKey(m.unit);
    if (!byUnit.has(k)) byUnit.set(k, [m.unit, []]);
    byUnit.get(k)[1].push(m);
  }
  const sections = [...byUnit.values()].sort((x, y) => x[0].localeCompare(y[0], 'sv')).map(([u, ms]) =>
    table(u, ['Anknytning', 'Namn', 'Hälsningsfras', 'Brister', 'Lyssna'], ms.map((m) => {
      const g = m.greeting;
      const [text, cls] = blind.has(m.ext) ? ['Stickprov: granska först', 'warn'] : greetingState(g);
      return el('tr', {}, el('td', { text: m.ext }), el('td', { text: m.first_name + ' ' + m.last_name }),
        el('td', {}, el('span', { class: cls, text })),
        el('td', { text: g && !blind.has(m.ext) ? words('violation', g.violations) : '' }),
        el('td', {}, el('a', { href: '#/brevlada/' + m.ext, text: 'Lyssna och historik',
          'aria-label': 'Lyssna och historik för ' + m.first_name + ' ' + m.last_name })));
    })));
  const unsure = rv.items.filter((r) => !r.sample).map((r) => reviewRow(r));
  const samples = rv.items.filter((r) => r.sample).map((r) => reviewRow(r));
  page('Hälsningsfraser', whose(orgs, org && org.value), oneUnit, form,
    el('h2', { text: 'Behöver granskas' }),
    el('p', { text: 'Hälsningsfraser där rostvakt är osäker. Lyssna och ange vad som sägs.' }),
    table('Osäkra bedömningar', ['Brevlåda', 'Osäkert', 'Lyssna', 'Svar'], unsure),
    el('h2', { text: 'Stickprov' }),
    el('p', { text: 'Hälsningsfraser där rostvakt är säker på sin bedömning. ' + (state.me.role === 'officer'
      ? 'Bedömningen visas inte, så att du lyssnar utan att påverkas. Lyssna och svara på frågorna: dina svar ' +
        'visar om bedömningarna stämmer och hjälper till att finjustera rostvakts gränsvärden.'
      : 'Registratorerna lyssnar och svarar på frågorna: svaren visar om bedömningarna stämmer och hjälper ' +
        'till att finjustera rostvakts gränsvärden.') }),
    samples.length ? table('Stickprov av säkra bedömningar', ['Brevlåda', 'Lyssna', 'Svar'], samples)
      : el('p', { text: 'Inga stickprov att granska just nu.' }),
    el('h2', { text: 'Brevlådor per enhet' }), sections.length ? sections : el('p', { text: 'Inga brevlådor.' }));
}

/* What a review asks of an element, as a question a person answers. */
function reviewQuestion(r, k) {
  const t = (r.expect || {})[k]; /* the text rostvakt listened for */
  return k === 'name' ? `Sägs namnet ${t || r.name}?` : k === 'unit' ? `Sägs enheten ${t || r.unit}?`
    : k === 'org' ? (t ? `Sägs organisationen ${t}?` : 'Sägs organisationen?')
    : 'Sägs en ' + word('element', k) + '?';
}

/* What a greeting is unsure of, and which of those an earlier review has
 * answered already (only the rest is asked). */
function unsureText(r) {
  const done = (r.unsure || []).filter((k) => !(r.listen_for || r.unsure).includes(k));
  return cap(words('element', r.unsure)) + (done.length ? ` (${words('element', done)} redan besvarat)` : '');
}

function reviewRow(r) {
  const canReview = state.me.role === 'officer';
  const ask = r.listen_for || r.unsure;
  const sets = ask.map((k) => el('fieldset', { class: 'radio' }, el('legend', { text: reviewQuestion(r, k) }),
    ['stated', 'not_stated'].map((v) => el('label', {}, el('input', { type: 'radio', name: `${r.greeting_id}-${k}`, value: v }),
      ' ', v === 'stated' ? 'Ja' : 'Nej'))));
  const msg = el('p', { class: 'field-error', id: `granskning-${r.greeting_id}-fel`, hidden: true });
  const form = el('form', { onsubmit: async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const k of ask) {
      const c = form.querySelector(`input[name="${r.greeting_id}-${k}"]:checked`);
      if (c) body[k] = c.value;
    }
    /* a sample counts only whole (calibrate learns from every answer of
     * it), and an unsure greeting stays on the list until each element it
     * is unsure of has an answer */
    const missing = Object.keys(body).length < ask.length;
    if (missing) {
      msg.textContent = r.sample ? 'Svara på alla frågor, så att stickprovet kan användas.'
        : 'Svara på alla frågor: hälsningen ligger kvar tills varje osäker del har ett svar.';
      msg.hidden = false;
      form.setAttribute('aria-describedby', msg.id);
      form.querySelector(ask.map((k) => `input[name="${r.greeting_id}-${k}"]`).find((q) =>
        !form.querySelector(q + ':checked')) || 'input')?.focus();
      return;
    }
    try {
      await api('POST', `/v1/mailboxes/${r.ext}/greetings/${r.greeting_id}/review`, body);
    } catch (e) { say('Granskningen sparades inte: ' + e.message + '.', true); return; }
    await redraw(route, 'Granskningen av ' + genitive(r.name) + ' hälsningsfras är sparad.');
  } }, sets, msg, el('button', { type: 'submit', text: 'Spara granskning',
    'aria-label': 'Spara granskning för ' + r.name }));
  /* a sample is heard blind: its verdict is what the answers check */
  return el('tr', {}, el('td', { text: `${r.name}, ${r.unit} (${r.ext})` }),
    r.sample ? null : el('td', { text: unsureText(r) }),
    el('td', {}, el('audio', { controls: true, preload: 'none', src: `/v1/mailboxes/${r.ext}/greetings/${r.greeting_id}/audio`,
      'aria-label': 'Hälsningsfrasen för ' + r.name })),
    el('td', {}, canReview ? form : el('span', { class: 'muted', text: 'Granskas av registrator' })));
}

async function mailboxPage(ext) {
  const [m, gs, orgs] = await Promise.all([api('GET', '/v1/mailboxes/' + encodeURIComponent(ext)),
    api('GET', '/v1/mailboxes/' + encodeURIComponent(ext) + '/greetings'), myOrgs()]);
  const items = (gs.items || gs || []).slice().reverse();
  /* an officer hears a sample blind here too: its verdict waits for the answers */
  const blind = new Set(state.me.role === 'officer'
    ? (await allPages('/v1/review?limit=500&unit=' + encodeURIComponent(m.unit)))
      .filter((r) => r.sample && r.ext === m.ext).map((r) => r.greeting_id) : []);
  page(`${m.first_name} ${m.last_name}`,
    el('p', {}, el('a', { href: '#/halsningsfraser', text: '← Till hälsningsfraserna' })),
    el('dl', { class: 'facts' }, el('dt', { text: 'Enhet' }), el('dd', { text: m.unit }),
      el('dt', { text: 'Organisation' }), el('dd', { class: 'org', text: m.organisation ? orgName(orgs, m.organisation) : m.org || '–' }),
      el('dt', { text: 'Policy' }), el('dd', { text: m.profile })),
    table('Hälsningsfraser, nyast först', ['Mottagen', 'Bedömning', 'Lyssna'], items.map((g) => el('tr', {},
      el('td', { text: when(g.received_at) }),
      el('td', { text: blind.has(g.id) ? 'Stickprov: granska först'
        : greetingState(g)[0] + (g.compliant === false && !g.missing_reason && g.violations?.length
          ? ': ' + words('violation', g.violations) : '') }),
      el('td', {}, g.removed || !g.audio_sha256 ? '–' : el('audio', { controls: true, preload: 'none',
        src: `/v1/mailboxes/${m.ext}/greetings/${g.id}/audio`, 'aria-label': 'Hälsningsfrasen från ' + when(g.received_at) }))))));
}

/* ---- Rapporter ---- */

/* A series' look: a colour, a marker and a dash, so that lines differ by
 * more than colour (marker and dash together tell 16 lines apart). */
const MARKERS = ['circle', 'square', 'triangle', 'diamond'];
const DASHES = ['', '7 3', '2 3', '9 3 2 3'];
const COLOURS = ['#0b4f9c', '#a32020', '#1e6b2e', '#7a4d00', '#5b2a86', '#00666b', '#444444'];
function marker(kind, cx, cy, fill) {
  if (kind === 'circle') return svg('circle', { cx, cy, r: 4, fill });
  if (kind === 'square') return svg('rect', { x: cx - 4, y: cy - 4, width: 8, height: 8, fill });
  const pts = kind === 'triangle' ? [[0, -5], [4.5, 3.5], [-4.5, 3.5]] : [[0, -5], [5, 0], [0, 5], [-5, 0]];
  return svg('polygon', { points: pts.map(([a, b]) => `${cx + a},${cy + b}`).join(' '), fill });
}

/* A line chart at width w, each line labelled at its end (labels pushed
 * apart where lines end close together). */
function lineChart(title, series, dates, max, fmt, w) {
  const FONT = 13, GAP = 17, W = Math.max(w, 280), L = 46, T = 14, B = 30;
  const R = Math.min(260, Math.round(W * 0.42));
  const H = Math.max(220, T + B + GAP * (series.length + 1));
  const x = (i) => L + (dates.length > 1 ? i * (W - L - R) / (dates.length - 1) : (W - L - R) / 2);
  const y = (v) => T + (H - T - B) * (1 - v / (max || 1));
  const g = [svg('title', {}, title),
    svg('line', { x1: L, x2: W - R, y1: y(0), y2: y(0), stroke: '#4a4a4a' }),
    svg('line', { x1: L, x2: L, y1: T, y2: y(0), stroke: '#4a4a4a' }),
    svg('text', { x: L - 4, y: T + 5, 'font-size': 12, 'text-anchor': 'end' }, fmt(max)),
    svg('text', { x: L - 4, y: y(0) + 4, 'font-size': 12, 'text-anchor': 'end' }, fmt(0))];
  if (dates.length) {
    g.push(svg('text', { x: L, y: H - 8, 'font-size': 12 }, dates[0]));
    if (dates.length > 1) g.push(svg('text', { x: W - R, y: H - 8, 'font-size': 12, 'text-anchor': 'end' }, dates[dates.length - 1]));
  }
  /* where each label goes: at its line's last value, then apart */
  const ends = series.map((s, k) => {
    let i = s.values.length - 1;
    while (i >= 0 && s.values[i] === null) i--;
    return { k, i, at: i >= 0 ? y(s.values[i]) : y(0) };
  }).sort((a, b) => a.at - b.at || a.k - b.k);
  ends.forEach((e, n) => { e.y = Math.max(e.at + 4, n ? ends[n - 1].y + GAP : T + 4); });
  for (let n = ends.length - 1; n >= 0; n--) ends[n].y = Math.min(ends[n].y, n < ends.length - 1 ? ends[n + 1].y - GAP : H - B + 4);
  const chars = Math.max(6, Math.floor((R - 30) / (FONT * 0.6)));
  for (const e of ends) {
    const s = series[e.k], k = e.k;
    const colour = COLOURS[k % COLOURS.length], mark = MARKERS[k % MARKERS.length], dash = DASHES[Math.floor(k / MARKERS.length) % DASHES.length];
    const pts = s.values.map((v, i) => v === null ? null : `${x(i)},${y(v)}`).filter(Boolean);
    const name = s.name.length > chars ? s.name.slice(0, chars - 1) + '…' : s.name;
    const lx = W - R + 10;
    g.push(svg('g', { class: 'series', 'data-unit': s.name, 'data-marker': mark, 'data-dash': dash || 'solid' },
      pts.length > 1 ? svg('polyline', { points: pts.join(' '), fill: 'none', stroke: colour, 'stroke-width': 2,
        ...(dash ? { 'stroke-dasharray': dash } : {}) }) : null,
      s.values.map((v, i) => v === null ? null : marker(mark, x(i), y(v), colour)),
      e.i >= 0 ? svg('line', { x1: x(e.i) + 5, y1: e.at, x2: lx - 2, y2: e.y - 4, stroke: colour, 'stroke-width': 1 }) : null,
      marker(mark, lx + 6, e.y - 4, colour),
      svg('text', { class: 'label', x: lx + 16, y: e.y, 'font-size': FONT, fill: colour }, name)));
  }
  const label = title + ': ' + series.map((s) => s.name + ' ' + fmt(s.values[s.values.length - 1] ?? 0)).join(', ');
  return svg('svg', { class: 'chart', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label }, g);
}

async function reportsPage(params) {
  const q = new URLSearchParams(params);
  const orgs = await myOrgs();
  /* a person of several organisations: one of them picked, as on the other pages */
  const org = orgs.length > 1 ? orgPicker(orgs, pickedOrg(q)) : null;
  keepOrg(org);
  const sweeps = new URLSearchParams({ limit: '60' });
  if (org && org.value) sweeps.set('organisation', org.value);
  const review = new URLSearchParams({ limit: '500' });
  if (org && org.value) review.set('organisation', org.value);
  const [j, known, rvs] = await Promise.all([api('GET', '/v1/sweeps?' + sweeps), knownUnits(),
    state.me.role === 'officer' ? allPages('/v1/review?' + review) : []]);
  /* an officer hears a sample blind: the report does not tell its verdict */
  const blind = new Set(rvs.filter((r) => r.sample).map((r) => r.ext));
  /* a manager's reports hold their units alone; of several, one may be picked */
  const { input: pick, shown: oneUnit } = unitChoice(known, q.get('unit'));
  const only = pick && pick.value ? unitKey(pick.value) : null;
  const form = pick || org ? el('form', { class: 'filters', onsubmit: (ev) => {
    ev.preventDefault();
    const n = new URLSearchParams();
    if (org) n.set('organisation', org.value);
    if (pick && pick.value) n.set('unit', pick.value);
    location.hash = '#/rapporter' + (n.toString() ? '?' + n : '');
  } }, org ? field('Organisation', org) : null, pick ? field('Enhet', pick) : null,
  el('button', { type: 'submit', class: 'primary', text: 'Visa' })) : null;
  const owner = whose(orgs, org && org.value);
  const byDate = new Map();
  for (const s of j.items) if (!byDate.has(s.date)) byDate.set(s.date, s); /* the latest run of each day */
  const runs = [...byDate.values()].reverse();
  if (!runs.length) { page('Rapporter', owner, oneUnit, form, el('p', { text: 'Ingen nattlig kontroll har körts än.' })); return; }
  const dates = runs.map((r) => r.date);
  /* one line a unit whatever the case of its name, named as the latest run names it */
  const names = new Map();
  for (const r of runs) for (const u of r.report.units || []) if (!only || unitKey(u.unit) === only) names.set(unitKey(u.unit), u.unit);
  const units = [...names.keys()].sort((a, b) => names.get(a).localeCompare(names.get(b), 'sv'));
  const per = (fn) => units.map((k) => ({ name: names.get(k), values: runs.map((r) => fn(r.report, k)) }));
  const share = per((rep, k) => {
    const xs = (rep.units || []).filter((z) => unitKey(z.unit) === k);
    const n = xs.reduce((a, z) => a + z.mailboxes, 0);
    return n ? xs.reduce((a, z) => a + z.compliant, 0) / n : null;
  });
  const count = (key) => per((rep, k) => (rep[key] || []).filter((i) => unitKey(i.unit) === k).length);
  const missing = count('missing_greetings'), late = count('overdue_callbacks');
  const maxOf = (ser) => Math.max(1, ...ser.flatMap((s) => s.values.filter((v) => v !== null)));
  const last = runs[runs.length - 1].report;
  const mine = (key) => (last[key] || []).filter((i) => (!only || unitKey(i.unit) === only) &&
    !(key === 'noncompliant_greetings' && blind.has(i.ext)));
  const list = (key, title, cols, row) => table(title + ' (' + mine(key).length + ')', cols, mine(key).map(row));
  const boxes = only ? (last.units || []).filter((u) => unitKey(u.unit) === only).reduce((n, u) => n + u.mailboxes, 0) : last.mailboxes;
  const chart = (title, ser, max, fmt) => drawn('chart-box', (w) => lineChart(title, ser, dates, max, fmt, w));
  page('Rapporter', owner, oneUnit, form,
    el('p', { text: `Senaste nattliga kontroll ${last.date}: ${boxes} ${boxes === 1 ? 'brevlåda' : 'brevlådor'}` + (only ? ` i ${names.get(only) || pick.value}.` : '.') }),
    el('h2', { text: 'Andel hälsningsfraser som följer policyn, per enhet' }),
    chart('Andel som följer policyn', share, 1, (v) => Math.round(v * 100) + ' %'),
    el('h2', { text: 'Saknade hälsningsfraser, per enhet' }),
    chart('Saknade hälsningsfraser', missing, maxOf(missing), (v) => String(Math.round(v))),
    el('h2', { text: 'Försenade återuppringningar, per enhet' }),
    chart('Försenade återuppringningar', late, maxOf(late), (v) => String(Math.round(v))),
    el('h2', { text: 'Senaste rapporten' }),
    list('missing_greetings', 'Saknade hälsningsfraser', ['Anknytning', 'Namn', 'Enhet', 'Skäl'],
      (i) => el('tr', {}, el('td', { text: i.ext }), el('td', { text: i.name }), el('td', { text: i.unit }), el('td', { text: word('missing', i.reason) }))),
    list('noncompliant_greetings', 'Följer inte policyn', ['Anknytning', 'Namn', 'Enhet', 'Brister'],
      (i) => el('tr', {}, el('td', { text: i.ext }), el('td', { text: i.name }), el('td', { text: i.unit }),
        el('td', { text: words('violation', i.violations) }))),
    list('needs_review', 'Behöver granskas', ['Anknytning', 'Namn', 'Enhet', 'Osäkert'],
      (i) => el('tr', {}, el('td', { text: i.ext }), el('td', { text: i.name }), el('td', { text: i.unit }),
        el('td', { text: cap(words('element', i.unsure)) }))),
    list('overdue_callbacks', 'Försenade återuppringningar', ['Nr', 'Namn', 'Enhet', 'Mottaget', 'Senast'],
      (i) => el('tr', {}, el('td', { text: i.id }), el('td', { text: i.name }), el('td', { text: i.unit }),
        el('td', { text: when(i.received_at) }), el('td', { text: i.deadline }))));
}

/* ---- Logg ---- */

/* An audit row's detail in words: a list's filters, a decision, a sweep's
 * counts; other text (a package's name, a reference) as it is. */
function auditDetail(r) {
  const d = r.detail || '';
  if (r.action === 'decision') {
    /* "registrera KS 2026/17", "halls_ordnad -> privat: why" or a decision alone */
    const change = /^(\w+) -> (\w+): (.*)$/.exec(d);
    if (change) return word('decision', change[1]) + ' → ' + word('decision', change[2]) + ', skäl: ' + change[3];
    const reg = /^registrera (.*)$/.exec(d);
    if (reg) return word('decision', 'registrera') + ' ' + reg[1];
    return word('decision', d);
  }
  if (r.action.endsWith('_listed') && d) {
    const undecided = { none: 'obeslutade', any: 'beslutade' };
    return [...new URLSearchParams(d)].map(([k, v]) => (WORDS.param[k] || k) + ': ' +
      ((k === 'decision' && undecided[v]) || WORDS.classification[v] || WORDS.decision[v] || v)).join(', ');
  }
  if (r.action === 'sweep_done') {
    return d.replace(/(\d+) missing/, '$1 saknas').replace(/(\d+) not compliant/, '$1 följer inte policyn')
      .replace(/(\d+) overdue/, '$1 försenade').replace(/(\d+) disposed/, '$1 gallrade')
      .replace(/, audio not erased yet$/, ', ljudet är inte raderat än');
  }
  return d.replace(/^greeting (\d+)$/, 'hälsningsfras $1').replace(/^sweep (\d+)$/, 'rapport $1')
    .replace(/^a pbx token$/, 'en växels nyckel');
}

/* The whole audit (its filters in csv) as one CSV file: page after page,
 * each page's cursor in its Next-Cursor header, the header line once. */
async function saveAuditCsv(csv) {
  const parts = [];
  let after = null;
  for (let i = 0; i < 10000; i++) {
    const n = new URLSearchParams(csv);
    if (after) n.set('after', after);
    const r = await call('/v1/audit?' + n.toString(), { credentials: 'same-origin', cache: 'no-store' });
    if (!r.ok) throw await failure(r);
    const text = await r.text();
    parts.push(i ? text.slice(text.indexOf('\r\n') + 2) : text);
    after = r.headers.get('Next-Cursor');
    if (!after) break;
  }
  const url = URL.createObjectURL(new Blob(parts, { type: 'text/csv' }));
  const a = el('a', { href: url, download: 'rostvakt-logg.csv', hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

async function auditPage(params) {
  const q = new URLSearchParams(params);
  /* an officer's rows are their organisations' alone (the API's); of several, one may be picked */
  const orgs = await myOrgs();
  const org = orgs.length > 1 ? orgPicker(orgs, pickedOrg(q)) : null;
  keepOrg(org);
  const f = {
    ...(org ? { organisation: org } : {}),
    actor: el('input', { name: 'actor', value: q.get('actor') || '' }),
    voicemail: el('input', { name: 'voicemail', inputmode: 'numeric', size: 8, value: q.get('voicemail') || '' }),
    from: el('input', { name: 'from', type: 'date', value: q.get('from') || '' }),
    to: el('input', { name: 'to', type: 'date', value: q.get('to') || '' }),
  };
  const a = new URLSearchParams();
  if (org && org.value) a.set('organisation', org.value);
  if (f.actor.value) a.set('actor', f.actor.value);
  if (f.voicemail.value) a.set('voicemail', f.voicemail.value);
  /* local dates, as the API takes them */
  if (f.from.value) a.set('from', f.from.value);
  if (f.to.value) a.set('to', f.to.value);
  const form = el('form', { class: 'filters', onsubmit: (ev) => {
    ev.preventDefault();
    const n = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v.value || k === 'organisation') n.set(k, v.value);
    location.hash = '#/logg?' + n.toString();
  } }, org ? field('Organisation', org) : null, field('Vem', f.actor), field('Röstmeddelande', f.voicemail), field('Från och med', f.from),
  field('Till och med', f.to), el('button', { type: 'submit', class: 'primary', text: 'Filtrera' }));
  const csv = new URLSearchParams(a);
  csv.set('format', 'csv');
  const shown = new URLSearchParams(a);
  shown.set('limit', '200');
  if (q.get('after')) shown.set('after', q.get('after'));
  const j = await api('GET', '/v1/audit?' + shown.toString());
  const pager = el('nav', { class: 'pager', 'aria-label': 'Sidor' });
  const here = new URLSearchParams(params);
  here.delete('after');
  if (q.get('after')) pager.append(el('a', { href: '#/logg?' + here.toString(), text: 'Första sidan' }), ' ');
  if (j.next) {
    const n = new URLSearchParams(here);
    n.set('after', j.next);
    pager.append(el('a', { href: '#/logg?' + n.toString(), rel: 'next', text: 'Nästa sida' }));
  }
  page('Logg', whose(orgs, org && org.value), form,
    el('p', {}, el('a', { href: '/v1/audit?' + csv.toString(), download: 'rostvakt-logg.csv', text: 'Exportera som CSV',
      onclick: (ev) => { ev.preventDefault(); saveAuditCsv(csv).catch((e) => say('Loggen kunde inte exporteras: ' + e.message + '.', true)); } })),
    pager,
    table('Vem gjorde vad, nyast först, 200 rader en sida', ['Tid', 'Vem', 'Adress', 'Händelse', 'Meddelande', 'Anknytning', 'Uppgift'],
      j.items.map((r) => el('tr', {}, el('td', { text: when(r.at) }), el('td', { text: r.actor }), el('td', { text: r.remote }),
        el('td', { text: word('audit', r.action) }), el('td', {}, r.voicemail ? el('a', { href: '#/rostmeddelande/' + r.voicemail, text: String(r.voicemail) }) : ''),
        el('td', { text: r.ext || '' }), el('td', { text: auditDetail(r) })))));
}

/* ---- routing ---- */

const ROUTES = [
  [/^#\/inkorg(?:\?(.*))?$/, inboxPage, ['officer', 'admin']],
  [/^#\/rostmeddelande\/(\d+)$/, voicemailPage, ['officer', 'admin']],
  [/^#\/halsningsfraser(?:\?(.*))?$/, greetingsPage, ['officer', 'admin', 'manager']],
  [/^#\/brevlada\/(\d+)$/, mailboxPage, ['officer', 'admin', 'manager']],
  [/^#\/rapporter(?:\?(.*))?$/, reportsPage, ['officer', 'admin', 'manager']],
  [/^#\/logg(?:\?(.*))?$/, auditPage, ['officer', 'admin']],
];

/* Draw the page of the current hash; #page's data-shown names the hash
 * whose page is drawn, aria-busy says one is on its way. */
async function route() {
  const h = location.hash || '#/';
  const shown = document.getElementById('page');
  const mine = ++state.seq;
  for (const a of document.querySelectorAll('nav a'))
    a.toggleAttribute('aria-current', h.startsWith(a.getAttribute('href')));
  for (const a of document.querySelectorAll('nav a[aria-current]')) a.setAttribute('aria-current', 'page');
  if (!state.me) {
    signInPage();
    shown.dataset.shown = h;
    return;
  }
  state.pageOrg = '';
  for (const [re, fn, roles] of ROUTES) {
    const m = h.match(re);
    if (!m) continue;
    if (!roles.includes(state.me.role)) page('Ingen behörighet', el('p', { text: 'Din roll får inte se den här sidan.' }));
    else {
      shown.setAttribute('aria-busy', 'true');
      try { await fn(m[1] || ''); } catch (e) {
        if (e instanceof Stale || mine !== state.seq) return;
        if (e.status !== 401) { /* nothing of the page before is left under this address */
          page('Sidan kunde inte visas', el('p', { text: 'Kunde inte hämta sidan: ' + e.message + '.' }));
          say('Kunde inte hämta sidan: ' + e.message + '.', true);
        }
      }
      if (mine !== state.seq) return; /* a later page is on its way: it says when it is drawn */
      shown.removeAttribute('aria-busy');
    }
    shown.dataset.shown = h;
    return;
  }
  location.hash = home();
}

async function start() {
  document.getElementById('sign-out').addEventListener('click', async () => {
    try { await api('DELETE', '/v1/session'); } catch (e) { /* signed out either way */ }
    state.me = null;
    state.csrf = null;
    state.next = null;
    try { sessionStorage.removeItem('organisation'); } catch (e) { /* none kept */ }
    showSignedIn();
    state.notice = 'Du är utloggad.';
    location.hash = '#/logga-in';
  });
  try {
    const me = await api('GET', '/v1/session');
    if (me.role !== 'pbx') { state.me = me; state.csrf = me.csrf; }
  } catch (e) { state.me = null; }
  showSignedIn();
  window.addEventListener('hashchange', () => {
    say(state.notice || '');
    state.notice = null;
    route();
  });
  route();
}

start();
