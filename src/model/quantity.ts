// resource.Quantity: an exact decimal number with the suffix forms Kubernetes accepts (`500m`,
// `1Gi`, `1e3`), serialised in upstream's canonical form. No floats anywhere: the value is an
// integer mantissa times a power of ten, held in BigInt.

export type QuantityFormat = 'DecimalExponent' | 'BinarySI' | 'DecimalSI';

/** value = mantissa × 10^exponent, with exponent ≥ -9 (values finer than 1n are rounded up). */
export interface Quantity {
  readonly mantissa: bigint;
  readonly exponent: number;
  readonly format: QuantityFormat;
  /** The text it was parsed from, when upstream keeps it verbatim for serialisation. */
  readonly text?: string;
}

const SPLIT_RE = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';

/** Upstream's parse errors, with their exact texts. */
export const quantityErrors = {
  formatWrong: `quantities must match the regular expression '${SPLIT_RE}'`,
  numeric: 'unable to parse numeric part of quantity',
  suffix: "unable to parse quantity's suffix",
} as const;

export class QuantityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantityError';
  }
}

const MAX_INT64 = (1n << 63n) - 1n;
const NANO = -9;

const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalSuffixByExponent = new Map(Object.entries(decimalSuffixes).map(([s, e]) => [e, s]));
const binarySuffixByExponent = new Map(Object.entries(binarySuffixes).map(([s, e]) => [e, s]));

const SUFFIX_CHARS = 'eEinumkKMGTP';
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

interface Scanned {
  positive: boolean;
  num: string;
  denom: string;
  suffix: string;
}

// A port of upstream's hand-written scanner, quirks included: "." and "-" scan as zero.
function scan(str: string): Scanned {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (pos < end) {
    if (str[0] === '-') {
      positive = false;
      pos++;
    } else if (str[0] === '+') pos++;
  }
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { positive, num: '0', denom: '', suffix: '' };
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  let num = str.slice(pos, i);
  if (i >= end) return { positive, num: num || '0', denom: '', suffix: '' };
  pos = i;
  if (num === '') num = '0';
  let denom = '';
  if (str[pos] === '.') {
    pos++;
    let j = pos;
    while (j < end && isDigit(str[j])) j++;
    denom = str.slice(pos, j);
    if (j >= end) return { positive, num, denom, suffix: '' };
    pos = j;
  }
  const suffixStart = pos;
  let k = pos;
  while (k < end && SUFFIX_CHARS.includes(str[k]!)) k++;
  if (k >= end) return { positive, num, denom, suffix: str.slice(suffixStart) };
  pos = k;
  if (str[pos] === '-' || str[pos] === '+') pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos >= end) return { positive, num, denom, suffix: str.slice(suffixStart) };
  throw new QuantityError(quantityErrors.formatWrong);
}

function interpretSuffix(s: string): { base: 2 | 10; exponent: number; format: QuantityFormat } {
  if (s in decimalSuffixes) return { base: 10, exponent: decimalSuffixes[s]!, format: 'DecimalSI' };
  if (s in binarySuffixes) return { base: 2, exponent: binarySuffixes[s]!, format: 'BinarySI' };
  if (s.length > 1 && (s[0] === 'e' || s[0] === 'E')) {
    // strconv.ParseInt(s[1:], 10, 64)
    const rest = s.slice(1);
    if (/^[+-]?[0-9]+$/.test(rest)) {
      const v = BigInt(rest);
      if (v <= MAX_INT64 && v >= -MAX_INT64 - 1n) {
        // upstream truncates to int32; exponents outside it are nonsense either way
        return { base: 10, exponent: Number(BigInt.asIntN(32, v)), format: 'DecimalExponent' };
      }
    }
  }
  throw new QuantityError(quantityErrors.suffix);
}

const pow10 = (n: number) => 10n ** BigInt(n);

/** Divide rounding away from zero (inf.RoundUp). */
function divAwayFromZero(a: bigint, b: bigint): bigint {
  const q = a / b;
  if (q * b === a) return q;
  return a < 0n ? q - 1n : q + 1n;
}

