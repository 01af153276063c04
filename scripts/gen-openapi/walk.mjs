// Builds upstream-named OpenAPI v2 definitions from the two package readers, starting at the
// roots and following every reference, so the output holds exactly the reachable types.
import { packageOfModule } from './sources.mjs';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** Types whose wire form is not an object of fields: upstream gives them a custom schema. */
export const SPECIAL = {
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: 'string' },
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { type: 'string', format: 'int-or-string' },
  [`${META}.Time`]: { type: 'string', format: 'date-time' },
  [`${META}.MicroTime`]: { type: 'string', format: 'date-time' },
  [`${META}.FieldsV1`]: { type: 'object' },
  [`${META}.Patch`]: { type: 'object' },
  'io.k8s.apimachinery.pkg.runtime.RawExtension': { type: 'object' },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON': {},
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray': {},
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool': {},
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray': {},
};

/** Descriptions of the special types that kubernetes-types does not carry (upstream's doc comments). */
const SPECIAL_DOCS = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString':
    'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.',
  [`${META}.Patch`]: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON':
    'JSON represents any valid JSON value. These types are supported: bool, int64, float64, string, []interface{}, map[string]interface{} and nil.',
};

/** client-node's group prefixes on class names that would otherwise collide. */
const CLASS_GROUP_PREFIX = {
  Core: 'core',
  Apps: 'apps',
  Events: 'events',
  Discovery: 'discovery',
  Rbac: 'rbac',
  Authentication: 'authentication',
  Storage: 'storage',
  Apiextensions: 'apiextensions',
  Apiregistration: 'apiregistration',
  Admissionregistration: 'admissionregistration',
  Flowcontrol: 'flowcontrol',
  Resource: 'resource',
};

const cap = (s) => s[0].toUpperCase() + s.slice(1);

/** Splits an upstream definition name into its package and kind. */
export function splitName(name) {
  const i = name.lastIndexOf('.');
  return { pkg: name.slice(0, i), kind: name.slice(i + 1) };
}

function versionOfPkg(pkg) {
  return pkg.slice(pkg.lastIndexOf('.') + 1);
}

function groupDirOfPkg(pkg) {
  // io.k8s.api.apps.v1 -> apps ; io.k8s.apimachinery.pkg.apis.meta.v1 -> meta ; apiextensions -> apiextensions
  const parts = pkg.split('.');
  return parts[parts.length - 2];
}

