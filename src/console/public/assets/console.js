// @ts-check
/**
 * The soap-bridge console: services and operations on the left; for the chosen operation, the
 * REST facade (input editor validated as you type, Send, Dry run, the four panes), the SOAP
 * facade (an envelope in, the JSON sent, the JSON back, the envelope reply), the bundle's
 * mapping file with its diagnostics, and the recent exchanges. Everything it shows comes from
 * /console/api (docs/console.md).
 */
import { api, ApiError, enc, getToken, setToken } from './api.js';
import { LineEditor } from './editor.js';
import { prettyBody, prettyXml } from './format.js';
import { locatePointer, scanJson } from './locate.js';

/**
 * @typedef {{ at: string, ok: boolean, status?: number, ms?: number, error?: string }} LastCall
 * @typedef {{ url: string, origin: string, circuit: string, inFlight: number, lastCall?: LastCall }} Backend
 * @typedef {{ method: string, path: string }} Route
 * @typedef {{ name: string, routes: Route[], soapAction?: string, oneWay: boolean, idempotent: boolean }} OperationSummary
 * @typedef {{ name: string, generation: number, hash: string, validation: string, facades: { rest: boolean, soap: boolean }, mappingFile: string, backends: Backend[], operations: OperationSummary[] }} Service
 * @typedef {{ name: string, service: string, routes: Route[], inputSchema: unknown, outputSchema: unknown, sample: unknown, soapSample?: string }} OperationDetail
 * @typedef {{ body: string, contentType?: string, truncated?: boolean }} Body
 * @typedef {{ pointer?: string, in?: string, parameter?: string, detail: string }} FieldError
 * @typedef {{ id: string, at: string, facade: 'rest' | 'soap', service: string, operation: string | null, route: string, requestId: string, principal?: string, dryRun: boolean, status: number, durationMs: number, backendMs?: number,
 *   request: Body, backendRequest?: Body & { url: string, method: string, headers: Record<string, string> }, backendResponse?: Body & { status: number, ms: number },
 *   response: Body & { status: number }, errors?: FieldError[], error?: { code: string, detail: string } }} Exchange
 */

/** @param {string} id */
function $(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node;
}

/**
 * @param {string} tag
 * @param {Record<string, string | undefined>} [attrs]
 * @param {(Node | string | undefined | false)[]} children
 */
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== undefined && c !== false) node.append(c);
  return node;
}

/**
 * The nodes among `items` (conditionals written `cond && h(...)` leave false or "" behind).
 * @param {(Node | string | undefined | false)[]} items
 * @returns {(Node | string)[]}
 */
function nodes(...items) {
  return /** @type {(Node | string)[]} */ (items.filter((x) => x !== undefined && x !== false && x !== ''));
}

const state = {
  /** @type {Service[]} */ services: [],
  /** @type {Service | undefined} */ service: undefined,
  /** @type {OperationDetail | undefined} */ detail: undefined,
  tab: 'rest',
  validateSeq: 0,
  /** @type {ReturnType<typeof setTimeout> | undefined} */ validateTimer: undefined,
};

const editor = new LineEditor(
  /** @type {HTMLTextAreaElement} */ ($('rest-input')),
  $('rest-gutter'),
  $('rest-backdrop'),
);

// ---- status line and errors ---------------------------------------------------------------

/** @param {string} text @param {'info' | 'error'} [kind] */
function say(text, kind = 'info') {
  const s = $('status');
  s.textContent = text;
  s.className = `status ${kind}`;
}

/** @param {unknown} e @param {string} what */
function complain(e, what) {
  if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
    say(`${what}: the console API refused (${e.message}). Enter the admin token above.`, 'error');
    // Into the token field, unless the user is busy elsewhere (the periodic refresh must not steal the focus).
    if (document.activeElement === document.body || document.activeElement === null) $('admin-token').focus();
    return;
  }
  say(`${what}: ${e instanceof Error ? e.message : String(e)}`, 'error');
}

