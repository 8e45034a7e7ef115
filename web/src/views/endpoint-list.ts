// A tenant's endpoints: URL, state, events and the success rate of the last 24 hours.
import { html, nothing } from 'lit-html';
import { api, type Endpoint, type Stats } from '../api';
import { formatNumber, t } from '../i18n';
import { session } from '../session';
import { empty, errorBox, loading, rerender, type View } from '../ui';

const DAY_MS = 86400_000;

export function eventsSummary(filter: string[] | null): string {
  if (!filter || filter.length === 0) return t('endpoints.allEvents');
  if (filter.length <= 3) return filter.join(', ');
  return t('endpoints.eventsCount', { first: filter.slice(0, 2).join(', '), count: filter.length - 2 });
}

export function successRate(s: Stats | undefined): string {
  if (!s) return '…';
  const done = s.success + s.fail;
  if (done === 0) return t('endpoints.noTraffic');
  return formatNumber(s.success / done, { style: 'percent', maximumFractionDigits: 1 });
}

export class EndpointListView implements View {
  private endpoints: Endpoint[] | null = null;
  private stats = new Map<string, Stats>();
  private error: unknown = null;

  constructor() {
    void this.load();
  }

  private async load() {
    const app = session.app().id;
    try {
      const all: Endpoint[] = [];
      let iterator: string | null = null;
      for (let i = 0; i < 20; i++) {
        const page = await api.listEndpoints(app, iterator);
        all.push(...page.data);
        if (page.done || !page.iterator) break;
        iterator = page.iterator;
      }
      this.endpoints = all;
      rerender();
      const until = new Date();
      const since = new Date(until.getTime() - DAY_MS);
      await Promise.all(
        all.map(async (e) => {
          try {
            this.stats.set(e.id, await api.stats(app, e.id, since, until));
          } catch {
            // the rate stays unknown; the list is still useful
          }
        }),
      );
    } catch (e) {
      this.error = e;
    }
    rerender();
  }

  render() {
    return html`<div class="page-head">
        <h1>${t('endpoints.title')}</h1>
        <a class="button primary" href="#/endpoints/new">${t('endpoints.add')}</a>
      </div>
      ${errorBox(this.error)}
      ${this.endpoints === null && !this.error ? loading() : nothing}
      ${this.endpoints && this.endpoints.length === 0
        ? html`<div class="empty-state">${empty(t('endpoints.empty'))}<a class="button primary" href="#/endpoints/new">${t('endpoints.addFirst')}</a></div>`
        : nothing}
      ${this.endpoints && this.endpoints.length
        ? html`<table class="list" id="endpoint-table">
            <caption class="sr-only">${t('endpoints.title')}</caption>
            <thead>
              <tr>
                <th scope="col">${t('endpoints.url')}</th>
                <th scope="col">${t('endpoints.status')}</th>
                <th scope="col">${t('endpoints.events')}</th>
                <th scope="col">${t('endpoints.successRate')}</th>
              </tr>
            </thead>
            <tbody>
              ${this.endpoints.map(
                (e) => html`<tr class="endpoint-row">
                  <td data-label=${t('endpoints.url')}>
                    <a href="#/endpoints/${encodeURIComponent(e.id)}" class="endpoint-link">${e.url}</a>
                    ${e.description ? html`<div class="muted">${e.description}</div>` : nothing}
                  </td>
                  <td data-label=${t('endpoints.status')}>
                    ${e.disabled
                      ? html`<span class="badge bad">${t('endpoints.disabled')}</span>`
                      : html`<span class="badge ok">${t('endpoints.enabled')}</span>`}
                  </td>
                  <td data-label=${t('endpoints.events')}><bdi class="ltr">${eventsSummary(e.filterTypes)}</bdi></td>
                  <td data-label=${t('endpoints.successRate')}>${successRate(this.stats.get(e.id))}</td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : nothing}`;
  }
}
