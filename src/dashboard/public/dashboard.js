// The dashboard's script. It renders the page its address names from the emulator's control API (/__emulator/v1),
// making the same calls a script would, and reads them again every second, so a new request, risk event or
// delivery shows without a reload. With EMULATOR_ADMIN_TOKEN set, it asks for the token once and keeps it in
// sessionStorage (this tab, until it is closed); every call sends it as Authorization: Bearer <token>.

const UI = '/__emulator/ui';
const API = '/__emulator/v1';
const TOKEN_KEY = 'cf-zt-risk-emulator:admin-token';
/** How often a page reads its data again; something new shows within twice that at most. */
const REFRESH_MS = 1000;
const JOURNAL_LIMIT = 50;
const OUTBOX_LIMIT = 1000;
const ACCOUNT_ID = /^[0-9a-f]{32}$/;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

// ---- the control API

/** The control API answered 401: the emulator has an admin token and the tab has none, or a wrong one. */
class TokenNeeded extends Error {}

async function call(method, path, body) {
  const headers = { accept: 'application/json' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${API}${path}`, {
    method,
    headers,
    cache: 'no-store',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = await response.json().catch(() => null);
  if (response.status === 401) throw new TokenNeeded(token === null ? 'missing' : 'refused');
  if (!response.ok || answer?.success !== true) {
    const errors = Array.isArray(answer?.errors) ? answer.errors.map((e) => e.message).join('; ') : '';
    throw new Error(errors || `${method} ${path} answered ${response.status}`);
  }
  return answer.result;
}

const path = (strings, ...values) => strings.reduce((out, s, i) => out + encodeURIComponent(values[i - 1]) + s);

// ---- building the page

/** An element with attributes (on* are listeners) and children; text is always text, never parsed as HTML. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children.flat(Infinity).filter((c) => c !== undefined && c !== null && c !== false).map((c) => (c instanceof Node ? c : String(c))));
  return element;
}

const uiUrl = (...segments) => `${UI}/${segments.map(encodeURIComponent).join('/')}`;
const accountUrl = (accountId) => uiUrl('accounts', accountId);
const deliveryUrl = (accountId, jti) => uiUrl('accounts', accountId, 'deliveries', jti);

/** An RFC 3339 time as UTC to the second, in a <time> element; a dash for none. */
function when(value) {
  if (value === null || value === undefined) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return h('time', { datetime: date.toISOString() }, `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`);
}

/** A path or URL in <code>, which may wrap after each slash (and nowhere else). */
const pathCode = (text) => h('code', {}, text.split(/(?<=\/)/).flatMap((part) => [part, h('wbr')]));
const level = (value) => h('span', { class: `level level-${String(value).toLowerCase()}` }, String(value).toLowerCase());
const json = (value) => h('pre', { class: 'json' }, JSON.stringify(value, null, 2));
const problem = (message) => h('p', { class: 'problem', role: 'alert' }, message);

/** A table whose header row is `columns`; a cell may be text, a node or an array of them. */
function table(label, columns, rows) {
  return h(
    'div',
    { class: 'table' },
    h(
      'table',
      {},
      h('caption', { class: 'visually-hidden' }, label),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((row) => h('tr', {}, row.map((cell) => h('td', {}, cell))))),
    ),
  );
}

/** A definition list of [term, description] pairs. */
const facts = (pairs) => h('dl', { class: 'facts' }, pairs.map(([term, description]) => [h('dt', {}, term), h('dd', {}, description)]));

function section(id, title, ...children) {
  return h('section', { 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

/** Replaces a container's content, keeping the focus on (and the open <details> of) the elements with the same data-key. */
function replaceKeeping(container, ...nodes) {
  const active = document.activeElement;
  const focused = active && container.contains(active) ? active.dataset.key : undefined;
  const open = new Set([...container.querySelectorAll('details[open][data-key]')].map((d) => d.dataset.key));
  container.replaceChildren(...nodes);
  for (const details of container.querySelectorAll('details[data-key]')) details.open = open.has(details.dataset.key);
  if (focused !== undefined) container.querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
}

// ---- what a page reads again every second

/** The refresh functions of the page shown. */
const live = [];
let timer;
let running = false;

/**
 * A part of the page drawn from `load()`'s data by `render(data)`, drawn again whenever the data changes. A
 * failure shows in the part itself, except a 401, which asks for the token.
 */
function liveRegion(container, load, render) {
  const region = h('div', { class: 'live' });
  container.append(region);
  let shown;
  const refresh = async () => {
    let nodes;
    let key;
    try {
      const data = await load();
      key = JSON.stringify(data);
      if (key === shown) return;
      nodes = render(data);
    } catch (error) {
      if (error instanceof TokenNeeded) throw error;
      key = `error:${error.message}`;
      if (key === shown) return;
      nodes = problem(`Could not read it: ${error.message}`);
    }
    shown = key;
    replaceKeeping(region, ...[nodes].flat(Infinity).filter((node) => node !== null && node !== undefined));
  };
  live.push(refresh);
  return refresh;
}

const refreshAll = () => Promise.all(live.map((refresh) => refresh()));

async function tick() {
  if (!running) return;
  if (!document.hidden) {
    try {
      await refreshAll();
    } catch (error) {
      if (error instanceof TokenNeeded) return askForToken(error.message);
    }
  }
  if (running) timer = setTimeout(tick, REFRESH_MS);
}

/** Runs a user's action; a failure shows in `output` (and a 401 asks for the token). */
async function act(output, action) {
  output.replaceChildren();
  try {
    const message = await action();
    await refreshAll();
    if (message) output.replaceChildren(h('span', {}, message));
  } catch (error) {
    if (error instanceof TokenNeeded) return askForToken(error.message);
    output.replaceChildren(problem(error.message));
  }
}

// ---- the frame: title, breadcrumbs, the admin token

function frame(title, crumbs) {
  document.title = `${title} · Risk-scoring emulator`;
  const items = [{ text: 'Accounts', href: `${UI}/` }, ...crumbs];
  document.getElementById('breadcrumbs').replaceChildren(
    ...items.map((item, i) =>
      h('li', {}, i === items.length - 1 ? h('span', { 'aria-current': 'page' }, item.text) : h('a', { href: item.href }, item.text)),
    ),
  );
}

function session() {
  const area = document.getElementById('session');
  if (sessionStorage.getItem(TOKEN_KEY) === null) return area.replaceChildren();
  area.replaceChildren(
    h('button', { type: 'button', class: 'quiet', onclick: () => (sessionStorage.removeItem(TOKEN_KEY), start()) }, 'Forget the admin token'),
  );
}

function askForToken(reason) {
  stop();
  sessionStorage.removeItem(TOKEN_KEY);
  session();
  const main = document.getElementById('main');
  const input = h('input', { id: 'admin-token', name: 'token', type: 'password', required: true, autocomplete: 'off', spellcheck: 'false' });
  const form = h(
    'form',
    {
      class: 'stack',
      onsubmit: (event) => {
        event.preventDefault();
        sessionStorage.setItem(TOKEN_KEY, input.value);
        start();
      },
    },
    h('label', { for: 'admin-token' }, 'Admin token'),
    input,
    h('button', { type: 'submit' }, 'Continue'),
  );
  main.replaceChildren(
    h('h1', {}, 'Admin token needed'),
    ...(reason === 'refused' ? [problem('The emulator refused that token.')] : []),
    h(
      'p',
      {},
      'This emulator runs with EMULATOR_ADMIN_TOKEN. The dashboard sends the token with every call to the control API ',
      'and keeps it in this tab until the tab is closed.',
    ),
    form,
  );
  input.focus();
}

// ---- the pages

function accountsPage(page) {
  frame('Accounts', []);
  const open = h('input', { id: 'open-account', name: 'account', required: true, pattern: '[0-9a-f]{32}', size: 34, spellcheck: 'false', autocomplete: 'off' });
  page.append(
    h('h1', {}, 'Accounts'),
    h('p', {}, 'Every account with data or requests in the journal. Any 32 lower-case hex characters make an account.'),
  );
  const list = section('accounts-heading', 'Every account');
  liveRegion(
    list,
    () => call('GET', '/accounts'),
    (accounts) =>
      accounts.length === 0
        ? h('p', { class: 'empty' }, 'No account has data yet: create an integration or inject a risk event.')
        : table(
            'Accounts with their counts of integrations, users and journaled requests',
            ['Account', 'Integrations', 'Users', 'Requests'],
            accounts.map((a) => [
              h('a', { href: accountUrl(a.account_id), 'data-key': a.account_id }, h('code', {}, a.account_id)),
              a.integrations,
              a.users,
              a.requests,
            ]),
          ),
  );
  page.append(
    list,
    section(
      'open-heading',
      'Open an account',
      h(
        'form',
        {
          class: 'inline',
          onsubmit: (event) => {
            event.preventDefault();
            location.assign(accountUrl(open.value.trim()));
          },
        },
        h('label', { for: 'open-account' }, 'Account id'),
        open,
        h('button', { type: 'submit' }, 'Open'),
      ),
    ),
  );
}

/** One line saying what a SET says: whose level changed and how, or which event it carries. */
function change(claims) {
  const [type = '', event = {}] = Object.entries(claims.events ?? {})[0] ?? [];
  const who = event.subject?.user?.email ?? claims.sub_id?.email ?? claims.sub_id?.id ?? '';
  if (event.current_level !== undefined) {
    return h('span', { class: 'change' }, who ? `${who}: ` : '', level(event.previous_level ?? '?'), ' → ', level(event.current_level));
  }
  return `${type.split('/').pop()}${who ? ` (${who})` : ''}`;
}

function deliveries(accountId, label, entries) {
  if (entries.length === 0) return h('p', { class: 'empty' }, 'No SET yet.');
  return table(
    label,
    ['Created', 'Change', 'Delivery', 'Status', 'HTTP status', 'Attempts', 'Next retry', 'SET'],
    [...entries].reverse().map((e) => [
      when(e.created_at),
      change(e.claims),
      e.delivery === 'push' ? ['push to ', pathCode(e.target ?? '—')] : `poll${e.stream_id ? ` (stream ${e.stream_id})` : ''}`,
      h('span', { class: `status status-${e.status}` }, e.status),
      e.http_status ?? '—',
      e.attempts,
      when(e.next_attempt_at),
      h('a', { href: deliveryUrl(accountId, e.jti), 'data-key': e.jti, 'aria-label': `SET ${e.jti}` }, 'Details'),
    ]),
  );
}

function integrationsPart(accountId) {
  const part = section('integrations-heading', 'Integrations and their Shared Signals deliveries');
  liveRegion(
    part,
    () =>
      Promise.all([
        call('GET', path`/accounts/${accountId}/integrations`),
        call('GET', `/ssf/outbox?account_id=${encodeURIComponent(accountId)}&limit=${OUTBOX_LIMIT}`),
      ]),
    ([integrations, outbox]) => {
      const known = new Set(integrations.map((i) => i.id));
      const orphans = outbox.filter((e) => !known.has(e.integration_id));
      if (integrations.length === 0 && orphans.length === 0) return h('p', { class: 'empty' }, 'No integration.');
      return [
        ...integrations.map((i) =>
          h(
            'article',
            { class: 'integration' },
            h('h3', {}, `${i.integration_type} integration `, h('code', {}, i.reference_id)),
            facts([
              ['Id', h('code', {}, i.id)],
              ['Tenant URL', h('code', {}, i.tenant_url)],
              ['Well-known URL', h('a', { href: i.well_known_url, 'data-key': `wk-${i.id}` }, i.well_known_url)],
              ['Active', i.active ? 'yes' : 'no'],
              ['Created', when(i.created_at)],
            ]),
            h('h4', {}, 'Deliveries'),
            deliveries(accountId, `Shared Signals deliveries of ${i.reference_id}, newest first`, outbox.filter((e) => e.integration_id === i.id)),
          ),
        ),
        orphans.length === 0
          ? null
          : h('article', { class: 'integration' }, h('h3', {}, 'Deliveries of deleted integrations'), deliveries(accountId, 'Deliveries of deleted integrations, newest first', orphans)),
      ];
    },
  );
  return part;
}

function newUserId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // Outside a secure context (plain http to another host) randomUUID is missing: the same version-4 UUID by hand.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Sets a <select>'s options when they changed (not under the user's hands each second), keeping its choice when still offered. */
function options(select, choices, fallback) {
  const same = select.options.length === choices.length && choices.every(([value, text], i) => select.options[i].value === value && select.options[i].text === text);
  if (same && select.value !== '') return;
  const current = select.value;
  select.replaceChildren(...choices.map(([value, text]) => h('option', { value }, text)));
  select.value = choices.some(([value]) => value === current) ? current : fallback;
}

function usersPart(accountId) {
  const part = section('users-heading', 'Users');
  const NEW = 'new';
  let users = [];
  let behaviors = {};
  const user = h('select', { id: 'inject-user', name: 'user' });
  const email = h('input', { id: 'inject-email', name: 'email', type: 'email', required: true, autocomplete: 'off' });
  const name = h('input', { id: 'inject-name', name: 'name', required: true, autocomplete: 'off' });
  const fresh = h('fieldset', { class: 'inline' }, h('legend', {}, 'The new user'), h('label', { for: 'inject-email' }, 'Email'), email, h('label', { for: 'inject-name' }, 'Name'), name);
  const behavior = h('select', { id: 'inject-behavior', name: 'behavior' });
  const levelShown = h('output', { id: 'inject-level', for: 'inject-behavior' });
  const result = h('p', { class: 'result', role: 'status' });
  const showChoice = () => {
    fresh.hidden = fresh.disabled = user.value !== NEW;
    const chosen = behaviors[behavior.value];
    const shown = chosen ? [level(chosen.risk_level), chosen.enabled ? '' : ' (disabled: recorded, but it does not raise the level)'] : [];
    if (h('span', {}, shown).textContent !== levelShown.textContent) levelShown.replaceChildren(...shown);
  };
  user.addEventListener('change', showChoice);
  behavior.addEventListener('change', showChoice);
  const form = h(
    'form',
    {
      class: 'inline',
      'aria-labelledby': 'inject-heading',
      onsubmit: (event) => {
        event.preventDefault();
        act(result, async () => {
          const known = users.find((u) => u.user_id === user.value);
          const who = known ?? { user_id: newUserId(), email: email.value.trim(), name: name.value.trim() };
          const recorded = await call('POST', path`/accounts/${accountId}/risk-events`, {
            user_id: who.user_id,
            email: who.email,
            name: who.name,
            behavior: behavior.value,
          });
          if (!known) {
            email.value = name.value = '';
            users = [...users, who];
            options(user, [...users.map((u) => [u.user_id, `${u.name} <${u.email}>`]), [NEW, 'A new user…']], who.user_id);
            user.value = who.user_id;
            showChoice();
          }
          return `Recorded ${behaviors[recorded.behavior]?.name ?? recorded.behavior} for ${recorded.name}: their level is ${recorded.user_risk_level}.`;
        });
      },
    },
    h('label', { for: 'inject-user' }, 'User'),
    user,
    fresh,
    h('label', { for: 'inject-behavior' }, 'Behavior'),
    behavior,
    h('span', {}, 'Level: ', levelShown),
    h('button', { type: 'submit' }, 'Inject risk event'),
  );

  liveRegion(
    part,
    async () => {
      const [listed, catalogue] = await Promise.all([
        call('GET', path`/accounts/${accountId}/users`),
        call('GET', path`/accounts/${accountId}/risk-behaviors`),
      ]);
      users = listed;
      behaviors = catalogue.behaviors;
      options(user, [...users.map((u) => [u.user_id, `${u.name} <${u.email}>`]), [NEW, 'A new user…']], users[0]?.user_id ?? NEW);
      options(
        behavior,
        Object.entries(behaviors).map(([id, b]) => [id, `${b.name} (${id})`]),
        'imp_travel',
      );
      showChoice();
      return listed;
    },
    (listed) =>
      listed.length === 0
        ? h('p', { class: 'empty' }, 'No user: inject a risk event below.')
        : table(
            'Users with their risk level, events since the last reset, and that reset',
            ['User', 'Risk level', 'Events since the last reset', 'Last reset'],
            listed.map((u) => [
              [h('strong', {}, u.name), h('br'), u.email, h('br'), h('code', { class: 'small' }, u.user_id)],
              level(u.risk_level),
              u.events.length === 0
                ? '0'
                : h(
                    'details',
                    { 'data-key': `events-${u.user_id}` },
                    h('summary', {}, `${u.events.length} event${u.events.length === 1 ? '' : 's'}`),
                    h(
                      'ul',
                      {},
                      u.events.map((e) => h('li', {}, when(e.timestamp), ' ', e.name, ' ', level(e.risk_level), e.counted ? '' : ' (not counted: behavior disabled)')),
                    ),
                  ),
              when(u.last_reset_time),
            ]),
          ),
  );
  part.append(h('h3', { id: 'inject-heading' }, 'Inject a risk event'), form, result);
  return part;
}

function requestsPart(accountId) {
  const part = section('requests-heading', 'Requests');
  const query = new URLSearchParams(location.search);
  const method = h('select', { id: 'journal-method', name: 'method' }, h('option', { value: '' }, 'any'), METHODS.map((m) => h('option', { value: m }, m)));
  method.value = METHODS.includes(query.get('method')) ? query.get('method') : '';
  const status = h('input', { id: 'journal-status', name: 'status', inputmode: 'numeric', pattern: '[1-5][0-9]{2}', size: 4, value: query.get('status') ?? '' });
  const pattern = h('input', { id: 'journal-path', name: 'path', size: 36, placeholder: '/accounts/*/zt_risk_scoring/**', value: query.get('path') ?? '' });
  const result = h('p', { class: 'result', role: 'status' });
  let filter = { method: method.value, status: status.value, path: pattern.value };
  let refresh;
  const filterForm = h(
    'form',
    {
      class: 'inline',
      'aria-label': 'Filter the requests',
      onsubmit: (event) => {
        event.preventDefault();
        filter = { method: method.value, status: status.value.trim(), path: pattern.value.trim() };
        const shown = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== ''));
        history.replaceState(null, '', `${location.pathname}${shown.size > 0 ? `?${shown}` : ''}`);
        act(result, () => refresh());
      },
    },
    h('label', { for: 'journal-method' }, 'Method'),
    method,
    h('label', { for: 'journal-status' }, 'Status'),
    status,
    h('label', { for: 'journal-path' }, 'Path'),
    pattern,
    h('button', { type: 'submit' }, 'Filter'),
  );
  const clear = h(
    'button',
    { type: 'button', onclick: () => act(result, async () => `Removed ${(await call('DELETE', `/journal?account=${accountId}`)).removed} requests from the journal.`) },
    'Clear the journal',
  );
  part.append(
    h('p', {}, `The account's last ${JOURNAL_LIMIT} requests that match, newest first.`),
    filterForm,
    h('div', { class: 'actions' }, clear),
    result,
  );
  refresh = liveRegion(
    part,
    () => {
      const params = new URLSearchParams({ account: accountId, limit: String(JOURNAL_LIMIT) });
      for (const [key, value] of Object.entries(filter)) if (value !== '') params.set(key, value);
      return call('GET', `/journal?${params}`);
    },
    (entries) =>
      entries.length === 0
        ? h('p', { class: 'empty' }, 'No request.')
        : table(
            'Requests, newest first',
            ['Time', 'Method', 'Path', 'Status', 'Duration (ms)', 'Fault rule'],
            [...entries].reverse().map((e) => [
              when(e.time),
              e.method,
              pathCode(e.query === null ? e.path : `${e.path}?${e.query}`),
              e.status,
              e.duration_ms.toFixed(1),
              e.fault === null ? '—' : h('code', {}, e.fault),
            ]),
          ),
  );
  return part;
}

