// networking.k8s.io/v1 defaults (pkg/apis/networking/v1/defaults.go).
import { child, ensure, isEmpty, items, materialize, setDefault, type Obj } from './walk.js';

export function networkPolicyDefaults(np: Obj): void {
  const spec = ensure(np, 'spec');
  if (!spec) return;
  materialize(spec, 'podSelector', {});
  if (isEmpty(spec.policyTypes)) {
    // A policy without policyTypes is at least an Ingress policy, and an Egress one when it has egress rules.
    spec.policyTypes = isEmpty(spec.egress) ? ['Ingress'] : ['Ingress', 'Egress'];
  }
  for (const dir of ['ingress', 'egress']) {
    for (const rule of items(spec, dir)) for (const port of items(rule, 'ports')) setDefault(port, 'protocol', 'TCP');
  }
}

export function ingressDefaults(ing: Obj): void {
  materialize(ing, 'spec', {});
  const status = ensure(ing, 'status');
  if (status) materialize(status, 'loadBalancer', {});
}

export function ingressClassDefaults(ic: Obj): void {
  const spec = ensure(ic, 'spec');
  const params = child(spec, 'parameters');
  if (params) setDefault(params, 'scope', 'Cluster');
}
