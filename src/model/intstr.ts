// IntOrString values such as maxSurge and maxUnavailable ("25%" or 1), scaled against a total as
// k8s.io/apimachinery/pkg/util/intstr.GetScaledValueFromIntOrPercent does.

export type IntOrString = number | string;

/** The scaled value, or the error text intstr returns for a string that is not a percentage. */
export function scaledValue(v: IntOrString | null | undefined, total: number, roundUp: boolean): { value: number } | { error: string } {
  if (v === undefined || v === null) return { value: 0 };
  if (typeof v === 'number') return { value: v };
  if (!v.endsWith('%')) return { error: `invalid type: string is not a percentage` };
  const text = v.slice(0, -1);
  if (!/^[+-]?[0-9]+$/.test(text)) return { error: `invalid value "${v}": strconv.Atoi: parsing "${text}": invalid syntax` };
  const pct = Number(text);
  const raw = (pct * total) / 100;
  return { value: roundUp ? Math.ceil(raw) : Math.floor(raw) };
}

/** scaledValue for values validation has already accepted; an unusable value counts as `fallback`. */
export function scaled(v: IntOrString | null | undefined, total: number, roundUp: boolean, fallback = 0): number {
  const r = scaledValue(v, total, roundUp);
  return 'value' in r ? r.value : fallback;
}