/**
 * Quantities parsed, by their text (frozen, so sharing one is safe): every pod created or
 * scheduled asks for the same few ("100m", "64Mi"), and the BigInt arithmetic of a parse was a
 * good part of validating a pod. Kept small: emptied when full.
 */
const parsed = new Map<string, Quantity>();
const PARSED_MAX = 4096;

/** ParseQuantity: the string forms kubectl and the API accept. Throws QuantityError. */
export function parseQuantity(str: string): Quantity {
  let q = parsed.get(str);
  if (q === undefined) {
    q = Object.freeze(parseAnew(str));
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(str, q);
  }
  return q;
}

function parseAnew(str: string): Quantity {
  if (str.length === 0) throw new QuantityError(quantityErrors.formatWrong);
  if (str === '0') return { mantissa: 0n, exponent: 0, format: 'DecimalSI', text: '0' };
  const { positive, num, denom, suffix } = scan(str);
  const { base, exponent, format: parsedFormat } = interpretSuffix(suffix);
  let format = parsedFormat;
  const digits = BigInt(num + denom);

  let mantissa: bigint;
  let exp: number;
  if (base === 10) {
    mantissa = digits;
    exp = exponent - denom.length;
  } else {
    mantissa = digits << BigInt(exponent);
    exp = -denom.length;
  }
  if (!positive) mantissa = -mantissa;

  const text = cachedText(str, num, denom, base, exponent, format);

  if (exp < NANO && mantissa !== 0n) {
    mantissa = divAwayFromZero(mantissa, pow10(NANO - exp));
    exp = NANO;
  }
  if (format === 'BinarySI') {
    const abs = compareMagnitudeToInt(mantissa, exp, MAX_INT64);
    if (abs > 0) {
      mantissa = mantissa < 0n ? -MAX_INT64 : MAX_INT64;
      exp = 0;
    }
    if (mantissa !== 0n && compareMagnitudeToInt(mantissa, exp, 1n) < 0) format = 'DecimalSI';
  }
  const q: Quantity = { mantissa, exponent: exp, format };
  return text === undefined ? q : { ...q, text };
}

// Upstream's fast path keeps the input text as the serialised form when it judges it canonical.
function cachedText(
  str: string,
  num: string,
  denom: string,
  base: 2 | 10,
  exponent: number,
  format: QuantityFormat,
): string | undefined {
  let precision: number;
  let scale: number;
  if (format === 'BinarySI') {
    if (exponent < 0 || denom.length > 0) return undefined;
    precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
    scale = 0;
  } else {
    precision = 18 - (num.length + denom.length);
    scale = exponent;
  }
  if (precision < 0) return undefined;
  scale -= denom.length;
  if (scale < NANO) return undefined;
  const shifted = num + denom;
  const value = BigInt(shifted);
  if (value > MAX_INT64) return undefined;
  const multiplier = base === 2 ? 1n << BigInt(exponent) : 1n;
  if (value * multiplier > MAX_INT64) return undefined;
  if (base === 2) return exponent % 10 === 0 && (value & 7n) !== 0n ? str : undefined;
  return scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0' ? str : undefined;
}

/** Sign of (|m|×10^e − bound) for a non-negative integer bound. */
function compareMagnitudeToInt(m: bigint, e: number, bound: bigint): number {
  return compareQuantity({ mantissa: m < 0n ? -m : m, exponent: e, format: 'DecimalSI' }, {
    mantissa: bound,
    exponent: 0,
    format: 'DecimalSI',
  });
}

/** Parses a quantity as JSON carries it: a string (surrounding spaces ignored) or a number. */
export function quantityFromJSON(v: unknown): Quantity {
  if (typeof v === 'number' && Number.isFinite(v)) return parseQuantity(String(v));
  if (typeof v === 'string') return parseQuantity(v.trim());
  throw new QuantityError(quantityErrors.formatWrong);
}

export function newQuantity(value: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
  return { mantissa: BigInt(value), exponent: 0, format };
}

export function newMilliQuantity(value: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
  return { mantissa: BigInt(value), exponent: -3, format };
}

export function isZero(q: Quantity): boolean {
  return q.mantissa === 0n;
}

export function sign(q: Quantity): -1 | 0 | 1 {
  return q.mantissa === 0n ? 0 : q.mantissa < 0n ? -1 : 1;
}