export function createWalker({ kt, cn, facts, log }) {
  // kind -> upstream names in kubernetes-types, to place client-node classes in their package.
  const ktByKind = new Map();
  for (const name of kt.keys()) {
    const { kind } = splitName(name);
    if (!ktByKind.has(kind)) ktByKind.set(kind, []);
    ktByKind.get(kind).push(name);
  }

  /** The client-node class generated from an upstream definition, if any. */
  function classOf(name) {
    const { pkg, kind } = splitName(name);
    const v = cap(versionOfPkg(pkg));
    const prefixed = `${cap(groupDirOfPkg(pkg))}${v}${kind}`;
    if (cn.has(prefixed)) return prefixed;
    if (cn.has(`${v}${kind}`)) return `${v}${kind}`;
    return undefined;
  }

  /** The upstream name of a client-node class referenced from a definition in package `fromPkg`. */
  function nameOfClass(cls, fromPkg, fieldRef) {
    const m = /^([A-Z][a-z]+)?(V\d+(?:alpha\d+|beta\d+)?)([A-Z]\w*)$/.exec(cls);
    if (!m) throw new Error(`unexpected class name ${cls}`);
    const [, groupPrefix, V, kind] = m;
    const version = V.toLowerCase();
    if (fieldRef && splitName(fieldRef).kind === kind) return fieldRef;
    if (groupPrefix) {
      const dir = CLASS_GROUP_PREFIX[groupPrefix];
      if (!dir) throw new Error(`unknown group prefix in ${cls}`);
      return `${packageOfModule(`${dir}/${version}`)}.${kind}`;
    }
    const candidates = (ktByKind.get(kind) ?? []).filter((n) => versionOfPkg(splitName(n).pkg) === version);
    const same = `${fromPkg}.${kind}`;
    if (candidates.includes(same)) return same;
    if (candidates.length === 1) return candidates[0];
    if (candidates.includes(`${META}.${kind}`)) return `${META}.${kind}`;
    if (candidates.includes(`io.k8s.api.core.v1.${kind}`)) return `io.k8s.api.core.v1.${kind}`;
    log(`guess: class ${cls} (from ${fromPkg}) placed in ${fromPkg}; candidates ${candidates.join(',') || 'none'}`);
    return same;
  }

  /** Maps a client-node attribute type (+ kubernetes-types' view of the same field) to a schema. */
  function schemaOf(type, format, ktType, fromPkg, where) {
    let m;
    if ((m = /^Array<(.*)>$/.exec(type))) {
      return { type: 'array', items: schemaOf(m[1], format, ktType?.array, fromPkg, where) };
    }
    if ((m = /^\{ \[key: string\]: (.*); \}$/.exec(type))) {
      return { type: 'object', additionalProperties: schemaOf(m[1], format, ktType?.map, fromPkg, where) };
    }
    const ktRef = ktType?.ref;
    if (type === 'string') {
      if (format === 'byte') return { type: 'string', format: 'byte' };
      if (ktRef === 'io.k8s.apimachinery.pkg.api.resource.Quantity') return { $ref: ktRef };
      if (ktRef && ktRef !== 'io.k8s.apimachinery.pkg.util.intstr.IntOrString') log(`note: ${where} string vs kt ${ktRef}`);
      if (facts.quantityFields?.has(where)) return { $ref: 'io.k8s.apimachinery.pkg.api.resource.Quantity' };
      return { type: 'string' };
    }
    if (type === 'number') {
      if (format === 'double') return { type: 'number', format: 'double' };
      if (format === 'int32' || format === 'int64') return { type: 'integer', format };
      throw new Error(`number without format at ${where}`);
    }
    if (type === 'boolean') return { type: 'boolean' };
    if (type === 'Date') {
      if (ktRef === `${META}.MicroTime` || facts.microTimeFields?.has(where)) return { $ref: `${META}.MicroTime` };
      return { $ref: `${META}.Time` };
    }
    if (type === 'IntOrString') return { $ref: 'io.k8s.apimachinery.pkg.util.intstr.IntOrString' };
    if (type === 'any') {
      if (ktType?.named === 'JSON') return { $ref: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON' };
      if (ktRef && (ktRef in SPECIAL || kt.has(ktRef))) return { $ref: ktRef };
      const f = facts.anyFields?.[where];
      if (f) return { $ref: f };
      throw new Error(`untyped field ${where}: add it to the facts' anyFields`);
    }
    if (/^[A-Z]\w*$/.test(type)) return { $ref: nameOfClass(type, fromPkg, ktRef) };
    throw new Error(`unhandled client-node type ${type} at ${where}`);
  }

  /** Builds one definition (v2 form, refs by bare upstream name). */
  function build(name) {
    const ktDef = kt.get(name);
    if (name in SPECIAL) {
      const doc = SPECIAL_DOCS[name] ?? ktDef?.doc;
      if (!doc) throw new Error(`no description for ${name}`);
      return { description: doc, ...SPECIAL[name] };
    }
    const cls = classOf(name);
    const cnDef = cls ? cn.get(cls) : undefined;
    if (!cnDef && !ktDef) throw new Error(`no source for ${name}`);
    const { pkg } = splitName(name);
    const properties = {};
    const required = [];
    const fields = cnDef
      ? cnDef.fields
      : [...ktDef.fields].map(([json, f]) => ({ json, type: undefined, format: '', optional: f.optional, doc: '' }));
    if (!cnDef) log(`note: ${name} only in kubernetes-types`);
    for (const f of fields) {
      const ktField = ktDef?.fields.get(f.json);
      const where = `${name}.${f.json}`;
      const schema = f.type === undefined ? ktOnlySchema(ktField.type, where) : schemaOf(f.type, f.format, ktField?.type, pkg, where);
      const doc = pickDoc(f.doc, ktField?.doc);
      if (doc) schema.description = doc;
      else log(`nodoc: ${where}`);
      properties[f.json] = schema;
      if (!f.optional) required.push(f.json);
    }
    const def = { description: pickDoc(cnDef?.doc ?? '', ktDef?.doc) || undefined, type: 'object', properties };
    if (!def.description) {
      delete def.description;
      log(`nodoc: ${name}`);
    }
    if (required.length) def.required = required.sort();
    return def;
  }

  function ktOnlySchema(t, where) {
    if (t.array) return { type: 'array', items: ktOnlySchema(t.array, where) };
    if (t.map) return { type: 'object', additionalProperties: ktOnlySchema(t.map, where) };
    if (t.scalar === 'string') return { type: 'string' };
    if (t.scalar === 'boolean') return { type: 'boolean' };
    if (t.ref) return { $ref: t.ref };
    throw new Error(`cannot type ${where} from kubernetes-types alone`);
  }

  /** client-node's text is newer; kubernetes-types keeps paragraph breaks. Same words: take the latter. */
  function pickDoc(cnDoc, ktDoc) {
    if (!ktDoc) return cnDoc;
    if (!cnDoc) return ktDoc;
    const norm = (s) => s.replace(/\s+/g, ' ').trim();
    return norm(cnDoc) === norm(ktDoc) ? ktDoc : cnDoc;
  }

  /** All definitions reachable from the roots. */
  function closure(roots) {
    const out = new Map();
    const queue = [...roots];
    while (queue.length) {
      const name = queue.shift();
      if (out.has(name)) continue;
      const def = build(name);
      out.set(name, def);
      const visit = (s) => {
        if (!s || typeof s !== 'object') return;
        if (s.$ref) queue.push(s.$ref);
        visit(s.items);
        visit(s.additionalProperties);
        for (const p of Object.values(s.properties ?? {})) visit(p);
      };
      visit(def);
    }
    return out;
  }

  return { closure, classOf };
}
