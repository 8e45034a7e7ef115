// Operator view of the event catalog, grouped as tenants see it when they pick events.
import { html, nothing } from 'lit-html';
import type { EventType } from '../api';
import { groupCatalog } from '../filter-types';
import { t } from '../i18n';
import { session } from '../session';
import { empty, errorBox, loading, rerender, type View } from '../ui';
import { eventInfo } from './event-info';

export class CatalogView implements View {
  private catalog: EventType[] | null = null;
  private error: unknown = null;
  private search = '';

  constructor() {
    session
      .catalog()
      .then((c) => (this.catalog = c))
      .catch((e) => (this.error = e))
      .finally(rerender);
  }

  render() {
    const q = this.search.toLowerCase();
    const groups = this.catalog
      ? groupCatalog(this.catalog.filter((e) => !q || e.name.toLowerCase().includes(q) || e.description.toLowerCase().includes(q)))
      : [];
    return html`<h1>${t('catalog.title')}</h1>
      ${errorBox(this.error)}
      ${this.catalog === null && !this.error ? loading() : nothing}
      ${this.catalog
        ? html`<p>${t('catalog.count', { count: this.catalog.length })}</p>
            <div class="field inline">
              <label for="catalog-search">${t('catalog.search')}</label>
              <input id="catalog-search" type="search" .value=${this.search}
                @input=${(e: Event) => { this.search = (e.target as HTMLInputElement).value; rerender(); }} />
            </div>
            ${groups.length === 0 ? empty(t('catalog.empty')) : nothing}
            ${groups.map(
              (g) => html`<section class="card group">
                <h2>${g.name || t('catalog.noGroup')}</h2>
                <ul class="events">
                  ${g.events.map((e) => html`<li><code class="event-name">${e.name}</code>${eventInfo(e)}</li>`)}
                </ul>
              </section>`,
            )}`
        : nothing}`;
  }
}
