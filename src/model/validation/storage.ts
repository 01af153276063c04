// Validation of storage.k8s.io/v1 StorageClass (pkg/apis/storage/validation).
import { byteLength } from './strings.js';
import { entries, type Errs, FIELD_IMMUTABLE, fieldErrors, isSet, type Obj, objs, qualifiedName, root, semanticEqual, str, strs } from './util.js';
import { validateLabelName } from '../labels.js';

const MAX_PARAMS = 512;
const MAX_PARAMS_SIZE = 256 * 1024;

export function validateStorageClass(sc: Obj): Errs {
  const errs: Errs = [];
  const provisioner = str(sc.provisioner);
  if (!provisioner) errs.push(fieldErrors.required(root('provisioner'), ''));
  else errs.push(...qualifiedName(provisioner.toLowerCase(), root('provisioner')));
  const params = entries(sc.parameters);
  if (params.length > MAX_PARAMS) errs.push(fieldErrors.tooLong(root('parameters'), 'Provisioner Parameters exceeded max allowed', MAX_PARAMS));
  else {
    let total = 0;
    for (const [k, v] of params) {
      if (k.length < 1) errs.push(fieldErrors.invalid(root('parameters'), k, 'field can not be empty.'));
      total += byteLength(k) + byteLength(str(v));
    }
    if (total > MAX_PARAMS_SIZE) errs.push(fieldErrors.tooLong(root('parameters'), '', MAX_PARAMS_SIZE));
  }
  const rp = str(sc.reclaimPolicy);
  if (rp && rp !== 'Delete' && rp !== 'Retain') errs.push(fieldErrors.notSupported(root('reclaimPolicy'), rp, ['Delete', 'Retain']));
  if (!isSet(sc.volumeBindingMode)) errs.push(fieldErrors.required(root('volumeBindingMode'), ''));
  else if (!['Immediate', 'WaitForFirstConsumer'].includes(str(sc.volumeBindingMode))) {
    errs.push(fieldErrors.notSupported(root('volumeBindingMode'), str(sc.volumeBindingMode), ['Immediate', 'WaitForFirstConsumer']));
  }
  objs(sc.allowedTopologies).forEach((term, i) => {
    const p = root('allowedTopologies').index(i).child('matchLabelExpressions');
    const seen = new Set<string>();
    objs(term.matchLabelExpressions).forEach((req, j) => {
      const rp2 = p.index(j);
      const values = strs(req.values);
      if (values.length === 0) errs.push(fieldErrors.required(rp2.child('values'), ''));
      const vs = new Set<string>();
      values.forEach((v, k) => {
        if (vs.has(v)) errs.push(fieldErrors.duplicate(rp2.child('values').index(k), v));
        vs.add(v);
      });
      errs.push(...validateLabelName(str(req.key), rp2.child('key')));
      if (seen.has(str(req.key))) errs.push(fieldErrors.duplicate(rp2.child('key'), str(req.key)));
      seen.add(str(req.key));
    });
  });
  return errs;
}

export function validateStorageClassUpdate(sc: Obj, old: Obj): Errs {
  const errs: Errs = [];
  if (!semanticEqual(sc.parameters, old.parameters)) errs.push(fieldErrors.forbidden(root('parameters'), 'updates to parameters are forbidden.'));
  if (str(sc.provisioner) !== str(old.provisioner)) errs.push(fieldErrors.forbidden(root('provisioner'), 'updates to provisioner are forbidden.'));
  if (str(sc.reclaimPolicy) !== str(old.reclaimPolicy)) errs.push(fieldErrors.forbidden(root('reclaimPolicy'), 'updates to reclaimPolicy are forbidden.'));
  if (str(sc.volumeBindingMode) !== str(old.volumeBindingMode)) errs.push(fieldErrors.invalid(root('volumeBindingMode'), str(sc.volumeBindingMode), FIELD_IMMUTABLE));
  return errs;
}
