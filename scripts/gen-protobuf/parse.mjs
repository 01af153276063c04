// Parsers for the two inputs of gen-protobuf: upstream's generated.proto files (the subset
// go-to-protobuf emits: package, import, option, flat messages of `optional|repeated|required`
// fields and `map<k, v>` fields) and the Go structs of types.go beside them, whose tags carry what
// the .proto does not: the Go field name, pointer-ness, omitempty and `json:",inline"`.

const SCALARS = new Set(['string', 'bytes', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'double', 'float']);
export const isScalar = (t) => SCALARS.has(t);

function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
}

function tokenize(text) {
  const out = [];
  const re = /\s*(?:([A-Za-z_][\w.]*)|(-?\d+)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(\S))/gy;
  let m;
  while ((m = re.exec(text)) && m[0].length) {
    if (m[1] !== undefined) out.push({ t: 'id', v: m[1] });
    else if (m[2] !== undefined) out.push({ t: 'num', v: Number(m[2]) });
    else if (m[3] !== undefined) out.push({ t: 'str', v: m[3].slice(1, -1) });
    else if (m[4] !== undefined) out.push({ t: 'sym', v: m[4] });
  }
  return out;
}

/**
 * Parses proto text into { package, messages: Map<shortName, { fields: [...] }> }. Field options in
 * square brackets are kept as a flag set (the additions table uses them for Go facts:
 * `[omitempty]`, `[inline]`, `[go=GoName]`); upstream's own files have none.
 */
export function parseProto(text, where = 'proto') {
  const toks = tokenize(stripComments(text));
  let i = 0;
  const fail = (msg) => {
    throw new Error(`${where}: ${msg} near token ${i}: ${toks.slice(i, i + 6).map((t) => t.v).join(' ')}`);
  };
  const peek = () => toks[i];
  const next = () => toks[i++] ?? fail('unexpected end');
  const expect = (v) => {
    const t = next();
    if (t.v !== v) fail(`expected ${v}`);
  };
  const skipStatement = () => {
    while (i < toks.length && toks[i].v !== ';') i++;
    i++;
  };
  const out = { package: '', messages: new Map() };
  const parseOptions = () => {
    const opts = {};
    if (peek()?.v !== '[') return opts;
    next();
    while (peek().v !== ']') {
      const k = next().v;
      if (peek().v === '=') {
        next();
        opts[k] = next().v;
      } else opts[k] = true;
      if (peek().v === ',') next();
    }
    next();
    return opts;
  };
  const parseMessage = (prefix) => {
    const name = next().v;
    const full = prefix ? `${prefix}.${name}` : name;
    const msg = { fields: [] };
    out.messages.set(full, msg);
    expect('{');
    while (peek().v !== '}') {
      const t = next();
      if (t.v === 'message') {
        parseMessage(full);
        continue;
      }
      if (t.v === 'option' || t.v === 'reserved') {
        skipStatement();
        continue;
      }
      let label = 'optional';
      let type;
      let map;
      if (t.v === 'map') {
        expect('<');
        const key = next().v;
        expect(',');
        const value = next().v;
        expect('>');
        map = { key, value };
        type = 'map';
      } else if (t.v === 'optional' || t.v === 'repeated' || t.v === 'required') {
        label = t.v;
        type = next().v;
      } else fail(`unexpected ${t.v} in message ${full}`);
      const fname = next().v;
      expect('=');
      const num = next();
      if (num.t !== 'num') fail('expected field number');
      const opts = parseOptions();
      expect(';');
      msg.fields.push({ name: fname, number: num.v, type, repeated: label === 'repeated', map, opts });
    }
    next();
  };
  while (i < toks.length) {
    const t = next();
    if (t.v === 'syntax' || t.v === 'import' || t.v === 'option') skipStatement();
    else if (t.v === 'package') {
      out.package = next().v;
      expect(';');
    } else if (t.v === 'message') parseMessage('');
    else if (t.v === ';') continue;
    else fail(`unexpected ${t.v}`);
  }
  return out;
}

/**
 * Reads the Go structs of a types.go: struct name -> Map<protobuf field number, facts>. Only fields
 * with a protobuf tag count; `metav1.TypeMeta` and friends have none.
 */
export function parseGoStructs(text) {
  const structs = new Map();
  const re = /^type\s+(\w+)\s+struct\s*\{[ \t]*\n([\s\S]*?)^\}/gm;
  let m;
  while ((m = re.exec(text))) {
    const fields = new Map();
    for (const line of m[2].split('\n')) {
      const fm = /^\s*(?:(\w+)\s+)?(\S+)\s+`([^`]*)`/.exec(line);
      if (!fm) continue;
      const tag = fm[3];
      const pb = /protobuf:"([^"]*)"/.exec(tag);
      if (!pb) continue;
      const parts = pb[1].split(',');
      const number = Number(parts[1]);
      const json = /json:"([^"]*)"/.exec(tag)?.[1] ?? '';
      const [jsonName, ...jsonOpts] = json.split(',');
      const goType = fm[2];
      // An embedded field has only a type before the tag: its name is the type's last segment.
      const goName = fm[1] ?? goType.replace(/^\*/, '').split('.').pop();
      fields.set(number, {
        goName,
        goType,
        pointer: goType.startsWith('*'),
        jsonName,
        omitempty: jsonOpts.includes('omitempty'),
        inline: jsonOpts.includes('inline'),
      });
    }
    structs.set(m[1], fields);
  }
  return structs;
}
