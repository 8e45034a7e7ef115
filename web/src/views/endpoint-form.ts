// Create or edit an endpoint: URL, description, events picked from the catalog, body format, ping.
import { html, nothing } from 'lit-html';
import { api, type Endpoint, type EndpointIn, type EventType } from '../api';
import { groupCatalog, groupWildcard, Selection, type Group } from '../filter-types';
import { t } from '../i18n';
import { session } from '../session';
import { empty, errorBox, loading, navigate, rerender, type View } from '../ui';
import { eventInfo } from './event-info';

export class EndpointFormView implements View {
  private endpoint: Endpoint | null = null;
  private catalog: EventType[] | null = null;
  private groups: Group[] = [];
  private selection = new Selection();
  private search = '';
  private loadError: unknown = null;
  private saveError: unknown = null;
  private saving = false;
  private ready = false;
  // Form fields kept here so a re-render (language switch, search) never loses what was typed.
  private url = '';
  private description = '';
  private bodyFormat: 'json' | 'form' = 'json';
  private verificationPing = false;
  private disabled = false;
  private channels = '';

  constructor(private readonly id: string | null) {
    void this.load();
  }

  private async load() {
    try {
      const [catalog, endpoint] = await Promise.all([
        session.catalog(),
        this.id ? api.getEndpoint(session.app().id, this.id) : Promise.resolve(null),
      ]);
      this.catalog = catalog;
      this.groups = groupCatalog(catalog);
      if (endpoint) {
        this.endpoint = endpoint;
        this.url = endpoint.url;
        this.description = endpoint.description;
        this.bodyFormat = endpoint.bodyFormat;
        this.verificationPing = endpoint.verificationPing;
        this.disabled = endpoint.disabled;
        this.channels = (endpoint.channels ?? []).join(', ');
        this.selection = new Selection(endpoint.filterTypes);
      }
      this.ready = true;
    } catch (e) {
      this.loadError = e;
    }
    rerender();
  }

  private body(): EndpointIn {
    const channels = this.channels
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    const out: EndpointIn = {
      url: this.url.trim(),
      description: this.description,
      filterTypes: this.selection.toFilterTypes(),
      channels: channels.length ? channels : null,
      bodyFormat: this.bodyFormat,
      verificationPing: this.verificationPing,
    };
    if (this.endpoint) out.disabled = this.disabled;
    return out;
  }

  private submit = async (e: Event) => {
    e.preventDefault();
    this.saving = true;
    this.saveError = null;
    rerender();
    try {
      const app = session.app().id;
      const saved = this.endpoint
        ? await api.updateEndpoint(app, this.endpoint.id, this.body())
        : await api.createEndpoint(app, this.body());
      navigate(`#/endpoints/${encodeURIComponent(saved.id)}`);
    } catch (err) {
      this.saveError = err;
      this.saving = false;
      rerender();
      queueMicrotask(() => document.querySelector<HTMLElement>('.form-error [role=alert]')?.focus());
    }
  };

  private matches(e: EventType): boolean {
    const q = this.search.trim().toLowerCase();
    return !q || e.name.toLowerCase().includes(q) || e.description.toLowerCase().includes(q) || (e.groupName ?? '').toLowerCase().includes(q);
  }

  private groupBlock(g: Group, index: number) {
    const visible = g.events.filter((e) => this.matches(e));
    if (!visible.length) return nothing;
    const all = this.selection.isGroupAll(g);
    const wildcard = groupWildcard(g);
    const groupLabel = g.name || t('catalog.noGroup');
    const groupId = `group-${index}`;
    return html`<fieldset class="group" data-group=${g.name}>
      <legend>${groupLabel}</legend>
      <label class="check group-all">
        <input type="checkbox" id=${groupId} .checked=${all}
          @change=${(ev: Event) => { this.selection.setGroupAll(g, (ev.target as HTMLInputElement).checked); rerender(); }} />
        <span>${t('form.allOfGroup', { group: groupLabel })}</span>
        ${wildcard ? html`<code class="muted">${wildcard}</code>` : nothing}
      </label>
      ${all && wildcard ? html`<p class="hint">${t('form.wildcardHint', { pattern: wildcard })}</p>` : nothing}
      <ul class="events">
        ${visible.map((e) => {
          const via = this.selection.names.has(e.name) ? null : this.selection.coveringWildcard(e.name);
          return html`<li>
            <label class="check">
              <input type="checkbox" name="event" value=${e.name} .checked=${this.selection.covers(e.name)} ?disabled=${via !== null}
                @change=${(ev: Event) => { this.selection.toggle(e.name, (ev.target as HTMLInputElement).checked); rerender(); }} />
              <code class="event-name">${e.name}</code>
              ${via ? html`<span class="muted">${t('form.includedBy', { pattern: via })}</span>` : nothing}
            </label>
            ${eventInfo(e)}
          </li>`;
        })}
      </ul>
    </fieldset>`;
  }

