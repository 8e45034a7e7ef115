// The portal's shell: session start, hash routing, header with navigation and language switch.
import { html, render, nothing, type TemplateResult } from 'lit-html';
import './style.css';
import { applyLang, lang, LANGS, setLang, t, type Lang } from './i18n';
import { session } from './session';
import { errorBox, loading, rerender, setRenderer, type View } from './ui';
import { LoginView } from './views/login';
import { EndpointListView } from './views/endpoint-list';
import { EndpointFormView } from './views/endpoint-form';
import { EndpointDetailView } from './views/endpoint-detail';
import { MessageListView } from './views/message-list';
import { MessageDetailView } from './views/message-detail';
import { TenantsView } from './views/tenants';
import { CatalogView } from './views/catalog';

const root = document.getElementById('app')!;
// lit-html appends to what is there: drop the static placeholder once.
root.textContent = '';
let view: View | null = null;
let viewRoute = '';
let starting = true;
let startError: unknown = null;

function route(): string {
  const h = location.hash.replace(/^#/, '');
  return h.startsWith('/') ? h : '/';
}

function makeView(path: string): View {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const info = session.info;
  if (!info) return new LoginView(start);
  if (info.role === 'admin') {
    if (parts[0] === 'catalog') return new CatalogView();
    return new TenantsView();
  }
  const [section, id, action] = parts;
  if (section === 'messages' && id) return new MessageDetailView(id);
  if (section === 'messages') return new MessageListView();
  if (section === 'endpoints' && id === 'new') return new EndpointFormView(null);
  if (section === 'endpoints' && id && action === 'edit') return new EndpointFormView(id);
  if (section === 'endpoints' && id) return new EndpointDetailView(id);
  return new EndpointListView();
}

function navLink(href: string, label: string, active: boolean): TemplateResult {
  return html`<a href=${href} aria-current=${active ? 'page' : 'false'}>${label}</a>`;
}

function header(): TemplateResult {
  const info = session.info;
  const path = route();
  const onLang = (e: Event) => {
    setLang((e.target as HTMLSelectElement).value as Lang);
    rerender();
  };
  return html`<header class="top">
    <a class="skip" href="#main" @click=${(e: Event) => {
      e.preventDefault();
      document.getElementById('main')?.focus();
    }}>${t('nav.skip')}</a>
    <div class="brand">
      <span class="logo" aria-hidden="true">⇄</span>
      <span class="app-name">${info?.role === 'tenant' ? info.app?.name : t('app.title')}</span>
      ${info?.role === 'admin' ? html`<span class="badge neutral">${t('nav.operator')}</span>` : nothing}
    </div>
    <nav aria-label=${t('nav.main')}>
      ${info?.role === 'tenant'
        ? html`${navLink('#/endpoints', t('nav.endpoints'), path === '/' || path.startsWith('/endpoints'))}
          ${navLink('#/messages', t('nav.messages'), path.startsWith('/messages'))}`
        : nothing}
      ${info?.role === 'admin'
        ? html`${navLink('#/tenants', t('nav.tenants'), !path.startsWith('/catalog'))}
          ${navLink('#/catalog', t('nav.catalog'), path.startsWith('/catalog'))}`
        : nothing}
      ${info?.role === 'tenant' && session.isOperator()
        ? html`<button class="link" @click=${backToOperator}>${t('nav.backToOperator')}</button>`
        : nothing}
      ${info?.role === 'admin'
        ? html`<button class="link" @click=${signOut}>${t('nav.signOut')}</button>`
        : nothing}
    </nav>
    <label class="lang">
      <span>${t('nav.language')}</span>
      <select id="lang-select" @change=${onLang}>
        ${LANGS.map((l) => html`<option value=${l.code} ?selected=${l.code === lang()} lang=${l.code}>${l.name}</option>`)}
      </select>
    </label>
  </header>`;
}

async function backToOperator(): Promise<void> {
  session.leaveTenant();
  location.hash = '#/tenants';
  await start();
}

async function signOut(): Promise<void> {
  session.signOut();
  location.hash = '#/';
  await start();
}

function renderApp(): void {
  applyLang();
  let body: TemplateResult;
  if (starting) body = loading();
  else if (startError && !session.info) body = html`${errorBox(startError)}${currentView().render()}`;
  else body = currentView().render();
  render(
    html`${header()}<main id="main" tabindex="-1">${body}</main>
      <footer class="foot">hookd</footer>`,
    root,
  );
}

function currentView(): View {
  const r = session.info ? route() : '/login';
  if (!view || viewRoute !== r) {
    view?.dispose?.();
    view = makeView(r);
    viewRoute = r;
  }
  return view;
}

/** (Re)reads the session from the stored token; a refused token is dropped and the sign-in page shown. */
async function start(): Promise<void> {
  starting = true;
  startError = null;
  view?.dispose?.();
  view = null;
  viewRoute = '';
  rerender();
  try {
    await session.load();
  } catch (e) {
    startError = e;
    if (session.tenantToken()) session.leaveTenant();
    else session.signOut();
    session.info = null;
  }
  starting = false;
  rerender();
}

window.addEventListener('hashchange', () => {
  if (session.takeTokenFromHash()) {
    void start();
    return;
  }
  rerender();
  // Move focus to the new page so keyboard and screen reader users start at its top.
  queueMicrotask(() => document.getElementById('main')?.focus({ preventScroll: false }));
});

setRenderer(renderApp);
session.takeTokenFromHash();
applyLang();
void start();
