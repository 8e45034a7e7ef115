// Walks an example payload alongside its JSON Schema to find places where a mutation must break validation:
// a required property, a typed leaf and a date or date-time leaf. Only plain `properties`/`items` schemas are
// followed (through local $refs); anything with anyOf/oneOf/allOf is skipped as ambiguous.

export function resolve(schema, root) {
  let s = schema;
  for (let guard = 0; s && s.$ref && guard < 20; guard++) {
    if (!s.$ref.startsWith('#')) throw new Error(`non-local $ref ${s.$ref}`);
    const ptr = s.$ref.slice(1).split('/').filter(Boolean).map((p) => decodeURIComponent(p.replace(/~1/g, '/').replace(/~0/g, '~')));
    s = ptr.reduce((node, key) => node?.[key], root);
  }
  return s;
}

const plain = (s) => s && !s.anyOf && !s.oneOf && !s.allOf && !s.not && !s.if;

// Every (JSON pointer, value, schema) in the example reachable through plain schemas.
export function* walk(value, schema, root, pointer = '') {
  const s = resolve(schema, root);
  if (!plain(s)) return;
  yield { pointer, value, schema: s };
  if (value && typeof value === 'object' && !Array.isArray(value) && s.properties) {
    for (const [k, v] of Object.entries(value)) {
      if (s.properties[k]) yield* walk(v, s.properties[k], root, `${pointer}/${k}`);
    }
  } else if (Array.isArray(value) && s.items && typeof s.items === 'object') {
    for (let i = 0; i < value.length; i++) yield* walk(value[i], s.items, root, `${pointer}/${i}`);
  }
}

const clone = (v) => structuredClone(v);

function setAt(obj, pointer, fn) {
  const keys = pointer.split('/').slice(1);
  const last = keys.pop();
  const parent = keys.reduce((node, k) => node[k], obj);
  fn(parent, last);
}

const typeOf = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);

// A value of a type the schema's `type` does not allow.
function wrongValue(type) {
  const types = Array.isArray(type) ? type : [type];
  for (const candidate of [{ wrong: true }, 'wrong', 12345, true, [1]]) {
    const t = typeOf(candidate);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return candidate;
  }
  return undefined;
}

/**
 * Mutations of `example` under `prefix` (e.g. '/data'): [{kind, pointer, expectPath, payload}], where expectPath
 * is the instance path a validator must name. At most one of each kind.
 */
export function mutations(example, schema, root, prefix = '') {
  const out = [];
  const nodes = [...walk(example, schema, root)].filter((n) => n.pointer === prefix || n.pointer.startsWith(`${prefix}/`));
  // Missing required property: the last (usually deepest) object with a required property the example has.
  for (const n of [...nodes].reverse()) {
    if (n.value && typeof n.value === 'object' && !Array.isArray(n.value) && Array.isArray(n.schema.required)) {
      const key = n.schema.required.find((k) => k in n.value);
      if (key === undefined) continue;
      const payload = clone(example);
      if (n.pointer === '') delete payload[key];
      else setAt(payload, n.pointer, (parent, last) => delete parent[last][key]);
      out.push({ kind: 'missing required', pointer: `${n.pointer}/${key}`, expectPath: n.pointer, missing: key, payload });
      break;
    }
  }
  // Wrong type: the deepest typed scalar leaf.
  const leaves = nodes.filter((n) => n.pointer && n.schema.type && n.value !== null && typeof n.value !== 'object');
  const leaf = leaves.at(-1);
  if (leaf) {
    const bad = wrongValue(leaf.schema.type);
    if (bad !== undefined) {
      const payload = clone(example);
      setAt(payload, leaf.pointer, (parent, last) => (parent[last] = bad));
      out.push({ kind: 'wrong type', pointer: leaf.pointer, expectPath: leaf.pointer, payload });
    }
  }
  // Bad date: a date or date-time leaf given an impossible calendar value.
  const dated = nodes.find((n) => n.pointer && typeof n.value === 'string' && ['date', 'date-time'].includes(n.schema.format));
  if (dated) {
    const payload = clone(example);
    const bad = dated.schema.format === 'date' ? '2024-02-30' : '2024-02-30T25:61:00Z';
    setAt(payload, dated.pointer, (parent, last) => (parent[last] = bad));
    out.push({ kind: 'bad date', pointer: dated.pointer, expectPath: dated.pointer, payload });
  }
  return out;
}