function faultsPart(accountId) {
  const part = section('faults-heading', 'Fault rules');
  const result = h('p', { class: 'result', role: 'status' });
  const method = h('select', { id: 'fault-method', name: 'method' }, h('option', { value: '*' }, 'any'), METHODS.map((m) => h('option', { value: m }, m)));
  const pattern = h('input', { id: 'fault-path', name: 'path', required: true, size: 36, value: '/accounts/*/zt_risk_scoring/**' });
  const status = h('input', { id: 'fault-status', name: 'status', type: 'number', min: 400, max: 599, value: 503 });
  const times = h('input', { id: 'fault-times', name: 'times', type: 'number', min: 1 });
  const latency = h('input', { id: 'fault-latency', name: 'latency_ms', type: 'number', min: 0, max: 120000 });
  const number = (input) => (input.value.trim() === '' ? undefined : Number(input.value));
  const form = h(
    'form',
    {
      class: 'inline',
      'aria-labelledby': 'fault-add-heading',
      onsubmit: (event) => {
        event.preventDefault();
        act(result, async () => {
          const rule = await call('POST', '/faults', {
            method: method.value,
            path: pattern.value.trim(),
            account: accountId,
            status: number(status),
            times: number(times),
            latency_ms: number(latency),
          });
          return `Added fault rule ${rule.id}.`;
        });
      },
    },
    h('label', { for: 'fault-method' }, 'Method'),
    method,
    h('label', { for: 'fault-path' }, 'Path'),
    pattern,
    h('label', { for: 'fault-status' }, 'Status'),
    status,
    h('label', { for: 'fault-times' }, 'Times'),
    times,
    h('label', { for: 'fault-latency' }, 'Latency (ms)'),
    latency,
    h('button', { type: 'submit' }, 'Add fault rule'),
  );
  const answerOf = (r) =>
    [r.latency_ms === null ? null : `wait ${r.latency_ms} ms`, r.status === null ? null : `answer ${r.status}`, r.disconnect ? 'disconnect' : null]
      .filter(Boolean)
      .join(', then ');
  liveRegion(
    part,
    async () => (await call('GET', '/faults')).filter((r) => r.account === null || r.account === accountId),
    (rules) =>
      rules.length === 0
        ? h('p', { class: 'empty' }, 'No fault rule applies to this account.')
        : table(
            'Fault rules that apply to this account, in the order they are tried',
            ['Rule', 'Scope', 'Method', 'Path', 'Effect', 'Remaining', 'Hits', ''],
            rules.map((r) => [
              h('code', {}, r.id),
              r.account === null ? 'every account' : 'this account',
              r.method,
              h('code', {}, r.path),
              answerOf(r),
              r.remaining ?? 'unlimited',
              r.hits,
              h(
                'button',
                {
                  type: 'button',
                  'data-key': `delete-${r.id}`,
                  'aria-label': `Delete fault rule ${r.id}`,
                  onclick: () => act(result, async () => (await call('DELETE', path`/faults/${r.id}`), `Deleted fault rule ${r.id}.`)),
                },
                'Delete',
              ),
            ]),
          ),
  );
  part.append(h('h3', { id: 'fault-add-heading' }, 'Add a fault rule for this account'), form, result);
  return part;
}

