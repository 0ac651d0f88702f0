// Checks API answers against the OpenAPI document's schemas (apps/dashboard/src/lib/server/api/openapi.ts).

export type Schema = Record<string, any>;

/** Checks `value` against the JSON Schema subset the document uses; returns the first problem. Undeclared object keys are problems. */
export function check(doc: Schema, schema: Schema, value: unknown, at = '$'): string | null {
  if (schema.$ref) return check(doc, doc.components.schemas[String(schema.$ref).split('/').pop()!], value, at);
  if (schema.oneOf) {
    const ok = (schema.oneOf as Schema[]).filter((s) => check(doc, s, value, at) === null).length;
    return ok === 1 ? null : `${at}: matches ${ok} of oneOf`;
  }
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) return `${at}: ${JSON.stringify(value)} not in enum`;
  if (schema.type) {
    const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) return `${at}: ${actual} is not ${types.join('|')}`;
  }
  if (schema.format === 'date-time' && typeof value === 'string' && Number.isNaN(Date.parse(value))) return `${at}: not a date-time`;
  if (Array.isArray(value) && schema.items) {
    for (let i = 0; i < value.length; i++) {
      const p = check(doc, schema.items, value[i], `${at}[${i}]`);
      if (p) return p;
    }
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    for (const k of schema.required ?? []) if (!(k in o)) return `${at}: missing ${k}`;
    for (const [k, v] of Object.entries(o)) {
      if (schema.propertyNames?.enum && !schema.propertyNames.enum.includes(k)) return `${at}: key ${k} not allowed`;
      const prop = schema.properties?.[k] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (!prop) {
        if (schema.properties || schema.additionalProperties === false) return `${at}: undeclared key ${k}`;
        continue;
      }
      const p = check(doc, prop, v, `${at}.${k}`);
      if (p) return p;
    }
  }
  return null;
}
