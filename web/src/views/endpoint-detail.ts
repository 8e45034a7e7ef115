// One endpoint: its settings, statistics chart, test event, recover, signing secret, custom headers and
// recent attempts.
import { html, nothing } from 'lit-html';
import { api, type Attempt, type Endpoint, type EventType } from '../api';
import { bucketBounds, statsChart, type Bucket } from '../chart';
import { filterMatches } from '../filter-types';
import { formatShortTime, formatTime, t } from '../i18n';
import { session } from '../session';
import { attemptBadge, empty, errorBox, fromLocalInput, loading, navigate, notice, rerender, toLocalInput, type View } from '../ui';
import { eventsSummary } from './endpoint-list';
import { firstExample } from './event-info';

const RANGES = [
  { key: 'stats.range1h', ms: 3600_000 },
  { key: 'stats.range24h', ms: 86400_000 },
  { key: 'stats.range7d', ms: 7 * 86400_000 },
] as const;
const BUCKETS = 12;

interface HeaderRow {
  key: string;
  value: string;
}

export class EndpointDetailView implements View {
  private ep: Endpoint | null = null;
  private error: unknown = null;
  private actionError: unknown = null;
  private message: (() => string) | null = null;
  private confirmDelete = false;
  private busy = false;

  private range: number = RANGES[1].ms;
  private buckets: Bucket[] | null = null;
  private statsError: unknown = null;

  private catalog: EventType[] = [];
  private testType = '';
  private testResult: { id: string; matched: boolean } | null = null;
  private testError: unknown = null;

  private recoverSince = toLocalInput(new Date(Date.now() - 86400_000));
  private recoverDone: (() => string) | null = null;
  private recoverError: unknown = null;

  private secret: string | null = null;
  private secretError: unknown = null;
  private confirmRotate = false;

  private headerRows: HeaderRow[] | null = null;
  private sensitive: string[] = [];
  private headersError: unknown = null;
  private headersSaved = false;

  private attempts: Attempt[] | null = null;
  private attemptStatus = '';
  private attemptsError: unknown = null;

  constructor(private readonly id: string) {
    void this.load();
  }

  private get app() {
    return session.app().id;
  }

  private async load() {
    try {
      this.ep = await api.getEndpoint(this.app, this.id);
    } catch (e) {
      this.error = e;
      rerender();
      return;
    }
    rerender();
    void this.loadStats();
    void this.loadHeaders();
    void this.loadAttempts();
    session
      .catalog()
      .then((c) => {
        this.catalog = c;
        const preferred = c.find((e) => filterMatches(this.ep?.filterTypes, e.name) && firstExample(e) !== null);
        this.testType = (preferred ?? c[0])?.name ?? '';
      })
      .catch((e) => (this.testError = e))
      .finally(rerender);
  }

  private async loadStats() {
    this.buckets = null;
    this.statsError = null;
    rerender();
    const until = new Date();
    const bounds = bucketBounds(until, this.range, BUCKETS);
    try {
      const stats = await Promise.all(bounds.map((b) => api.stats(this.app, this.id, b.start, b.end)));
      this.buckets = bounds.map((b, i) => ({ ...b, success: stats[i].success, fail: stats[i].fail }));
    } catch (e) {
      this.statsError = e;
    }
    rerender();
  }

  private async loadHeaders() {
    try {
      const h = await api.headers(this.app, this.id);
      this.headerRows = Object.entries(h.headers).map(([key, value]) => ({ key, value }));
      this.sensitive = h.sensitive ?? [];
    } catch (e) {
      this.headersError = e;
    }
    rerender();
  }

  private async loadAttempts() {
    this.attemptsError = null;
    try {
      const status = this.attemptStatus === '' ? null : Number(this.attemptStatus);
      this.attempts = (await api.attemptsByEndpoint(this.app, this.id, { status, limit: 20 })).data;
    } catch (e) {
      this.attemptsError = e;
    }
    rerender();
  }

  private async act(fn: () => Promise<void>) {
    this.busy = true;
    this.actionError = null;
    this.message = null;
    rerender();
    try {
      await fn();
    } catch (e) {
      this.actionError = e;
    }
    this.busy = false;
    rerender();
  }

  private toggleDisabled = () =>
    this.act(async () => {
      const disabled = !this.ep!.disabled;
      this.ep = await api.updateEndpoint(this.app, this.id, { disabled });
      this.message = () => (disabled ? t('detail.disabledNow') : t('detail.enabledNow'));
    });

