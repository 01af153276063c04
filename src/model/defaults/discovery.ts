// discovery.k8s.io/v1 defaults (pkg/apis/discovery/v1/defaults.go).
import { items, materialize, setDefault, type Obj } from './walk.js';

export function endpointSliceDefaults(slice: Obj): void {
  materialize(slice, 'endpoints', null);
  materialize(slice, 'ports', null);
  for (const ep of items(slice, 'endpoints')) materialize(ep, 'conditions', {});
  for (const port of items(slice, 'ports')) {
    setDefault(port, 'name', '');
    setDefault(port, 'protocol', 'TCP');
  }
}
