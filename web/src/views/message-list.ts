// The message log: newest first, filtered by event type, delivery status and time.
import { html, nothing } from 'lit-html';
import { api, type Attempt, type Endpoint, type EventType, type Message } from '../api';
import { formatTime, t } from '../i18n';
import { session } from '../session';
import { attemptBadge, empty, errorBox, fromLocalInput, loading, rerender, type View } from '../ui';

const PAGE = 20;
const MAX_POLLS = 30;

/** The status that sums up a message: per endpoint its latest attempt; any failure wins, then in-flight. */
export function overallStatus(attempts: Attempt[]): number | null {
  if (!attempts.length) return null;
  const latest = new Map<string, Attempt>();
  for (const a of attempts) {
    const prev = latest.get(a.endpointId);
    if (!prev || a.timestamp > prev.timestamp || (a.timestamp === prev.timestamp && a.id > prev.id)) latest.set(a.endpointId, a);
  }
  const statuses = [...latest.values()].map((a) => a.status);
  if (statuses.includes(2)) return 2;
  if (statuses.includes(3)) return 3;
  if (statuses.includes(1)) return 1;
  return 0;
}

interface Row {
  msg: Message;
  status: number | null | undefined; // undefined: still loading
}

export class MessageListView implements View {
  private rows: Row[] | null = null;
  private error: unknown = null;
  private catalog: EventType[] = [];
  private eventType = '';
  private status = '';
  private after = '';
  private before = '';
  private iterator: string | null = null;
  private done = true;
  private loadingMore = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private polls = 0;
  private disposed = false;

  constructor() {
    session
      .catalog()
      .then((c) => (this.catalog = c))
      .catch(() => {})
      .finally(rerender);
    void this.search();
  }

