/**
 * Checks a double's answers against the AWS service model the SDK itself
 * ships: each client package exports its Smithy schemas (`DescribeEndpointOutput$`,
 * `ModelError$`, ...; `dist-es/schemas/schemas_0.js` in each `@aws-sdk/client-...` package), the
 * same ones its deserializer reads. A structure schema lists its members
 * with the required ones first (their count is the schema's seventh entry).
 * Values are checked as the JSON protocols carry them: timestamps as epoch
 * seconds, blobs as base64 text.
 */
import { NormalizedSchema } from '@smithy/core/schema';

/** Why `value` is not a valid instance of `schema` (members missing or unknown, wrong types); empty when it is. */
export function shapeProblems(schema: unknown, value: unknown, path = '$'): string[] {
  const ns = NormalizedSchema.of(schema as never);
  if (ns.isDocumentSchema()) return [];
  if (ns.isStructSchema()) return structProblems(ns, value, path);
  if (ns.isListSchema()) {
    if (!Array.isArray(value)) return [`${path}: expected a list, got ${JSON.stringify(value)}`];
    return value.flatMap((item, i) => shapeProblems(ns.getValueSchema(), item, `${path}[${i}]`));
  }
  if (ns.isMapSchema()) {
    if (!isObject(value)) return [`${path}: expected a map, got ${JSON.stringify(value)}`];
    return Object.entries(value).flatMap(([k, v]) => shapeProblems(ns.getValueSchema(), v, `${path}.${k}`));
  }
  const expected = ns.isTimestampSchema() || ns.isNumericSchema() ? 'number' : ns.isBooleanSchema() ? 'boolean' : 'string';
  return typeof value === expected ? [] : [`${path}: expected a ${expected} (${ns.getName() || 'member'}), got ${JSON.stringify(value)}`];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function structProblems(ns: NormalizedSchema, value: unknown, path: string): string[] {
  if (!isObject(value)) return [`${path}: expected a ${ns.getName()} structure, got ${JSON.stringify(value)}`];
  const raw = ns.getSchema() as unknown as unknown[];
  const required = new Set((raw[4] as string[]).slice(0, typeof raw[6] === 'number' ? raw[6] : 0));
  const members = new Map([...ns.structIterator()]);
  const problems = [...required].filter((name) => value[name] === undefined).map((name) => `${path}.${name}: required by ${ns.getName()}, missing`);
  for (const [name, v] of Object.entries(value)) {
    const member = members.get(name);
    if (!member) problems.push(`${path}.${name}: ${ns.getName()} has no such member`);
    else if (v !== undefined && v !== null) problems.push(...shapeProblems(member, v, `${path}.${name}`));
  }
  return problems;
}

/**
 * A REST-JSON answer's headers and payload against the output structure:
 * each header must be one of its members' `httpHeader` bindings, and the
 * required members (the payload among them) present.
 */
export function restOutputProblems(schema: unknown, headers: Record<string, string>, payload: unknown): string[] {
  const ns = NormalizedSchema.of(schema as never);
  const bound = new Map<string, string>();
  let payloadMember: string | undefined;
  for (const [name, member] of ns.structIterator()) {
    const traits = member.getMergedTraits();
    if (traits.httpHeader) bound.set(String(traits.httpHeader).toLowerCase(), name);
    if (traits.httpPayload) payloadMember = name;
  }
  const problems = Object.keys(headers)
    .filter((h) => !bound.has(h.toLowerCase()))
    .map((h) => `header ${h}: ${ns.getName()} binds no member to it`);
  const raw = ns.getSchema() as unknown as unknown[];
  const present = new Set([...Object.keys(headers).map((h) => bound.get(h.toLowerCase())), ...(payload !== undefined && payloadMember ? [payloadMember] : [])]);
  for (const name of (raw[4] as string[]).slice(0, typeof raw[6] === 'number' ? raw[6] : 0)) {
    if (!present.has(name)) problems.push(`${name}: required by ${ns.getName()}, missing`);
  }
  return problems;
}
