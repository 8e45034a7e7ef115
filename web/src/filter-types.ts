// Event selection for an endpoint: exact names plus `prefix.*` wildcards, as hookd's filter matches them
// (src/core/filter.hpp: `prefix.*` matches every type below `prefix.`; `*` matches all).
import type { EventType } from './api';

export const NO_GROUP = '';

export function patternMatches(pattern: string, eventType: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return eventType.startsWith(pattern.slice(0, -1));
  return pattern === eventType;
}

/** null or empty: the endpoint receives every event type. */
export function filterMatches(filter: string[] | null | undefined, eventType: string): boolean {
  if (!filter || filter.length === 0) return true;
  return filter.some((p) => patternMatches(p, eventType));
}

export interface Group {
  name: string; // the catalog's groupName ('' for none)
  events: EventType[];
}

export function groupCatalog(catalog: EventType[]): Group[] {
  const byName = new Map<string, EventType[]>();
  for (const e of catalog) {
    const g = e.groupName ?? NO_GROUP;
    if (!byName.has(g)) byName.set(g, []);
    byName.get(g)!.push(e);
  }
  return [...byName.entries()]
    .sort(([a], [b]) => (a === NO_GROUP ? 1 : b === NO_GROUP ? -1 : a.localeCompare(b)))
    .map(([name, events]) => ({ name, events: events.sort((x, y) => x.name.localeCompare(y.name)) }));
}

/** The wildcard that stands for "all of a group", or null when the group's events do not share its prefix. */
export function groupWildcard(group: Group): string | null {
  if (!group.name || group.events.length === 0) return null;
  const prefix = `${group.name}.`;
  return group.events.every((e) => e.name.startsWith(prefix)) ? `${group.name}.*` : null;
}

/** A mutable selection; `toFilterTypes` gives what the API stores. */
export class Selection {
  readonly patterns = new Set<string>(); // wildcards
  readonly names = new Set<string>(); // exact names

  constructor(filter: string[] | null | undefined = null) {
    for (const p of filter ?? []) (p === '*' || p.endsWith('.*') ? this.patterns : this.names).add(p);
  }

  /** Whether an event is selected, and whether only through a wildcard. */
  covers(name: string): boolean {
    return this.names.has(name) || this.coveringWildcard(name) !== null;
  }

  coveringWildcard(name: string): string | null {
    for (const p of this.patterns) if (patternMatches(p, name)) return p;
    return null;
  }

  toggle(name: string, on: boolean): void {
    if (on) this.names.add(name);
    else this.names.delete(name);
  }

  isGroupAll(group: Group): boolean {
    const wildcard = groupWildcard(group);
    if (wildcard && this.patterns.has(wildcard)) return true;
    return group.events.length > 0 && group.events.every((e) => this.covers(e.name));
  }

  setGroupAll(group: Group, on: boolean): void {
    const wildcard = groupWildcard(group);
    if (on) {
      if (wildcard) {
        this.patterns.add(wildcard);
        for (const e of group.events) this.names.delete(e.name);
      } else {
        for (const e of group.events) this.names.add(e.name);
      }
    } else {
      if (wildcard) this.patterns.delete(wildcard);
      for (const e of group.events) this.names.delete(e.name);
    }
  }

  clear(): void {
    this.patterns.clear();
    this.names.clear();
  }

  /** Patterns first, then names a pattern does not already cover; null when nothing is picked (every event). */
  toFilterTypes(): string[] | null {
    const names = [...this.names].filter((n) => this.coveringWildcard(n) === null);
    const out = [...[...this.patterns].sort(), ...names.sort()];
    return out.length ? out : null;
  }
}