  dispose() {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private filters() {
    const after = fromLocalInput(this.after);
    const before = fromLocalInput(this.before);
    return {
      eventTypes: this.eventType ? [this.eventType] : undefined,
      after: after?.toISOString(),
      before: before?.toISOString(),
    };
  }

  private async search() {
    this.rows = null;
    this.error = null;
    this.iterator = null;
    this.polls = 0;
    rerender();
    try {
      this.rows = [];
      await this.fetchPage();
    } catch (e) {
      this.error = e;
      this.rows = null;
    }
    rerender();
  }

  private async fetchPage() {
    const app = session.app().id;
    let messages: Message[];
    if (this.status === '') {
      const page = await api.listMessages(app, { ...this.filters(), limit: PAGE, iterator: this.iterator });
      messages = page.data;
      this.iterator = page.iterator;
      this.done = page.done;
    } else {
      messages = await this.messagesWithStatus(app, Number(this.status));
      this.done = true;
    }
    const rows: Row[] = messages.map((msg) => ({ msg, status: undefined }));
    this.rows!.push(...rows);
    rerender();
    await this.fillStatuses(app, rows);
    if (this.status !== '') {
      const wanted = Number(this.status);
      this.rows = this.rows!.filter((r) => r.status === wanted);
    }
    this.schedulePoll();
  }

  /** Messages whose attempts (at any endpoint) have the status asked for, newest first. */
  private async messagesWithStatus(app: string, status: number): Promise<Message[]> {
    const endpoints: Endpoint[] = (await api.listEndpoints(app)).data;
    const lists = await Promise.all(
      endpoints.map((e) => api.attemptsByEndpoint(app, e.id, { ...this.filters(), status, limit: 100 })),
    );
    const latest = new Map<string, string>();
    for (const a of lists.flatMap((l) => l.data)) {
      if (!latest.has(a.msgId) || latest.get(a.msgId)! < a.timestamp) latest.set(a.msgId, a.timestamp);
    }
    const ids = [...latest.entries()].sort((a, b) => (a[1] < b[1] ? 1 : -1)).slice(0, 50).map(([id]) => id);
    const messages = await Promise.all(ids.map((id) => api.getMessage(app, id)));
    return messages.sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : a.id < b.id ? 1 : -1));
  }

  private async fillStatuses(app: string, rows: Row[]) {
    await Promise.all(
      rows.map(async (r) => {
        try {
          r.status = overallStatus((await api.attemptsByMessage(app, r.msg.id)).data);
        } catch {
          r.status = null;
        }
      }),
    );
    rerender();
  }

  /** While deliveries are in flight, look again (bounded) so the log settles without a manual refresh. */
  private schedulePoll() {
    if (this.disposed || this.polls >= MAX_POLLS || this.status !== '') return;
    const inFlight = (this.rows ?? []).filter((r) => r.status === 1 || r.status === 3 || r.status === null);
    if (!inFlight.length) return;
    this.polls++;
    this.timer = setTimeout(async () => {
      if (this.disposed) return;
      await this.fillStatuses(session.app().id, inFlight);
      this.schedulePoll();
    }, 1500);
  }

  private async more() {
    this.loadingMore = true;
    rerender();
    try {
      await this.fetchPage();
    } catch (e) {
      this.error = e;
    }
    this.loadingMore = false;
    rerender();
  }

  private submit = (e: Event) => {
    e.preventDefault();
    if (this.timer) clearTimeout(this.timer);
    void this.search();
  };

  private reset = () => {
    this.eventType = this.status = this.after = this.before = '';
    void this.search();
  };

  render() {
    const set = (k: 'eventType' | 'status' | 'after' | 'before') => (e: Event) => {
      this[k] = (e.target as HTMLInputElement).value;
    };
    return html`<div class="page-head"><h1>${t('log.title')}</h1></div>
      <form class="filters" @submit=${this.submit} aria-label=${t('log.filters')}>
        <div class="field">
          <label for="f-type">${t('log.eventType')}</label>
          <select id="f-type" @change=${set('eventType')}>
            <option value="">${t('log.anyType')}</option>
            ${this.catalog.map((c) => html`<option value=${c.name} ?selected=${c.name === this.eventType}>${c.name}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="f-status">${t('log.status')}</label>
          <select id="f-status" @change=${set('status')}>
            <option value="" ?selected=${this.status === ''}>${t('log.anyStatus')}</option>
            <option value="0" ?selected=${this.status === '0'}>${t('status.success')}</option>
            <option value="1" ?selected=${this.status === '1'}>${t('status.pending')}</option>
            <option value="3" ?selected=${this.status === '3'}>${t('status.sending')}</option>
            <option value="2" ?selected=${this.status === '2'}>${t('status.fail')}</option>
          </select>
        </div>
        <div class="field">
          <label for="f-after">${t('log.after')}</label>
          <input id="f-after" type="datetime-local" .value=${this.after} @input=${set('after')} />
        </div>
        <div class="field">
          <label for="f-before">${t('log.before')}</label>
          <input id="f-before" type="datetime-local" .value=${this.before} @input=${set('before')} />
        </div>
        <div class="actions">
          <button type="submit" class="primary">${t('log.apply')}</button>
          <button type="button" @click=${this.reset}>${t('log.reset')}</button>
        </div>
      </form>
      ${errorBox(this.error)}
      ${this.rows === null && !this.error ? loading() : nothing}
      ${this.rows && this.rows.length === 0 ? empty(t('log.empty')) : nothing}
      ${this.rows?.length
        ? html`<table class="list" id="message-table">
            <caption class="sr-only">${t('log.title')}</caption>
            <thead><tr>
              <th scope="col">${t('log.time')}</th><th scope="col">${t('log.eventType')}</th>
              <th scope="col">${t('log.status')}</th><th scope="col">${t('log.message')}</th>
            </tr></thead>
            <tbody>
              ${this.rows.map(
                (r) => html`<tr class="message-row" data-msg=${r.msg.id}>
                  <td data-label=${t('log.time')}>${formatTime(r.msg.timestamp)}</td>
                  <td data-label=${t('log.eventType')}><code>${r.msg.eventType}</code></td>
                  <td data-label=${t('log.status')}>${r.status === undefined ? html`<span class="spinner small" role="img" aria-label=${t('common.loading')}></span>` : attemptBadge(r.status)}</td>
                  <td data-label=${t('log.message')}><a href="#/messages/${encodeURIComponent(r.msg.id)}" class="message-link">${r.msg.id}</a></td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : nothing}
      ${this.loadingMore ? loading() : nothing}
      ${this.rows && !this.done && !this.loadingMore ? html`<button @click=${() => this.more()}>${t('common.loadMore')}</button>` : nothing}`;
  }
}
