// A metav1.LabelSelector as the SELECTOR columns print it: LabelSelectorAsSelector(...).String().
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { labelSelectorAsSelector, selectorToString } from '../labels.js';

/** The selector's text; "" for nil or empty; undefined when it cannot be converted (bad key,
 * value or operator, or a malformed object). */
export function labelSelectorString(selector: unknown): string | undefined {
  try {
    return selectorToString(labelSelectorAsSelector(selector as LabelSelector | null | undefined));
  } catch {
    return undefined;
  }
}

/** metav1.FormatLabelSelector: the text, "<none>" when empty, "<error>" when invalid. */
export function formatLabelSelector(selector: unknown): string {
  const s = labelSelectorString(selector);
  return s === undefined ? '<error>' : s === '' ? '<none>' : s;
}
