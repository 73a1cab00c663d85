// Small DOM helpers. Every text goes in through `textContent` (never
// `innerHTML`), so names typed by admins or vendors cannot inject markup.

/**
 * Build an element: h('button', { class: 'primary', onclick: fn }, 'Save').
 * Attributes starting with `on` become listeners; `false`/`null` attributes
 * are left out; children may be strings, nodes, arrays or null.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      element.className = value;
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (name in element && typeof value !== 'string' && name !== 'list') {
      element[name] = value;
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/** Replace the children of `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

let announcer;

/** Tell screen-reader users about a change that happened out of focus. */
export function announce(message) {
  announcer ??= document.getElementById('announcer');
  if (!announcer) return;
  announcer.textContent = '';
  // A fresh text node after a tick makes repeated messages be read again.
  setTimeout(() => {
    announcer.textContent = message;
  }, 50);
}

/** Move focus to a heading or region after it replaced the page. */
export function focusHeading(container) {
  const target = container.querySelector('h1, h2');
  if (!target) return;
  target.setAttribute('tabindex', '-1');
  target.focus({ preventScroll: false });
}

/** Call `fn` once the calls have paused for `ms` milliseconds. */
export function debounce(fn, ms) {
  let timer;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

let nextId = 0;

/** A document-unique id for ARIA references. */
export function uid(prefix) {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/** A visible message box; `kind` is error, warning, success or info. */
export function messageBox(kind, title, ...body) {
  const role = kind === 'error' ? 'alert' : 'status';
  return h(
    'div',
    { class: `message message-${kind}`, role },
    title ? h('p', { class: 'message-title' }, title) : null,
    ...body,
  );
}

/** A breadcrumb: `parent` is `[href, label]`; `current` the page's name, if known. */
export function breadcrumb([href, label], current) {
  return h(
    'nav',
    { 'aria-label': 'Breadcrumb', class: 'breadcrumb' },
    h('ol', {}, h('li', {}, h('a', { href }, label)), current ? h('li', {}, h('span', { 'aria-current': 'page' }, current)) : null),
  );
}

/** One term and its value of a `<dl class="facts">`. */
export function fact(term, value) {
  return [h('dt', {}, term), h('dd', {}, value)];
}