  private doDelete = () =>
    this.act(async () => {
      await api.deleteEndpoint(this.app, this.id);
      navigate('#/endpoints');
    });

  private sendTest = async (e: Event) => {
    e.preventDefault();
    this.testError = null;
    this.testResult = null;
    const type = this.catalog.find((c) => c.name === this.testType);
    if (!type) return;
    try {
      const msg = await api.sendMessage(this.app, type.name, firstExample(type) ?? {});
      this.testResult = { id: msg.id, matched: !this.ep!.disabled && filterMatches(this.ep!.filterTypes, type.name) };
      setTimeout(() => void this.loadAttempts(), 1500);
    } catch (err) {
      this.testError = err;
    }
    rerender();
  };

  private recover = async (e: Event) => {
    e.preventDefault();
    this.recoverError = null;
    this.recoverDone = null;
    const since = fromLocalInput(this.recoverSince);
    if (!since) {
      this.recoverError = new Error(t('detail.recoverBadTime'));
      rerender();
      return;
    }
    try {
      const out = (await api.recover(this.app, this.id, since)) as { recovered?: number } | undefined;
      const count = out?.recovered;
      this.recoverDone = () =>
        typeof count === 'number' ? t('detail.recoveredCount', { count }) : t('detail.recoverStarted');
    } catch (err) {
      this.recoverError = err;
    }
    rerender();
  };

  private revealSecret = async () => {
    this.secretError = null;
    try {
      this.secret = (await api.secret(this.app, this.id)).key;
    } catch (e) {
      this.secretError = e;
    }
    rerender();
  };

  private rotate = async () => {
    this.secretError = null;
    this.confirmRotate = false;
    try {
      await api.rotateSecret(this.app, this.id);
      this.secret = (await api.secret(this.app, this.id)).key;
      this.message = () => t('detail.rotated');
    } catch (e) {
      this.secretError = e;
    }
    rerender();
  };

  private saveHeaders = async (e: Event) => {
    e.preventDefault();
    this.headersError = null;
    this.headersSaved = false;
    const headers: Record<string, string> = {};
    for (const row of this.headerRows ?? []) if (row.key.trim()) headers[row.key.trim()] = row.value;
    try {
      await api.setHeaders(this.app, this.id, headers);
      this.headersSaved = true;
      await this.loadHeaders();
    } catch (err) {
      this.headersError = err;
    }
    rerender();
  };

  private settings(ep: Endpoint) {
    return html`<dl class="props">
      <dt>${t('endpoints.status')}</dt>
      <dd>${ep.disabled ? html`<span class="badge bad">${t('endpoints.disabled')}</span>` : html`<span class="badge ok">${t('endpoints.enabled')}</span>`}</dd>
      <dt>${t('endpoints.events')}</dt><dd><bdi class="ltr">${eventsSummary(ep.filterTypes)}</bdi></dd>
      <dt>${t('form.bodyFormat')}</dt><dd>${ep.bodyFormat === 'form' ? t('form.formatForm') : t('form.formatJson')}</dd>
      <dt>${t('form.verificationPing')}</dt><dd>${ep.verificationPing ? t('common.yes') : t('common.no')}</dd>
      ${ep.channels?.length ? html`<dt>${t('form.channels')}</dt><dd>${ep.channels.join(', ')}</dd>` : nothing}
      <dt>${t('detail.id')}</dt><dd><code>${ep.id}</code></dd>
      <dt>${t('common.created')}</dt><dd>${formatTime(ep.createdAt)}</dd>
    </dl>`;
  }

  private statsSection() {
    return html`<section class="card" aria-labelledby="stats-heading">
      <div class="section-head">
        <h2 id="stats-heading">${t('stats.title')}</h2>
        <div class="field inline">
          <label for="stats-range">${t('stats.range')}</label>
          <select id="stats-range" @change=${(e: Event) => { this.range = Number((e.target as HTMLSelectElement).value); void this.loadStats(); }}>
            ${RANGES.map((r) => html`<option value=${r.ms} ?selected=${r.ms === this.range}>${t(r.key)}</option>`)}
          </select>
        </div>
      </div>
      ${errorBox(this.statsError)}
      ${this.buckets
        ? statsChart(this.buckets, {
            title: t('stats.title'),
            success: t('stats.success'),
            fail: t('stats.fail'),
            format: (d) => formatShortTime(d, this.range),
          })
        : this.statsError ? nothing : loading()}
    </section>`;
  }