/** @param {number} status */
function statusClass(status) {
  return status >= 500 ? 's5xx' : status >= 400 ? 's4xx' : status >= 300 ? 's3xx' : 's2xx';
}

/** @param {number | undefined} ms */
function msText(ms) {
  return ms === undefined ? '' : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

// ---- services ------------------------------------------------------------------------------

async function loadServices() {
  try {
    state.services = await api('/services');
    renderServices();
    if (state.service) state.service = state.services.find((s) => s.name === state.service?.name) ?? state.service;
    if (!state.detail) say(`${state.services.length} service(s)`);
  } catch (e) {
    $('services').replaceChildren(h('p', { class: 'muted' }, 'Services could not be read.'));
    complain(e, 'Services');
  }
}

/** @param {Backend} b */
function backendItem(b) {
  const circuit = b.circuit === 'none' ? 'no breaker' : `circuit ${b.circuit}`;
  const last = b.lastCall;
  const health = !last ? 'unknown' : last.ok ? 'ok' : 'failing';
  const healthText = !last
    ? 'no call yet'
    : last.ok
      ? `last call ${last.status ?? 'ok'}${last.ms !== undefined ? `, ${msText(last.ms)}` : ''}`
      : `last call failed${last.status ? ` (${last.status})` : ''}${last.error ? `: ${last.error}` : ''}`;
  return h(
    'li',
    { class: 'backend', 'data-testid': 'backend', title: last ? `${healthText} at ${last.at}` : healthText },
    h('div', { class: 'backend-line' }, h('span', { class: `dot health-${health}`, 'aria-hidden': 'true' }), h('span', { class: 'backend-url mono' }, b.url)),
    h(
      'div',
      { class: 'backend-badges' },
      h('span', { class: `badge circuit-${b.circuit}`, 'data-testid': 'circuit' }, circuit),
      b.inFlight > 0 && h('span', { class: 'badge' }, `${b.inFlight} in flight`),
      h('span', { class: 'sr-only' }, ` health: ${healthText}`),
    ),
  );
}

function renderServices() {
  const root = $('services');
  if (state.services.length === 0) {
    root.replaceChildren(h('p', { class: 'muted' }, 'No bundle is being served.'));
    return;
  }
  const current = state.service?.name;
  const op = state.detail?.name;
  root.replaceChildren(
    ...state.services.map((s) =>
      h(
        'section',
        { class: 'service', 'data-testid': `service-${s.name}` },
        h(
          'h3',
          {},
          s.name,
          s.facades.rest && h('span', { class: 'badge facade' }, 'REST'),
          s.facades.soap && h('span', { class: 'badge facade' }, 'SOAP'),
          h('span', { class: 'badge subtle', title: `generation ${s.generation}, ${s.hash}` }, s.validation),
        ),
        h('ul', { class: 'backends', 'aria-label': `${s.name} backends` }, ...s.backends.map(backendItem)),
        h(
          'ul',
          { class: 'operations', 'aria-label': `${s.name} operations` },
          ...s.operations.map((o) => {
            const selected = s.name === current && o.name === op;
            const button = h(
              'button',
              { type: 'button', class: `op${selected ? ' selected' : ''}`, 'data-testid': `op-${s.name}-${o.name}`, 'aria-current': selected ? 'true' : undefined },
              h('span', { class: 'op-name' }, o.name),
              o.oneWay && h('span', { class: 'badge subtle' }, 'one-way'),
              h('span', { class: 'op-routes' }, o.routes.map((r) => `${r.method} ${r.path}`).join('\n')),
            );
            button.addEventListener('click', () => void selectOperation(s.name, o.name));
            return h('li', {}, button);
          }),
        ),
      ),
    ),
  );
}

// ---- choosing an operation -----------------------------------------------------------------

/** @param {string} serviceName @param {string} operation @param {string} [tab] */
async function selectOperation(serviceName, operation, tab) {
  const service = state.services.find((s) => s.name === serviceName);
  if (!service) return;
  /** @type {OperationDetail} */
  let detail;
  try {
    detail = await api(`/services/${enc(serviceName)}/operations/${enc(operation)}`);
  } catch (e) {
    complain(e, `${serviceName} ${operation}`);
    return;
  }
  state.service = service;
  state.detail = detail;
  $('welcome').hidden = true;
  $('workspace').hidden = false;
  $('op-title').textContent = `${service.name} › ${detail.name}`;
  $('op-routes').replaceChildren(...detail.routes.map((r) => h('li', { class: 'mono' }, `${r.method} ${r.path}`)));
  renderServices();

  $('rest-unavailable').hidden = service.facades.rest;
  $('rest-body').hidden = !service.facades.rest;
  $('soap-unavailable').hidden = service.facades.soap;
  $('soap-body').hidden = !service.facades.soap;
  editor.value = JSON.stringify(detail.sample ?? {}, null, 2);
  /** @type {HTMLTextAreaElement} */ ($('soap-input')).value = detail.soapSample ? prettyXml(detail.soapSample) : '';
  const summary = service.operations.find((o) => o.name === detail.name);
  /** @type {HTMLInputElement} */ ($('soap-action')).value = summary?.soapAction ?? '';
  $('soap-endpoint').textContent = `/soap/${service.name}`;
  clearPanes('rest');
  clearPanes('soap');
  $('input-errors').replaceChildren();
  let wanted = tab ?? state.tab;
  if (wanted === 'rest' && !service.facades.rest && service.facades.soap) wanted = 'soap';
  if (wanted === 'soap' && !service.facades.soap && service.facades.rest) wanted = 'rest';
  showTab(wanted);
  if (service.facades.rest) void validateNow();
  say(`${service.name} › ${detail.name}`);
}

// ---- tabs ------------------------------------------------------------------------------------

const TABS = ['rest', 'soap', 'mapping', 'recent'];

/** @param {string} name */
function showTab(name) {
  if (!TABS.includes(name)) name = 'rest';
  state.tab = name;
  for (const t of TABS) {
    const tab = $(`tab-${t}`);
    tab.setAttribute('aria-selected', String(t === name));
    tab.tabIndex = t === name ? 0 : -1;
    $(`panel-${t}`).hidden = t !== name;
  }
  if (state.service && state.detail) history.replaceState(null, '', `#/${enc(state.service.name)}/${enc(state.detail.name)}/${name}`);
  if (name === 'mapping') void loadMapping();
  if (name === 'recent') void loadRecent();
}

for (const t of TABS) {
  const tab = $(`tab-${t}`);
  tab.addEventListener('click', () => showTab(t));
  tab.addEventListener('keydown', (e) => {
    const k = TABS.indexOf(t);
    const next = e.key === 'ArrowRight' ? TABS[(k + 1) % TABS.length] : e.key === 'ArrowLeft' ? TABS[(k + TABS.length - 1) % TABS.length] : undefined;
    if (!next) return;
    e.preventDefault();
    showTab(next);
    $(`tab-${next}`).focus();
  });
}

// ---- validation as you type -------------------------------------------------------------------

/**
 * The errors pinned to the editor's lines and listed under it.
 * @param {FieldError[]} errors
 * @param {{ message: string, line: number, column: number } | undefined} syntax
 */
function showInputErrors(errors, syntax) {
  const text = editor.value;
  const scan = scanJson(text);
  /** @type {{ line: number, message: string }[]} */
  const marks = [];
  const items = [];
  if (syntax) {
    marks.push({ line: syntax.line, message: `JSON: ${syntax.message}` });
    items.push(h('li', { 'data-testid': 'input-error', 'data-line': String(syntax.line) }, h('span', { class: 'where mono' }, `line ${syntax.line}, column ${syntax.column}`), ` not JSON: ${syntax.message}`));
  }
  for (const err of errors) {
    let where = '';
    let line;
    if (err.pointer !== undefined) {
      const hit = locatePointer(text, err.pointer, scan);
      line = hit?.line;
      where = err.pointer === '' ? '(the whole input)' : err.pointer;
    } else if (err.in) {
      where = `${err.in}${err.parameter ? ` ${err.parameter}` : ''}`;
    }
    if (line !== undefined) marks.push({ line, message: `${err.pointer ? `${err.pointer}: ` : ''}${err.detail}` });
    items.push(
      h(
        'li',
        { 'data-testid': 'input-error', 'data-pointer': err.pointer, 'data-line': line !== undefined ? String(line) : undefined },
        h('span', { class: 'where mono' }, where || '(input)'),
        ` ${err.detail}`,
        line !== undefined && h('span', { class: 'muted' }, ` (line ${line})`),
      ),
    );
  }
  editor.setMarks(marks);
  $('input-errors').replaceChildren(...items);
  const valid = !syntax && errors.length === 0;
  const v = $('rest-valid');
  v.textContent = valid ? '✓ valid input' : `${errors.length + (syntax ? 1 : 0)} problem(s)`;
  v.className = `validity ${valid ? 'ok' : 'bad'}`;
}

async function validateNow() {
  if (!state.service || !state.detail) return;
  const seq = ++state.validateSeq;
  const text = editor.value;
  const scan = scanJson(text);
  if (scan.error) {
    showInputErrors([], scan.error);
    return;
  }
  try {
    /** @type {{ valid: boolean, errors: FieldError[] }} */
    const answer = await api(`/services/${enc(state.service.name)}/operations/${enc(state.detail.name)}/validate`, { body: { input: JSON.parse(text) } });
    if (seq !== state.validateSeq) return; // a newer edit has been checked since
    showInputErrors(answer.errors ?? [], undefined);
  } catch (e) {
    if (seq === state.validateSeq) complain(e, 'Validation');
  }
}

$('rest-input').addEventListener('input', () => {
  clearTimeout(state.validateTimer);
  state.validateTimer = setTimeout(() => void validateNow(), 300);
});

// ---- panes -----------------------------------------------------------------------------------

const REST_PANES = ['pane-json-in', 'pane-envelope-out', 'pane-envelope-back', 'pane-json-out'];
const SOAP_PANES = ['pane-soap-envelope-in', 'pane-soap-json-sent', 'pane-soap-json-back', 'pane-soap-envelope-reply'];

/** @param {string} testid */
function pane(testid) {
  const node = document.querySelector(`[data-testid="${testid}"]`);
  if (!node) throw new Error(`no pane ${testid}`);
  let headers = /** @type {HTMLElement | null} */ (node.querySelector('[data-role="headers"]'));
  if (!headers) {
    headers = h('div', { class: 'pane-headers mono', 'data-role': 'headers', 'data-testid': 'pane-headers' });
    headers.hidden = true;
    node.querySelector('header')?.after(headers);
  }
  return {
    headers,
    meta: /** @type {HTMLElement} */ (node.querySelector('[data-role="meta"]')),
    body: /** @type {HTMLElement} */ (node.querySelector('[data-role="body"]')),
  };
}

/** @param {'rest' | 'soap'} which */
function clearPanes(which) {
  for (const id of which === 'rest' ? REST_PANES : SOAP_PANES) {
    const p = pane(id);
    p.meta.replaceChildren();
    p.headers.replaceChildren();
    p.headers.hidden = true;
    p.body.replaceChildren();
    p.body.classList.remove('empty');
  }
  $(`${which}-summary`).hidden = true;
}

/**
 * @param {string} testid
 * @param {{ status?: number, ms?: number, info?: string, infoTitle?: string, headers?: Record<string, string>, body?: Body, empty?: string }} content
 */
function fillPane(testid, content) {
  const p = pane(testid);
  p.headers.replaceChildren(...Object.entries(content.headers ?? {}).map(([k, v]) => h('div', {}, h('span', { class: 'hname' }, `${k}:`), ` ${v}`)));
  p.headers.hidden = !content.headers || Object.keys(content.headers).length === 0;
  p.meta.replaceChildren(
    ...nodes(
      content.status !== undefined && h('span', { class: `http ${statusClass(content.status)}`, 'data-testid': 'pane-status' }, String(content.status)),
      content.ms !== undefined && h('span', { class: 'time', 'data-testid': 'pane-time' }, msText(content.ms)),
      content.info && h('span', { class: 'info mono', title: content.infoTitle ?? content.info }, content.info),
    ),
  );
  if (content.body && content.body.body === '') {
    p.body.classList.add('empty');
    p.body.replaceChildren('(no body)');
  } else if (content.body) {
    const text = prettyBody(content.body.body, content.body.contentType);
    p.body.classList.remove('empty');
    p.body.replaceChildren(text, content.body.truncated ? h('span', { class: 'truncated' }, '\n… cut here: the body is longer than the bridge keeps') : '');
  } else {
    p.body.classList.add('empty');
    p.body.replaceChildren(content.empty ?? '');
  }
}

/** @param {Record<string, string>} headers */
function headerLines(headers) {
  return Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
}

/** @param {Exchange} ex @param {'rest' | 'soap'} which @param {boolean} listErrors */
function renderSummary(ex, which, listErrors) {
  const s = $(`${which}-summary`);
  s.hidden = false;
  const errors = ex.errors ?? [];
  s.replaceChildren(
    ...nodes(
    h('span', { class: `http ${statusClass(ex.status)}`, 'data-testid': 'summary-status' }, String(ex.status)),
    h('span', {}, ex.dryRun ? 'dry run, the backend was not called' : ex.status < 400 ? 'answered' : 'refused or failed'),
    h('span', { class: 'time' }, `total ${msText(ex.durationMs)}`),
    ex.backendMs !== undefined && h('span', { class: 'time' }, `backend ${msText(ex.backendMs)}`),
    h('span', { class: 'mono muted', title: 'request id' }, ex.requestId),
    ex.principal !== undefined && h('span', { class: 'muted' }, `as ${ex.principal}`),
    h('span', { class: 'muted' }, new Date(ex.at).toLocaleTimeString()),
    ex.error && h('span', { class: 'error-code', 'data-testid': 'summary-error' }, `${ex.error.code}: ${ex.error.detail}`),
    errors.length > 0 && h('span', { class: 'muted' }, `${errors.length} validation error(s)`),
    ),
  );
  if (listErrors && errors.length > 0) {
    s.append(
      h('ul', { class: 'errors', 'data-testid': 'exchange-errors' }, ...errors.map((e) =>
        h('li', {}, h('span', { class: 'where mono' }, e.pointer !== undefined ? e.pointer || '(the body)' : `${e.in ?? ''} ${e.parameter ?? ''}`.trim()), ` ${e.detail}`))),
    );
  }
}

/** @param {Exchange} ex @param {boolean} [listErrors] list the validation errors under the summary (they are not pinned in the editor) */
function renderRest(ex, listErrors = false) {
  renderSummary(ex, 'rest', listErrors);
  fillPane('pane-json-in', { info: ex.route, body: ex.request });
  const out = ex.backendRequest;
  fillPane('pane-envelope-out', out
    ? { info: `${out.method} ${out.url}`, infoTitle: `${out.method} ${out.url}\n${headerLines(out.headers)}`, headers: out.headers, body: out }
    : { empty: ex.status >= 400 ? 'not sent: the bridge refused the call before mapping it' : 'not sent' });
  const back = ex.backendResponse;
  fillPane('pane-envelope-back', back
    ? { status: back.status, ms: back.ms, body: back }
    : { empty: ex.dryRun ? 'dry run: the backend was not called' : out ? 'no answer from the backend' : 'the backend was not called' });
  fillPane('pane-json-out', { status: ex.response.status, ms: ex.durationMs, body: ex.response });
}

/** @param {Exchange} ex */
function renderSoap(ex) {
  renderSummary(ex, 'soap', true);
  fillPane('pane-soap-envelope-in', { info: ex.route, body: ex.request });
  const out = ex.backendRequest;
  fillPane('pane-soap-json-sent', out
    ? { info: `${out.method} ${out.url}`, infoTitle: `${out.method} ${out.url}\n${headerLines(out.headers)}`, headers: out.headers, body: out }
    : { empty: ex.status >= 400 ? 'not sent: the bridge refused the envelope' : 'not sent' });
  const back = ex.backendResponse;
  fillPane('pane-soap-json-back', back
    ? { status: back.status, ms: back.ms, body: back }
    : { empty: ex.dryRun ? 'dry run: the JSON service was not called' : 'the JSON service was not called' });
  fillPane('pane-soap-envelope-reply', { status: ex.response.status, ms: ex.durationMs, body: ex.response });
}

// ---- REST: Send and Dry run --------------------------------------------------------------------

/** @param {boolean} dryRun */
async function sendRest(dryRun) {
  if (!state.service || !state.detail) return;
  const scan = scanJson(editor.value);
  if (scan.error) {
    showInputErrors([], scan.error);
    say('The input is not JSON: fix the marked line first.', 'error');
    return;
  }
  const buttons = [$('send'), $('dry-run')];
  buttons.forEach((b) => b.setAttribute('disabled', ''));
  say(dryRun ? 'Dry run…' : 'Sending…');
  try {
    /** @type {Exchange} */
    const ex = await api(`/services/${enc(state.service.name)}/operations/${enc(state.detail.name)}/send`, { body: { input: JSON.parse(editor.value), dryRun } });
    renderRest(ex);
    if (ex.errors && ex.errors.length > 0) showInputErrors(ex.errors, undefined);
    say(`${dryRun ? 'Dry run' : 'Sent'}: ${ex.status} in ${msText(ex.durationMs)}`);
    if (!dryRun) void loadServices(); // the backend's last call and circuit state changed
  } catch (e) {
    complain(e, dryRun ? 'Dry run' : 'Send');
  } finally {
    buttons.forEach((b) => b.removeAttribute('disabled'));
  }
}

$('send').addEventListener('click', () => void sendRest(false));
$('dry-run').addEventListener('click', () => void sendRest(true));
$('reset-sample').addEventListener('click', () => {
  if (!state.detail) return;
  editor.value = JSON.stringify(state.detail.sample ?? {}, null, 2);
  void validateNow();
});

// ---- SOAP facade -------------------------------------------------------------------------------

/** @param {boolean} dryRun */
async function sendSoap(dryRun) {
  if (!state.service) return;
  const envelope = /** @type {HTMLTextAreaElement} */ ($('soap-input')).value;
  const soapAction = /** @type {HTMLInputElement} */ ($('soap-action')).value.trim();
  const buttons = [$('soap-send'), $('soap-dry-run')];
  buttons.forEach((b) => b.setAttribute('disabled', ''));
  say(dryRun ? 'Dry run…' : 'Sending the envelope…');
  try {
    /** @type {Exchange} */
    const ex = await api(`/services/${enc(state.service.name)}/soap`, { body: { envelope, dryRun, ...(soapAction ? { soapAction } : {}) } });
    renderSoap(ex);
    say(`${dryRun ? 'Dry run' : 'Sent'}: ${ex.status} in ${msText(ex.durationMs)}`);
    if (!dryRun) void loadServices(); // the backend's last call and circuit state changed
  } catch (e) {
    complain(e, 'SOAP facade');
  } finally {
    buttons.forEach((b) => b.removeAttribute('disabled'));
  }
}

$('soap-send').addEventListener('click', () => void sendSoap(false));
$('soap-dry-run').addEventListener('click', () => void sendSoap(true));
$('soap-reset').addEventListener('click', () => {
  /** @type {HTMLTextAreaElement} */ ($('soap-input')).value = state.detail?.soapSample ? prettyXml(state.detail.soapSample) : '';
});

// ---- mapping -------------------------------------------------------------------------------------

/** A button that scrolls the mapping text to a line. @param {string} label @param {number} line */
function lineLink(label, line) {
  const b = h('button', { type: 'button', class: 'where mono link', title: `show line ${line}` }, label);
  b.addEventListener('click', () => document.getElementById(`mapping-line-${line}`)?.scrollIntoView({ block: 'center' }));
  return b;
}

async function loadMapping() {
  if (!state.service) return;
  const name = state.service.name;
  try {
    /** @type {{ file: string, text: string, diagnostics: { severity: string, line: number, column: number, message: string, file?: string }[], served: boolean }} */
    const m = await api(`/services/${enc(name)}/mapping`);
    if (state.service?.name !== name) return;
    $('mapping-file').textContent = m.file;
    const errors = m.diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = m.diagnostics.length - errors;
    const st = $('mapping-state');
    const counts = `${errors} error(s), ${warnings} warning(s)`;
    st.textContent = errors > 0
      ? `The bundle on disk does not compile (${counts})${m.served ? '.' : '; the bridge keeps serving the version it loaded before.'}`
      : `The bundle on disk compiles${warnings ? ` with ${warnings} warning(s)` : ' cleanly'}${m.served ? ' and is the version being served.' : '; the bridge serves an older version until it reloads.'}`;
    st.className = `notice ${errors > 0 ? 'bad' : warnings > 0 ? 'warn' : 'ok'}`;
    // Diagnostics may name the WSDL or an XSD of the bundle: only the mapping file's are marked in the text.
    /** @param {{ file?: string }} d */
    const inMapping = (d) => d.file === undefined || d.file === m.file;
    /** @type {Map<number, typeof m.diagnostics>} */
    const byLine = new Map();
    for (const d of m.diagnostics) if (inMapping(d)) byLine.set(d.line, [...(byLine.get(d.line) ?? []), d]);
    $('mapping-diagnostics').replaceChildren(
      ...m.diagnostics.map((d) => {
        const where = `${d.file ?? m.file}:${d.line}:${d.column}`;
        return h('li', { class: d.severity, 'data-testid': 'mapping-diagnostic', 'data-line': String(d.line) },
          inMapping(d) ? lineLink(where, d.line) : h('span', { class: 'where mono' }, where),
          ` ${d.severity}: ${d.message}`);
      }),
    );
    const lines = m.text.split('\n');
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    $('mapping-text').replaceChildren(
      ...lines.flatMap((text, k) => {
        const n = k + 1;
        const diags = byLine.get(n);
        const worst = diags?.some((d) => d.severity === 'error') ? 'error' : diags ? 'warning' : '';
        const row = h('div', { class: `mline ${worst}`, id: `mapping-line-${n}`, 'data-testid': `mapping-line-${n}` }, h('span', { class: 'ln', 'aria-hidden': 'true' }, String(n)), h('span', { class: 'code' }, text || ' '));
        const notes = (diags ?? []).map((d) => h('div', { class: `mnote ${d.severity}`, 'data-testid': 'mapping-note', 'data-line': String(n) }, `${' '.repeat(Math.max(0, d.column - 1))}^ ${d.severity}: ${d.message}`));
        return [row, ...notes];
      }),
    );
  } catch (e) {
    complain(e, 'Mapping');
  }
}

$('mapping-reload').addEventListener('click', () => void loadMapping());

// ---- recent exchanges ----------------------------------------------------------------------------

async function loadRecent() {
  if (!state.service || !state.detail) return;
  const all = /** @type {HTMLInputElement} */ ($('recent-all')).checked;
  const query = `?service=${enc(state.service.name)}${all ? '' : `&operation=${enc(state.detail.name)}`}`;
  try {
    /** @type {{ id: string, at: string, facade: string, service: string, operation: string | null, route: string, status: number, durationMs: number, dryRun: boolean }[]} */
    const list = await api(`/exchanges${query}`);
    $('recent-empty').hidden = list.length > 0;
    $('recent-rows').replaceChildren(
      ...list.map((x) => {
        const open = h('button', { type: 'button', 'data-testid': 'recent-open', 'data-id': x.id }, 'Open');
        open.addEventListener('click', () => void openExchange(x.id));
        return h(
          'tr',
          { 'data-testid': 'recent-row' },
          h('td', { title: x.at }, new Date(x.at).toLocaleTimeString()),
          h('td', {}, x.facade.toUpperCase()),
          h('td', { class: 'mono' }, x.route, x.dryRun ? h('span', { class: 'badge subtle' }, 'dry run') : ''),
          h('td', {}, h('span', { class: `http ${statusClass(x.status)}` }, String(x.status))),
          h('td', { class: 'time' }, msText(x.durationMs)),
          h('td', {}, open),
        );
      }),
    );
  } catch (e) {
    complain(e, 'Recent exchanges');
  }
}

/** @param {string} id */
async function openExchange(id) {
  try {
    /** @type {Exchange} */
    const ex = await api(`/exchanges/${enc(id)}`);
    // An exchange of another operation of the service ("every operation"): that operation first.
    if (ex.operation && (ex.service !== state.service?.name || ex.operation !== state.detail?.name)) await selectOperation(ex.service, ex.operation, ex.facade);
    if (ex.facade === 'soap') {
      showTab('soap');
      if (!ex.request.truncated) /** @type {HTMLTextAreaElement} */ ($('soap-input')).value = prettyXml(ex.request.body);
      renderSoap(ex);
    } else {
      showTab('rest');
      // The editor holds the default route's input: a call of that route is put back in it, with
      // its errors pinned; a custom route's body has another shape, so its errors are only listed.
      const defaultRoute = ex.route === `POST /api/${ex.service}/${ex.operation}`;
      if (defaultRoute && !ex.request.truncated && scanJson(ex.request.body).error === undefined) {
        editor.value = prettyBody(ex.request.body, 'application/json');
        showInputErrors(ex.errors ?? [], undefined);
      } else {
        void validateNow();
      }
      renderRest(ex, !defaultRoute);
    }
    say(`Reopened the exchange of ${new Date(ex.at).toLocaleTimeString()} (${ex.route})`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) say('That exchange is no longer kept (only the last few per operation are).', 'error');
    else complain(e, 'Exchange');
  }
}

$('recent-refresh').addEventListener('click', () => void loadRecent());
$('recent-all').addEventListener('change', () => void loadRecent());

// ---- admin token ---------------------------------------------------------------------------------

function showTokenState() {
  const input = /** @type {HTMLInputElement} */ ($('admin-token'));
  input.placeholder = getToken() ? 'a token is set for this tab' : 'ADMIN_TOKEN, when the bridge asks for one';
  $('token-clear').hidden = !getToken();
}

$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = /** @type {HTMLInputElement} */ ($('admin-token'));
  setToken(input.value.trim());
  input.value = '';
  showTokenState();
  void start();
});
$('token-clear').addEventListener('click', () => {
  setToken('');
  showTokenState();
});
$('refresh-services').addEventListener('click', () => void loadServices());

// ---- start ---------------------------------------------------------------------------------------

async function start() {
  await loadServices();
  const [, svc, op, tab] = /^#\/([^/]+)\/([^/]+)(?:\/([a-z]+))?$/.exec(location.hash) ?? [];
  if (!state.detail && svc && op) await selectOperation(decodeURIComponent(svc), decodeURIComponent(op), tab);
}

showTokenState();
void start();
// Backend health and circuit states change: read them again every 10 s while the tab is visible.
setInterval(() => {
  if (!document.hidden && state.services.length > 0) void loadServices();
}, 10000);
