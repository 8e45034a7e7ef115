// Shared pieces: re-rendering, loading and error states, badges, JSON blocks.
import { html, nothing, type TemplateResult } from 'lit-html';
import { ApiError } from './api';
import { t, type Key } from './i18n';

let scheduled = false;
let renderFn: () => void = () => {};
export function setRenderer(fn: () => void): void {
  renderFn = fn;
}
/** Re-render on the next microtask; many state changes in one tick render once. */
export function rerender(): void {
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(() => {
    scheduled = false;
    renderFn();
  });
}

export interface View {
  render(): TemplateResult;
  dispose?(): void;
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('error.network', { detail: e.detail });
    return e.detail;
  }
  return e instanceof Error ? e.message : String(e);
}

export function loading(label?: string): TemplateResult {
  return html`<p class="loading" role="status"><span class="spinner" aria-hidden="true"></span>${label ?? t('common.loading')}</p>`;
}

export function errorBox(e: unknown): TemplateResult | typeof nothing {
  if (e === null || e === undefined) return nothing;
  return html`<div class="error" role="alert" tabindex="-1"><strong>${t('common.error')}</strong> ${errorText(e)}</div>`;
}

export function notice(text: string | null): TemplateResult | typeof nothing {
  return text ? html`<div class="notice" role="status">${text}</div>` : nothing;
}

export function empty(text: string): TemplateResult {
  return html`<p class="empty">${text}</p>`;
}

const ATTEMPT_STATUS: Record<number, { key: Key; cls: string }> = {
  0: { key: 'status.success', cls: 'ok' },
  1: { key: 'status.pending', cls: 'wait' },
  2: { key: 'status.fail', cls: 'bad' },
  3: { key: 'status.sending', cls: 'wait' },
};

export function attemptBadge(status: number | null): TemplateResult {
  if (status === null) return html`<span class="badge none">${t('status.none')}</span>`;
  const s = ATTEMPT_STATUS[status] ?? ATTEMPT_STATUS[1];
  return html`<span class="badge ${s.cls}" data-status=${status}>${t(s.key)}</span>`;
}

export function prettyJson(value: unknown): string {
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}

export function codeBlock(text: string, label: string): TemplateResult {
  return html`<pre class="code" tabindex="0" aria-label=${label}><code>${text}</code></pre>`;
}

export function headersTable(headers: Record<string, string> | null, caption: string): TemplateResult {
  const entries = Object.entries(headers ?? {});
  if (!entries.length) return html`<p class="muted">${caption}: ${t('common.none')}</p>`;
  return html`<table class="kv">
    <caption>${caption}</caption>
    <tbody>
      ${entries.map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}
    </tbody>
  </table>`;
}

/** A datetime-local value (local time, minutes) for a Date, and back. */
export function toLocalInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
export function fromLocalInput(v: string): Date | null {
  if (!v) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function navigate(hash: string): void {
  if (location.hash === hash) rerender();
  else location.hash = hash;
}
