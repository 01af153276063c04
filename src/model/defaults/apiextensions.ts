// apiextensions.k8s.io/v1 defaults (apiextensions-apiserver's apis/apiextensions/v1/defaults.go).
import { child, ensure, isEmpty, items, materialize, setDefault, setDefaultString, str, type Obj } from './walk.js';

export function customResourceDefinitionDefaults(crd: Obj): void {
  const spec = ensure(crd, 'spec');
  if (spec) {
    const names = ensure(spec, 'names');
    if (names) {
      setDefaultString(names, 'singular', str(names.kind).toLowerCase());
      if (str(names.kind)) setDefaultString(names, 'listKind', `${str(names.kind)}List`);
    }
    setDefault(spec, 'conversion', { strategy: 'None' });
    const conversion = child(spec, 'conversion');
    if (conversion?.strategy === 'Webhook') {
      const webhook = child(conversion, 'webhook');
      const service = child(child(webhook, 'clientConfig'), 'service');
      if (service) setDefault(service, 'port', 443);
    }
    for (const v of items(spec, 'versions')) {
      materialize(v, 'served', false);
      materialize(v, 'storage', false);
    }
  }
  const status = ensure(crd, 'status');
  if (!status) return;
  if (isEmpty(status.storedVersions)) {
    const storage = items(spec, 'versions').find((v) => v.storage === true);
    if (storage) status.storedVersions = [storage.name];
  }
  materialize(status, 'conditions', null);
  const accepted = ensure(status, 'acceptedNames');
  if (accepted) {
    materialize(accepted, 'plural', '');
    materialize(accepted, 'kind', '');
  }
  materialize(status, 'storedVersions', null);
}
