// One catalog event's description, schema and example payload (folded, opened on demand).
import { html, nothing } from 'lit-html';
import type { EventType } from '../api';
import { t } from '../i18n';
import { codeBlock, prettyJson } from '../ui';

export function latestSchema(e: EventType): unknown {
  const schemas = e.schemas ?? {};
  const versions = Object.keys(schemas).sort((a, b) => Number(b) - Number(a));
  return versions.length ? schemas[versions[0]] : null;
}

export function firstExample(e: EventType): unknown {
  return e.examples && e.examples.length ? e.examples[0] : null;
}

export function eventInfo(e: EventType) {
  const schema = latestSchema(e);
  const example = firstExample(e);
  return html`${e.description ? html`<p class="desc">${e.description}</p>` : nothing}
    ${schema || example
      ? html`<details class="event-more">
          <summary>${t('catalog.details', { name: e.name })}</summary>
          ${example ? html`<h4>${t('catalog.example')}</h4>${codeBlock(prettyJson(example), t('catalog.exampleOf', { name: e.name }))}` : nothing}
          ${schema ? html`<h4>${t('catalog.schema')}</h4>${codeBlock(prettyJson(schema), t('catalog.schemaOf', { name: e.name }))}` : nothing}
        </details>`
      : nothing}`;
}