const digitCount = (m: bigint) => (m < 0n ? -m : m).toString().length;

/** A total order consistent with the numeric value (format and text are ignored). */
export function compareQuantity(a: Quantity, b: Quantity): -1 | 0 | 1 {
  const sa = sign(a);
  const sb = sign(b);
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  // Compare orders of magnitude first so that wildly different exponents never expand into huge integers.
  const ma = digitCount(a.mantissa) + a.exponent;
  const mb = digitCount(b.mantissa) + b.exponent;
  if (ma !== mb) return (ma < mb) === (sa > 0) ? -1 : 1;
  const e = Math.min(a.exponent, b.exponent);
  const x = a.mantissa * pow10(a.exponent - e);
  const y = b.mantissa * pow10(b.exponent - e);
  return x === y ? 0 : x < y ? -1 : 1;
}

export function equalQuantity(a: Quantity, b: Quantity): boolean {
  return compareQuantity(a, b) === 0;
}

function align(a: Quantity, b: Quantity): [bigint, bigint, number] {
  const e = Math.min(a.exponent, b.exponent);
  return [a.mantissa * pow10(a.exponent - e), b.mantissa * pow10(b.exponent - e), e];
}

/** q + y; a zero q takes y's format, as upstream's Add does. */
export function addQuantity(q: Quantity, y: Quantity): Quantity {
  const [x, z, e] = align(q, y);
  return { mantissa: x + z, exponent: e, format: isZero(q) ? y.format : q.format };
}

/** q − y; a zero q takes y's format, as upstream's Sub does. */
export function subQuantity(q: Quantity, y: Quantity): Quantity {
  const [x, z, e] = align(q, y);
  return { mantissa: x - z, exponent: e, format: isZero(q) ? y.format : q.format };
}

export function negQuantity(q: Quantity): Quantity {
  return { mantissa: -q.mantissa, exponent: q.exponent, format: q.format };
}

/** The value at 10^scale, rounded away from zero: ScaledValue. */
export function scaledValue(q: Quantity, scale: number): bigint {
  if (q.exponent >= scale) return q.mantissa * pow10(q.exponent - scale);
  return divAwayFromZero(q.mantissa, pow10(scale - q.exponent));
}

/** ceil(q × 1000), rounded away from zero. */
export function milliValue(q: Quantity): bigint {
  return scaledValue(q, -3);
}

/** The value rounded away from zero to an integer. */
export function quantityValue(q: Quantity): bigint {
  return scaledValue(q, 0);
}

function stripFactor(m: bigint, f: bigint): [bigint, number] {
  let n = 0;
  while (m !== 0n && m % f === 0n) {
    m /= f;
    n++;
  }
  return [m, n];
}

/** The canonical serialisation (CanonicalizeBytes), ignoring any text kept from parsing. */
export function canonicalString(q: Quantity): string {
  if (q.mantissa === 0n) return '0';
  let format = q.format;
  if (format === 'BinarySI') {
    const small = compareMagnitudeToInt(q.mantissa, q.exponent, 1024n) < 0;
    const integral = q.exponent >= 0 || q.mantissa % pow10(-q.exponent) === 0n;
    if (small || !integral) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    const whole = scaledValue(q, 0);
    let [m, n] = stripFactor(whole, 1024n);
    // upstream has no suffix past Ei; keep the largest it has rather than drop the suffix
    while (n > 6) {
      m *= 1024n;
      n--;
    }
    return `${m}${binarySuffixByExponent.get(n * 10) ?? ''}`;
  }
  let [m, strip] = stripFactor(q.mantissa, 10n);
  let e = q.exponent + strip;
  while (e % 3 !== 0) {
    m *= 10n;
    e--;
  }
  if (format === 'DecimalExponent') return e === 0 ? `${m}` : `${m}e${e}`;
  // upstream drops the suffix past E (1000E would print as 1); keep the value instead
  if (e > 18) {
    m *= pow10(e - 18);
    e = 18;
  }
  return `${m}${decimalSuffixByExponent.get(e) ?? ''}`;
}

/** The string upstream serialises: the parsed text when it kept it, else the canonical form. */
export function formatQuantity(q: Quantity): string {
  return q.text ?? canonicalString(q);
}
