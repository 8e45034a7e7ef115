// A thin client for the hookd (Svix-compatible) API at the same origin.

export interface ListOut<T> {
  data: T[];
  iterator: string | null;
  prevIterator: string | null;
  done: boolean;
}

export interface App {
  id: string;
  uid: string | null;
  name: string;
  createdAt: string;
}

export interface Session {
  role: 'tenant' | 'admin';
  app?: App;
}

export interface EventType {
  name: string;
  description: string;
  groupName: string | null;
  schemas: Record<string, unknown> | null;
  examples: unknown[] | null;
  bodyFormat?: string;
  deprecated?: boolean;
}

export interface Endpoint {
  id: string;
  uid: string | null;
  url: string;
  description: string;
  disabled: boolean;
  filterTypes: string[] | null;
  channels: string[] | null;
  bodyFormat: 'json' | 'form';
  verificationPing: boolean;
  authId: string;
  createdAt: string;
  updatedAt: string;
}

export interface EndpointIn {
  url: string;
  description: string;
  filterTypes: string[] | null;
  channels: string[] | null;
  disabled?: boolean;
  bodyFormat: 'json' | 'form';
  verificationPing: boolean;
  authId?: string;
  authSecret?: string;
}

export interface Message {
  id: string;
  eventId: string | null;
  eventType: string;
  payload: unknown;
  channels: string[] | null;
  timestamp: string;
}

export interface Attempt {
  id: string;
  msgId: string;
  endpointId: string;
  url: string;
  response: string;
  responseStatusCode: number;
  responseDurationMs: number;
  responseHeaders: Record<string, string> | null;
  requestHeaders: Record<string, string> | null;
  requestBody: string | null;
  status: number; // 0 success, 1 pending, 2 fail, 3 sending
  errorClass: string | null;
  errorDetail: string;
  triggerType: number;
  timestamp: string;
}

export interface Stats {
  success: number;
  pending: number;
  sending: number;
  fail: number;
}

export interface Headers {
  headers: Record<string, string>;
  sensitive: string[];
}

/** An API answer that was not 2xx; `detail` is what the user sees. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

interface ValidationItem {
  loc?: unknown[];
  msg?: string;
}

/** Turns `{code, detail}` (detail a string or a 422 list of {loc, msg}) into one readable line. */
export function detailText(body: unknown, fallback: string): string {
  if (!body || typeof body !== 'object') return fallback;
  const detail = (body as { detail?: unknown }).detail;
  if (typeof detail === 'string' && detail) return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((item: ValidationItem) => {
        const loc = Array.isArray(item.loc) ? item.loc.filter((p) => p !== 'body').join('.') : '';
        return loc ? `${loc}: ${item.msg ?? ''}` : String(item.msg ?? '');
      })
      .join('; ');
  }
  return fallback;
}

let token = '';
export function setToken(value: string): void {
  token = value;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e));
  }
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!res.ok) {
    const code = parsed && typeof parsed === 'object' ? String((parsed as { code?: unknown }).code ?? '') : '';
    throw new ApiError(res.status, code, detailText(parsed, `HTTP ${res.status}`));
  }
  return parsed as T;
}

const enc = encodeURIComponent;

