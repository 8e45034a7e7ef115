// Operator view: the tenants (applications), the server's health, and a way into any tenant's portal.
import { html, nothing } from 'lit-html';
import { api, type App } from '../api';
import { formatTime, t } from '../i18n';
import { session } from '../session';
import { empty, errorBox, loading, rerender, type View } from '../ui';

export class TenantsView implements View {
  private apps: App[] = [];
  private iterator: string | null = null;
  private done = false;
  private busy = true;
  private error: unknown = null;
  private health: string | null = null;
  private filter = '';

  constructor() {
    void this.more();
    api
      .health()
      .then((h) => (this.health = h.status))
      .catch(() => (this.health = 'down'))
      .finally(rerender);
  }

  private async more() {
    this.busy = true;
    this.error = null;
    rerender();
    try {
      const page = await api.listApps(this.iterator);
      this.apps.push(...page.data);
      this.iterator = page.iterator;
      this.done = page.done;
    } catch (e) {
      this.error = e;
    }
    this.busy = false;
    rerender();
  }

  private async open(app: App) {
    this.error = null;
    try {
      const access = await api.portalAccess(app.id);
      session.setTenantToken(access.token);
      // Same origin as this page, whatever public URL the server was configured with.
      location.hash = `#token=${encodeURIComponent(access.token)}`;
    } catch (e) {
      this.error = e;
      rerender();
    }
  }

  render() {
    const q = this.filter.toLowerCase();
    const shown = this.apps.filter(
      (a) => !q || a.name.toLowerCase().includes(q) || a.id.toLowerCase().includes(q) || (a.uid ?? '').toLowerCase().includes(q),
    );
    return html`<h1>${t('tenants.title')}</h1>
      <p class="health">
        ${t('tenants.health')}:
        ${this.health === null
          ? html`<span class="badge none">${t('common.loading')}</span>`
          : this.health === 'ok'
            ? html`<span class="badge ok">${t('tenants.healthOk')}</span>`
            : html`<span class="badge bad">${t('tenants.healthDown')}</span>`}
      </p>
      ${errorBox(this.error)}
      <div class="field inline">
        <label for="tenant-search">${t('tenants.search')}</label>
        <input id="tenant-search" type="search" .value=${this.filter}
          @input=${(e: Event) => { this.filter = (e.target as HTMLInputElement).value; rerender(); }} />
      </div>
      ${!this.busy && this.apps.length === 0 ? empty(t('tenants.empty')) : nothing}
      ${shown.length
        ? html`<table class="list">
            <thead><tr><th scope="col">${t('tenants.name')}</th><th scope="col">${t('tenants.id')}</th>
              <th scope="col">${t('common.created')}</th><th scope="col"><span class="sr-only">${t('common.actions')}</span></th></tr></thead>
            <tbody>
              ${shown.map(
                (a) => html`<tr>
                  <td data-label=${t('tenants.name')}>${a.name}</td>
                  <td data-label=${t('tenants.id')}><code>${a.uid ?? a.id}</code></td>
                  <td data-label=${t('common.created')}>${formatTime(a.createdAt)}</td>
                  <td><button @click=${() => this.open(a)} aria-label=${t('tenants.openFor', { name: a.name })}>${t('tenants.open')}</button></td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : nothing}
      ${this.busy ? loading() : nothing}
      ${!this.busy && !this.done ? html`<button @click=${() => this.more()}>${t('common.loadMore')}</button>` : nothing}`;
  }
}