function accountPage(page, accountId) {
  frame(`Account ${accountId}`, [{ text: `Account ${accountId}` }]);
  if (!ACCOUNT_ID.test(accountId)) {
    page.append(h('h1', {}, 'Not an account id'), h('p', {}, 'An account id is 32 lower-case hex characters.'));
    return;
  }
  const result = h('p', { class: 'result', role: 'status' });
  const reset = h(
    'button',
    {
      type: 'button',
      class: 'danger',
      onclick: () =>
        act(result, async () => {
          await call('POST', path`/accounts/${accountId}/reset`);
          return 'The account was reset: its data, its journal entries and its fault rules are gone.';
        }),
    },
    'Reset account',
  );
  page.append(
    h('h1', {}, 'Account ', h('code', {}, accountId)),
    h('div', { class: 'actions' }, reset),
    result,
    integrationsPart(accountId),
    usersPart(accountId),
    requestsPart(accountId),
    faultsPart(accountId),
  );
}

/** The JOSE header of a compact JWS, decoded from its first segment. */
function joseHeader(token) {
  const segment = token.split('.')[0];
  const base64 = segment.replaceAll('-', '+').replaceAll('_', '/').padEnd(Math.ceil(segment.length / 4) * 4, '=');
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))));
}

function deliveryPage(page, accountId, jti) {
  frame(`SET ${jti}`, [
    { text: `Account ${accountId}`, href: accountUrl(accountId) },
    { text: `SET ${jti}` },
  ]);
  page.append(h('h1', {}, 'SET ', h('code', {}, jti)));
  liveRegion(
    page,
    async () => {
      const [outbox, integrations] = await Promise.all([
        call('GET', `/ssf/outbox?account_id=${encodeURIComponent(accountId)}&limit=${OUTBOX_LIMIT}`),
        call('GET', path`/accounts/${accountId}/integrations`),
      ]);
      const entry = outbox.find((e) => e.jti === jti) ?? null;
      return { entry, integration: integrations.find((i) => i.id === entry?.integration_id) ?? null };
    },
    ({ entry, integration }) => {
      if (entry === null) return problem("This account's outbox has no such SET (the account may have been reset, or the SET pruned).");
      return [
        section(
          'delivery-heading',
          'Delivery',
          facts([
            ['Status', h('span', { class: `status status-${entry.status}` }, entry.status)],
            ['Change', change(entry.claims)],
            ['Receiver URL', entry.target === null ? '— (polled by the receiver)' : h('code', {}, entry.target)],
            ['Delivery', entry.delivery],
            ['Integration', integration === null ? h('code', {}, entry.integration_id) : [h('code', {}, integration.reference_id), ' (', h('code', {}, integration.id), ')']],
            ['Stream', entry.stream_id === null ? '— (the integration\'s tenant)' : h('code', {}, entry.stream_id)],
            ['Event type', h('code', {}, entry.event_type)],
            ['Attempts', entry.attempts],
            ['Last HTTP status', entry.http_status ?? '—'],
            ['Error', entry.error ?? '—'],
            ['Created', when(entry.created_at)],
            ['Last attempt', when(entry.last_attempt_at)],
            ['Delivered', when(entry.delivered_at)],
            ['Next retry', entry.next_attempt_at === null ? 'none' : when(entry.next_attempt_at)],
          ]),
        ),
        section('attempts-heading', 'Attempts', entry.attempt_log.length === 0
          ? h('p', { class: 'empty' }, 'No attempt yet.')
          : table(
              'Every attempt to push the SET, oldest first',
              ['#', 'At', 'HTTP status', 'Error', 'Answer', 'Location'],
              entry.attempt_log.map((a, i) => [
                i + 1,
                when(a.at),
                a.http_status ?? '—',
                a.error ?? '—',
                a.answer === null || a.answer === '' ? '—' : h('pre', { class: 'answer' }, a.answer),
                a.location === null ? '—' : h('code', {}, a.location),
              ]),
            )),
        section('header-heading', 'SET header', entry.token === null ? h('p', { class: 'empty' }, 'Not signed yet.') : json(joseHeader(entry.token))),
        section('claims-heading', 'SET claims', json(entry.claims)),
        entry.token === null
          ? null
          : h('details', { 'data-key': 'token' }, h('summary', {}, 'The compact JWS as sent'), h('pre', { class: 'token' }, entry.token)),
      ];
    },
  );
}

