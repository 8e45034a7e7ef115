// Who is signed in: a tenant (portal token from the link) or the operator (admin token pasted by hand).
// Both live in sessionStorage: they last as long as the tab and never reach other tabs or disk for long.
import { api, setToken, type App, type EventType, type Session } from './api';

const TENANT_KEY = 'hookd.tenantToken';
const ADMIN_KEY = 'hookd.adminToken';

function read(key: string): string {
  try {
    return sessionStorage.getItem(key) ?? '';
  } catch {
    return '';
  }
}
function write(key: string, value: string | null): void {
  try {
    if (value) sessionStorage.setItem(key, value);
    else sessionStorage.removeItem(key);
  } catch {
    // private mode: the token lives only in memory for this page
  }
}

export const session = {
  info: null as Session | null,
  catalogCache: null as Promise<EventType[]> | null,

  tenantToken: () => read(TENANT_KEY),
  adminToken: () => read(ADMIN_KEY),
  isOperator: () => read(ADMIN_KEY) !== '',

  /** Takes `#token=…` out of the address (so it is not bookmarked or shared by accident). */
  takeTokenFromHash(): boolean {
    const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (!m) return false;
    write(TENANT_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', `${location.pathname}${location.search}#/endpoints`);
    return true;
  },

  activeToken(): string {
    return read(TENANT_KEY) || read(ADMIN_KEY);
  },

  async load(): Promise<Session | null> {
    const token = this.activeToken();
    this.info = null;
    this.catalogCache = null;
    if (!token) return null;
    setToken(token);
    this.info = await api.session();
    return this.info;
  },

  app(): App {
    if (!this.info?.app) throw new Error('no tenant application');
    return this.info.app;
  },

  setAdminToken(token: string): void {
    write(ADMIN_KEY, token);
    write(TENANT_KEY, null);
  },
  setTenantToken(token: string): void {
    write(TENANT_KEY, token);
  },
  leaveTenant(): void {
    write(TENANT_KEY, null);
  },
  signOut(): void {
    write(TENANT_KEY, null);
    write(ADMIN_KEY, null);
    this.info = null;
    setToken('');
  },

  catalog(): Promise<EventType[]> {
    if (!this.catalogCache) {
      this.catalogCache = api.catalog();
      this.catalogCache.catch(() => (this.catalogCache = null));
    }
    return this.catalogCache;
  },
};