  private unknownPatterns() {
    const known = new Set(this.catalog?.map((e) => e.name) ?? []);
    const wildcards = new Set(this.groups.map(groupWildcard).filter(Boolean) as string[]);
    const extra = [
      ...[...this.selection.patterns].filter((p) => !wildcards.has(p)),
      ...[...this.selection.names].filter((n) => !known.has(n)),
    ];
    if (!extra.length) return nothing;
    return html`<fieldset class="group">
      <legend>${t('form.otherPatterns')}</legend>
      <ul class="events">
        ${extra.map(
          (p) => html`<li><label class="check"><input type="checkbox" checked
            @change=${() => { this.selection.patterns.delete(p); this.selection.names.delete(p); rerender(); }} />
            <code>${p}</code></label></li>`,
        )}
      </ul>
    </fieldset>`;
  }

  render() {
    const title = this.id ? t('form.editTitle') : t('form.createTitle');
    if (this.loadError) return html`<h1>${title}</h1>${errorBox(this.loadError)}`;
    if (!this.ready) return html`<h1>${title}</h1>${loading()}`;
    const picked = this.selection.toFilterTypes();
    const anyVisible = this.groups.some((g) => g.events.some((e) => this.matches(e)));
    const field = (k: 'url' | 'description' | 'channels') => (ev: Event) => {
      const v = (ev.target as HTMLInputElement).value;
      if (k === 'url') this.url = v;
      else if (k === 'description') this.description = v;
      else this.channels = v;
    };
    return html`<h1>${title}</h1>
      <form class="endpoint-form" @submit=${this.submit} novalidate>
        <div class="field">
          <label for="ep-url">${t('form.url')}</label>
          <input id="ep-url" name="url" type="url" required placeholder="https://" .value=${this.url} @input=${field('url')} aria-describedby="ep-url-hint" />
          <p class="hint" id="ep-url-hint">${t('form.urlHint')}</p>
        </div>
        <div class="field">
          <label for="ep-description">${t('form.description')}</label>
          <input id="ep-description" name="description" type="text" .value=${this.description} @input=${field('description')} />
        </div>

        <section class="picker" aria-labelledby="events-heading">
          <h2 id="events-heading">${t('form.events')}</h2>
          <p class="hint" id="events-summary" role="status">
            ${picked ? t('form.selectedCount', { count: picked.length, list: picked.join(', ') }) : t('form.noneSelected')}
          </p>
          <div class="picker-tools">
            <div class="field inline">
              <label for="event-search">${t('form.searchEvents')}</label>
              <input id="event-search" type="search" .value=${this.search}
                @input=${(ev: Event) => { this.search = (ev.target as HTMLInputElement).value; rerender(); }} />
            </div>
            <button type="button" @click=${() => { this.selection.clear(); rerender(); }} ?disabled=${!picked}>${t('form.clearEvents')}</button>
          </div>
          ${this.catalog && this.catalog.length === 0 ? empty(t('form.catalogEmpty')) : nothing}
          ${this.catalog?.length && !anyVisible ? empty(t('form.noMatch')) : nothing}
          ${this.groups.map((g, i) => this.groupBlock(g, i))}
          ${this.unknownPatterns()}
        </section>

        <section aria-labelledby="delivery-heading">
          <h2 id="delivery-heading">${t('form.delivery')}</h2>
          <div class="field">
            <label for="ep-format">${t('form.bodyFormat')}</label>
            <select id="ep-format" @change=${(ev: Event) => { this.bodyFormat = (ev.target as HTMLSelectElement).value as 'json' | 'form'; }}>
              <option value="json" ?selected=${this.bodyFormat === 'json'}>${t('form.formatJson')}</option>
              <option value="form" ?selected=${this.bodyFormat === 'form'}>${t('form.formatForm')}</option>
            </select>
          </div>
          <label class="check">
            <input type="checkbox" id="ep-ping" .checked=${this.verificationPing}
              @change=${(ev: Event) => { this.verificationPing = (ev.target as HTMLInputElement).checked; }} />
            <span>${t('form.verificationPing')}</span>
          </label>
          <p class="hint">${t('form.verificationPingHint')}</p>
          ${this.endpoint
            ? html`<label class="check">
                <input type="checkbox" id="ep-disabled" .checked=${this.disabled}
                  @change=${(ev: Event) => { this.disabled = (ev.target as HTMLInputElement).checked; }} />
                <span>${t('form.disabled')}</span>
              </label>`
            : nothing}
          <div class="field">
            <label for="ep-channels">${t('form.channels')}</label>
            <input id="ep-channels" type="text" .value=${this.channels} @input=${field('channels')} aria-describedby="ep-channels-hint" />
            <p class="hint" id="ep-channels-hint">${t('form.channelsHint')}</p>
          </div>
        </section>

        <div class="form-error">${errorBox(this.saveError)}</div>
        <div class="actions">
          <button type="submit" class="primary" ?disabled=${this.saving}>
            ${this.saving ? t('common.saving') : this.endpoint ? t('form.save') : t('form.create')}
          </button>
          <a class="button" href=${this.endpoint ? `#/endpoints/${encodeURIComponent(this.endpoint.id)}` : '#/endpoints'}>${t('common.cancel')}</a>
        </div>
      </form>`;
  }
}
