// Five portal languages; every visible string comes from these tables (scripts/check-i18n.mjs checks that
// each key exists in each language, with the same {placeholders}).
import en from './i18n/en.json';
import es from './i18n/es.json';
import fr from './i18n/fr.json';
import ar from './i18n/ar.json';
import et from './i18n/et.json';

export type Key = keyof typeof en;
export type Lang = 'en' | 'es' | 'fr' | 'ar' | 'et';

const tables: Record<Lang, Record<string, string>> = { en, es, fr, ar, et };
export const LANGS: { code: Lang; name: string }[] = [
  { code: 'en', name: 'English' },
  { code: 'es', name: 'Español' },
  { code: 'fr', name: 'Français' },
  { code: 'ar', name: 'العربية' },
  { code: 'et', name: 'Eesti' },
];
const RTL = new Set<Lang>(['ar']);
const STORAGE_KEY = 'hookd.lang';

function isLang(v: string | null | undefined): v is Lang {
  return !!v && v in tables;
}

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (isLang(saved)) return saved;
  } catch {
    // storage may be blocked; fall back to the browser's languages
  }
  for (const l of navigator.languages ?? [navigator.language]) {
    const base = l.toLowerCase().split('-')[0];
    if (isLang(base)) return base;
  }
  return 'en';
}

let current: Lang = initialLang();

export function lang(): Lang {
  return current;
}

export function applyLang(): void {
  document.documentElement.lang = current;
  document.documentElement.dir = RTL.has(current) ? 'rtl' : 'ltr';
  document.title = t('app.title');
}

export function setLang(l: Lang): void {
  current = l;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    // not remembered, still applied
  }
  applyLang();
}

export function t(key: Key, vars?: Record<string, string | number>): string {
  const text = tables[current][key] ?? en[key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

export function formatTime(iso: string | Date): string {
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(current, { dateStyle: 'short', timeStyle: 'medium' }).format(d);
}

export function formatShortTime(d: Date, spanMs: number): string {
  const opts: Intl.DateTimeFormatOptions =
    spanMs > 2 * 86400_000 ? { month: 'short', day: 'numeric' } : { hour: '2-digit', minute: '2-digit' };
  return new Intl.DateTimeFormat(current, opts).format(d);
}

export function formatNumber(n: number, opts?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(current, opts).format(n);
}