function query(params: Record<string, string | number | undefined | null>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${enc(k)}=${enc(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

export const api = {
  session: () => request<Session>('GET', '/api/v1/portal/session'),
  health: () => request<{ status: string }>('GET', '/api/v1/health'),
  listApps: (iterator?: string | null) => request<ListOut<App>>('GET', `/api/v1/app${query({ limit: 50, iterator })}`),
  portalAccess: (app: string) =>
    request<{ url: string; token: string }>('POST', `/api/v1/auth/app-portal-access/${enc(app)}`, {}),

  /** The whole catalog, page by page (bounded: at most 40 pages of 250). */
  async catalog(): Promise<EventType[]> {
    const all: EventType[] = [];
    let iterator: string | null = null;
    for (let page = 0; page < 40; page++) {
      const out: ListOut<EventType> = await request<ListOut<EventType>>(
        'GET',
        `/api/v1/event-type${query({ limit: 250, iterator })}`,
      );
      all.push(...out.data);
      if (out.done || !out.iterator) break;
      iterator = out.iterator;
    }
    return all;
  },

  listEndpoints: (app: string, iterator?: string | null) =>
    request<ListOut<Endpoint>>('GET', `/api/v1/app/${enc(app)}/endpoint${query({ limit: 250, iterator })}`),
  getEndpoint: (app: string, ep: string) => request<Endpoint>('GET', `/api/v1/app/${enc(app)}/endpoint/${enc(ep)}`),
  createEndpoint: (app: string, body: EndpointIn) =>
    request<Endpoint>('POST', `/api/v1/app/${enc(app)}/endpoint`, body),
  updateEndpoint: (app: string, ep: string, body: Partial<EndpointIn>) =>
    request<Endpoint>('PATCH', `/api/v1/app/${enc(app)}/endpoint/${enc(ep)}`, body),
  deleteEndpoint: (app: string, ep: string) =>
    request<void>('DELETE', `/api/v1/app/${enc(app)}/endpoint/${enc(ep)}`),
  secret: (app: string, ep: string) =>
    request<{ key: string }>('GET', `/api/v1/app/${enc(app)}/endpoint/${enc(ep)}/secret`),
  rotateSecret: (app: string, ep: string) =>
    request<void>('POST', `/api/v1/app/${enc(app)}/endpoint/${enc(ep)}/secret/rotate`, {}),
  headers: (app: string, ep: string) =>
    request<Headers>('GET', `/api/v1/app/${enc(app)}/endpoint/${enc(ep)}/headers`),
  setHeaders: (app: string, ep: string, headers: Record<string, string>) =>
    request<void>('PUT', `/api/v1/app/${enc(app)}/endpoint/${enc(ep)}/headers`, { headers }),
  stats: (app: string, ep: string, since: Date, until: Date) =>
    request<Stats>(
      'GET',
      `/api/v1/app/${enc(app)}/endpoint/${enc(ep)}/stats${query({ since: since.toISOString(), until: until.toISOString() })}`,
    ),
  recover: (app: string, ep: string, since: Date) =>
    request<unknown>('POST', `/api/v1/app/${enc(app)}/endpoint/${enc(ep)}/recover`, { since: since.toISOString() }),

  listMessages: (
    app: string,
    opts: { limit?: number; iterator?: string | null; eventTypes?: string[]; before?: string; after?: string },
  ) =>
    request<ListOut<Message>>(
      'GET',
      `/api/v1/app/${enc(app)}/msg${query({
        limit: opts.limit ?? 20,
        iterator: opts.iterator,
        event_types: opts.eventTypes?.join(','),
        before: opts.before,
        after: opts.after,
      })}`,
    ),
  getMessage: (app: string, msg: string) => request<Message>('GET', `/api/v1/app/${enc(app)}/msg/${enc(msg)}`),
  sendMessage: (app: string, eventType: string, payload: unknown) =>
    request<Message>('POST', `/api/v1/app/${enc(app)}/msg`, { eventType, payload }),
  attemptsByMessage: (app: string, msg: string) =>
    request<ListOut<Attempt>>('GET', `/api/v1/app/${enc(app)}/attempt/msg/${enc(msg)}${query({ limit: 250 })}`),
  attemptsByEndpoint: (
    app: string,
    ep: string,
    opts: { status?: number | null; limit?: number; eventTypes?: string[]; before?: string; after?: string },
  ) =>
    request<ListOut<Attempt>>(
      'GET',
      `/api/v1/app/${enc(app)}/attempt/endpoint/${enc(ep)}${query({
        limit: opts.limit ?? 50,
        status: opts.status,
        event_types: opts.eventTypes?.join(','),
        before: opts.before,
        after: opts.after,
      })}`,
    ),
  resend: (app: string, msg: string, ep: string) =>
    request<unknown>('POST', `/api/v1/app/${enc(app)}/msg/${enc(msg)}/endpoint/${enc(ep)}/resend`, {}),
};
