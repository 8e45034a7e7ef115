// One message: its payload and every delivery attempt (request and response), with resend.
import { html, nothing } from 'lit-html';
import { api, type Attempt, type Endpoint, type Message } from '../api';
import { formatNumber, formatTime, t } from '../i18n';
import { session } from '../session';
import { attemptBadge, codeBlock, empty, errorBox, headersTable, loading, notice, prettyJson, rerender, type View } from '../ui';

const MAX_POLLS = 40;
const TRIGGER_KEYS = ['attempts.triggerScheduled', 'attempts.triggerManual'] as const;

export class MessageDetailView implements View {
  private msg: Message | null = null;
  private attempts: Attempt[] | null = null;
  private endpoints: Endpoint[] = [];
  private error: unknown = null;
  private resendError: unknown = null;
  private resent: (() => string) | null = null;
  private resendTarget = '';
  private timer: ReturnType<typeof setTimeout> | null = null;
  private polls = 0;
  private disposed = false;
  // After a resend, keep looking until this many attempts are listed.
  private awaitCount = 0;

  constructor(private readonly id: string) {
    void this.load();
  }

  dispose() {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async load() {
    const app = session.app().id;
    try {
      const [msg, endpoints] = await Promise.all([api.getMessage(app, this.id), api.listEndpoints(app)]);
      this.msg = msg;
      this.endpoints = endpoints.data;
      await this.loadAttempts();
    } catch (e) {
      this.error = e;
    }
    rerender();
  }

  private async loadAttempts() {
    const list = (await api.attemptsByMessage(session.app().id, this.id)).data;
    // Newest first, whatever order the server lists them in.
    this.attempts = list.sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : a.id < b.id ? 1 : -1));
    if (!this.resendTarget) this.resendTarget = this.attempts[0]?.endpointId ?? this.endpoints[0]?.id ?? '';
    rerender();
    this.schedulePoll();
  }

  private schedulePoll() {
    if (this.timer) clearTimeout(this.timer);
    if (this.disposed || this.polls >= MAX_POLLS) return;
    const inFlight = (this.attempts ?? []).some((a) => a.status === 1 || a.status === 3);
    const count = (this.attempts ?? []).length;
    const nothingYet = count === 0 && this.endpoints.length > 0;
    if (!inFlight && !nothingYet && count >= this.awaitCount) return;
    this.polls++;
    this.timer = setTimeout(() => {
      if (!this.disposed) this.loadAttempts().catch((e) => ((this.error = e), rerender()));
    }, 1000);
  }

  private refresh = () => {
    this.polls = 0;
    this.loadAttempts().catch((e) => ((this.error = e), rerender()));
  };

  private resend = async (endpointId: string) => {
    this.resendError = null;
    this.resent = null;
    try {
      await api.resend(session.app().id, this.id, endpointId);
      const ep = this.endpoints.find((e) => e.id === endpointId);
      this.resent = () => t('message.resent', { url: ep?.url ?? endpointId });
      this.awaitCount = (this.attempts?.length ?? 0) + 1;
      this.refresh();
    } catch (e) {
      this.resendError = e;
    }
    rerender();
  };

  private attemptCard(a: Attempt) {
    const ep = this.endpoints.find((e) => e.id === a.endpointId);
    const requestBody = a.requestBody === null ? prettyJson(this.msg?.payload ?? {}) : prettyJson(a.requestBody);
    return html`<article class="card attempt" data-attempt=${a.id} data-status=${a.status}>
      <header class="attempt-head">
        ${attemptBadge(a.status)}
        <span class="code-chip" title=${t('attempts.code')}>${a.responseStatusCode ? `HTTP ${a.responseStatusCode}` : '—'}</span>
        <span>${formatTime(a.timestamp)}</span>
        <span class="muted">${t('attempts.duration', { ms: formatNumber(a.responseDurationMs) })}</span>
        <span class="muted">${t(TRIGGER_KEYS[a.triggerType] ?? TRIGGER_KEYS[0])}</span>
      </header>
      <p class="url">${t('attempts.to')} <code>${a.url}</code>${ep ? nothing : html` <span class="muted">(${t('attempts.endpointGone')})</span>`}</p>
      ${a.errorClass ? html`<p class="warn">${t('attempts.errorClass', { cls: a.errorClass })} ${a.errorDetail}</p>` : nothing}
      <div class="two-col">
        <div>
          <h3>${t('attempts.request')}</h3>
          ${headersTable(a.requestHeaders, t('attempts.requestHeaders'))}
          <h4>${t('attempts.requestBody')}</h4>
          ${codeBlock(requestBody, t('attempts.requestBody'))}
        </div>
        <div>
          <h3>${t('attempts.response')}</h3>
          <p>${t('attempts.statusLine', { code: a.responseStatusCode || '—' })}</p>
          ${headersTable(a.responseHeaders, t('attempts.responseHeaders'))}
          <h4>${t('attempts.responseBody')}</h4>
          ${a.response ? html`<div class="response-body">${codeBlock(prettyJson(a.response), t('attempts.responseBody'))}</div>` : html`<p class="muted">${t('attempts.noBody')}</p>`}
        </div>
      </div>
      ${ep ? html`<button class="resend" @click=${() => this.resend(a.endpointId)} aria-label=${t('message.resendTo', { url: ep.url })}>${t('message.resend')}</button>` : nothing}
    </article>`;
  }

  render() {
    if (this.error && !this.msg) return html`<h1>${t('message.title')}</h1>${errorBox(this.error)}<a href="#/messages">${t('message.back')}</a>`;
    const m = this.msg;
    if (!m) return html`<h1>${t('message.title')}</h1>${loading()}`;
    return html`<p><a href="#/messages">← ${t('message.back')}</a></p>
      <h1>${t('message.title')} <code>${m.id}</code></h1>
      ${errorBox(this.error)}
      <section class="card">
        <dl class="props">
          <dt>${t('log.eventType')}</dt><dd><code>${m.eventType}</code></dd>
          <dt>${t('log.time')}</dt><dd>${formatTime(m.timestamp)}</dd>
          ${m.eventId ? html`<dt>${t('message.eventId')}</dt><dd><code>${m.eventId}</code></dd>` : nothing}
          ${m.channels?.length ? html`<dt>${t('form.channels')}</dt><dd>${m.channels.join(', ')}</dd>` : nothing}
        </dl>
        <h2>${t('message.payload')}</h2>
        ${codeBlock(prettyJson(m.payload), t('message.payload'))}
      </section>
      <section class="card" aria-labelledby="resend-heading">
        <h2 id="resend-heading">${t('message.resendTitle')}</h2>
        ${this.endpoints.length
          ? html`<form class="row" @submit=${(e: Event) => { e.preventDefault(); if (this.resendTarget) void this.resend(this.resendTarget); }}>
              <div class="field">
                <label for="resend-endpoint">${t('message.endpoint')}</label>
                <select id="resend-endpoint" @change=${(e: Event) => { this.resendTarget = (e.target as HTMLSelectElement).value; }}>
                  ${this.endpoints.map((e) => html`<option value=${e.id} ?selected=${e.id === this.resendTarget}>${e.url}</option>`)}
                </select>
              </div>
              <button type="submit" id="resend-button">${t('message.resend')}</button>
            </form>`
          : empty(t('message.noEndpoints'))}
        ${errorBox(this.resendError)} ${notice(this.resent?.() ?? null)}
      </section>
      <section aria-labelledby="attempts-heading">
        <div class="section-head">
          <h2 id="attempts-heading">${t('attempts.title')}</h2>
          <button @click=${this.refresh}>${t('common.refresh')}</button>
        </div>
        ${this.attempts === null ? loading() : nothing}
        ${this.attempts && this.attempts.length === 0 ? empty(t('attempts.noneForMessage')) : nothing}
        ${this.attempts?.map((a) => this.attemptCard(a))}
      </section>`;
  }
}