  private testSection(ep: Endpoint) {
    const type = this.catalog.find((c) => c.name === this.testType);
    const matches = type ? filterMatches(ep.filterTypes, type.name) : true;
    return html`<section class="card" aria-labelledby="test-heading">
      <h2 id="test-heading">${t('test.title')}</h2>
      <p class="hint">${t('test.intro')}</p>
      <form @submit=${this.sendTest}>
        <div class="field">
          <label for="test-type">${t('test.eventType')}</label>
          <select id="test-type" @change=${(e: Event) => { this.testType = (e.target as HTMLSelectElement).value; this.testResult = null; rerender(); }}>
            ${this.catalog.map((c) => html`<option value=${c.name} ?selected=${c.name === this.testType}>${c.name}</option>`)}
          </select>
        </div>
        ${type && !matches ? html`<p class="warn" role="status">${t('test.notMatching', { type: type.name })}</p>` : nothing}
        ${ep.disabled ? html`<p class="warn" role="status">${t('test.disabled')}</p>` : nothing}
        <button type="submit" id="send-test" ?disabled=${!type}>${t('test.send')}</button>
      </form>
      ${errorBox(this.testError)}
      ${this.testResult
        ? html`<div class="notice" role="status">
            ${t('test.sent', { id: this.testResult.id })}
            ${this.testResult.matched ? t('test.willReceive') : t('test.willNotReceive')}
            <a href="#/messages/${encodeURIComponent(this.testResult.id)}">${t('test.viewMessage')}</a>
          </div>`
        : nothing}
    </section>`;
  }

  private recoverSection() {
    return html`<section class="card" aria-labelledby="recover-heading">
      <h2 id="recover-heading">${t('recover.title')}</h2>
      <p class="hint">${t('recover.intro')}</p>
      <form @submit=${this.recover} class="row">
        <div class="field">
          <label for="recover-since">${t('recover.since')}</label>
          <input id="recover-since" type="datetime-local" .value=${this.recoverSince}
            @input=${(e: Event) => { this.recoverSince = (e.target as HTMLInputElement).value; }} />
        </div>
        <button type="submit">${t('recover.submit')}</button>
      </form>
      ${errorBox(this.recoverError)} ${notice(this.recoverDone?.() ?? null)}
    </section>`;
  }

  private secretSection() {
    return html`<section class="card" aria-labelledby="secret-heading">
      <h2 id="secret-heading">${t('secret.title')}</h2>
      <p class="hint">${t('secret.intro')}</p>
      ${this.secret
        ? html`<p><code class="secret" id="secret-value">${this.secret}</code></p>
            <button @click=${() => { this.secret = null; rerender(); }}>${t('secret.hide')}</button>`
        : html`<p><code class="secret" aria-label=${t('secret.hidden')}>whsec_••••••••••••</code></p>
            <button id="reveal-secret" @click=${this.revealSecret}>${t('secret.reveal')}</button>`}
      ${this.confirmRotate
        ? html`<div class="confirm" role="group" aria-label=${t('secret.rotate')}>
            <p>${t('secret.rotateConfirm')}</p>
            <button class="danger" @click=${this.rotate}>${t('secret.rotateYes')}</button>
            <button @click=${() => { this.confirmRotate = false; rerender(); }}>${t('common.cancel')}</button>
          </div>`
        : html`<button @click=${() => { this.confirmRotate = true; rerender(); }}>${t('secret.rotate')}</button>`}
      ${errorBox(this.secretError)}
    </section>`;
  }

  private headersSection() {
    const rows = this.headerRows;
    return html`<section class="card" aria-labelledby="headers-heading">
      <h2 id="headers-heading">${t('headers.title')}</h2>
      <p class="hint">${t('headers.intro')}</p>
      ${rows === null && !this.headersError ? loading() : nothing}
      ${rows
        ? html`<form @submit=${this.saveHeaders}>
            ${rows.length === 0 ? empty(t('headers.empty')) : nothing}
            ${rows.map(
              (row, i) => html`<div class="header-row">
                <div class="field">
                  <label for="h-key-${i}">${t('headers.name')}</label>
                  <input id="h-key-${i}" type="text" .value=${row.key} @input=${(e: Event) => { row.key = (e.target as HTMLInputElement).value; }} />
                </div>
                <div class="field">
                  <label for="h-val-${i}">${t('headers.value')}</label>
                  <input id="h-val-${i}" type="text" .value=${row.value} @input=${(e: Event) => { row.value = (e.target as HTMLInputElement).value; }} />
                  ${this.sensitive.includes(row.key) ? html`<p class="hint">${t('headers.sensitive')}</p>` : nothing}
                </div>
                <button type="button" class="link" aria-label=${t('headers.removeNamed', { name: row.key || String(i + 1) })}
                  @click=${() => { rows.splice(i, 1); rerender(); }}>${t('headers.remove')}</button>
              </div>`,
            )}
            <div class="actions">
              <button type="button" @click=${() => { rows.push({ key: '', value: '' }); rerender(); }}>${t('headers.add')}</button>
              <button type="submit" class="primary">${t('headers.save')}</button>
            </div>
          </form>`
        : nothing}
      ${errorBox(this.headersError)} ${notice(this.headersSaved ? t('headers.saved') : null)}
    </section>`;
  }