function notFoundPage(page) {
  frame('Not found', [{ text: 'Not found' }]);
  page.append(h('h1', {}, 'No such page'), h('p', {}, h('a', { href: `${UI}/` }, 'See every account.')));
}

/** The page the address names. */
function pageOf(pathname) {
  const parts = pathname.slice(UI.length).split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return accountsPage;
  if (parts[0] === 'accounts' && parts.length === 2) return (page) => accountPage(page, parts[1]);
  if (parts[0] === 'accounts' && parts[2] === 'deliveries' && parts.length === 4) return (page) => deliveryPage(page, parts[1], parts[3]);
  return notFoundPage;
}

function stop() {
  running = false;
  clearTimeout(timer);
  live.length = 0;
}

/** Builds the page off-screen, shows it once its data is read, then reads it again every REFRESH_MS. */
async function start() {
  stop();
  session();
  const main = document.getElementById('main');
  main.replaceChildren(h('p', { class: 'empty' }, 'Loading…'));
  const page = h('div', { class: 'page' });
  pageOf(location.pathname)(page);
  try {
    await refreshAll();
  } catch (error) {
    if (error instanceof TokenNeeded) return askForToken(error.message);
    throw error;
  }
  main.replaceChildren(page);
  running = true;
  timer = setTimeout(tick, REFRESH_MS);
}

start();
