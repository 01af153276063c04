// storage.k8s.io/v1 defaults (pkg/apis/storage/v1/defaults.go).
import { setDefault, type Obj } from './walk.js';

export function storageClassDefaults(sc: Obj): void {
  setDefault(sc, 'reclaimPolicy', 'Delete');
  setDefault(sc, 'volumeBindingMode', 'Immediate');
}