  private attemptsSection() {
    return html`<section class="card" aria-labelledby="attempts-heading">
      <div class="section-head">
        <h2 id="attempts-heading">${t('attempts.recent')}</h2>
        <div class="field inline">
          <label for="attempt-status">${t('log.status')}</label>
          <select id="attempt-status" @change=${(e: Event) => { this.attemptStatus = (e.target as HTMLSelectElement).value; void this.loadAttempts(); }}>
            <option value="">${t('log.anyStatus')}</option>
            <option value="0" ?selected=${this.attemptStatus === '0'}>${t('status.success')}</option>
            <option value="1" ?selected=${this.attemptStatus === '1'}>${t('status.pending')}</option>
            <option value="3" ?selected=${this.attemptStatus === '3'}>${t('status.sending')}</option>
            <option value="2" ?selected=${this.attemptStatus === '2'}>${t('status.fail')}</option>
          </select>
        </div>
        <button @click=${() => this.loadAttempts()}>${t('common.refresh')}</button>
      </div>
      ${errorBox(this.attemptsError)}
      ${this.attempts === null && !this.attemptsError ? loading() : nothing}
      ${this.attempts && this.attempts.length === 0 ? empty(t('attempts.empty')) : nothing}
      ${this.attempts?.length
        ? html`<table class="list">
            <thead><tr><th scope="col">${t('log.time')}</th><th scope="col">${t('log.status')}</th>
              <th scope="col">${t('attempts.code')}</th><th scope="col">${t('log.message')}</th></tr></thead>
            <tbody>
              ${this.attempts.map(
                (a) => html`<tr>
                  <td data-label=${t('log.time')}>${formatTime(a.timestamp)}</td>
                  <td data-label=${t('log.status')}>${attemptBadge(a.status)}</td>
                  <td data-label=${t('attempts.code')}>${a.responseStatusCode || '—'}</td>
                  <td data-label=${t('log.message')}><a href="#/messages/${encodeURIComponent(a.msgId)}"><code>${a.msgId}</code></a></td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : nothing}
    </section>`;
  }

  render() {
    if (this.error) return html`<h1>${t('detail.title')}</h1>${errorBox(this.error)}<a href="#/endpoints">${t('detail.back')}</a>`;
    const ep = this.ep;
    if (!ep) return html`<h1>${t('detail.title')}</h1>${loading()}`;
    return html`<p><a href="#/endpoints">← ${t('detail.back')}</a></p>
      <div class="page-head">
        <h1 class="endpoint-url">${ep.url}</h1>
        <div class="actions">
          <a class="button" href="#/endpoints/${encodeURIComponent(ep.id)}/edit">${t('detail.edit')}</a>
          <button id="toggle-disabled" @click=${this.toggleDisabled} ?disabled=${this.busy}>${ep.disabled ? t('detail.enable') : t('detail.disable')}</button>
          <button class="danger" @click=${() => { this.confirmDelete = true; rerender(); }}>${t('detail.delete')}</button>
        </div>
      </div>
      ${ep.description ? html`<p>${ep.description}</p>` : nothing}
      ${this.confirmDelete
        ? html`<div class="confirm" role="alertdialog" aria-label=${t('detail.delete')}>
            <p>${t('detail.deleteConfirm')}</p>
            <button class="danger" id="confirm-delete" @click=${this.doDelete}>${t('detail.deleteYes')}</button>
            <button @click=${() => { this.confirmDelete = false; rerender(); }}>${t('common.cancel')}</button>
          </div>`
        : nothing}
      ${errorBox(this.actionError)} ${notice(this.message?.() ?? null)}
      <section class="card">${this.settings(ep)}</section>
      ${this.statsSection()} ${this.testSection(ep)} ${this.attemptsSection()} ${this.recoverSection()}
      ${this.secretSection()} ${this.headersSection()}`;
  }
}
