// Validation of coordination.k8s.io/v1 Lease (pkg/apis/coordination/validation).
import { fieldErrors, isSet, num, obj, type Errs, type Obj, root, str } from './util.js';

export function validateLease(lease: Obj): Errs {
  const s = obj(lease.spec) ?? {};
  const path = root('spec');
  const errs: Errs = [];
  if (isSet(s.leaseDurationSeconds) && num(s.leaseDurationSeconds) <= 0) {
    errs.push(fieldErrors.invalid(path.child('leaseDurationSeconds'), num(s.leaseDurationSeconds), 'must be greater than 0'));
  }
  if (isSet(s.leaseTransitions) && num(s.leaseTransitions) < 0) {
    errs.push(fieldErrors.invalid(path.child('leaseTransitions'), num(s.leaseTransitions), 'must be greater than or equal to 0'));
  }
  if (isSet(s.strategy) && str(s.strategy) !== 'OldestEmulationVersion') {
    errs.push(fieldErrors.notSupported(path.child('strategy'), str(s.strategy), ['OldestEmulationVersion']));
  }
  if (isSet(s.preferredHolder) && !isSet(s.strategy)) {
    errs.push(fieldErrors.forbidden(path.child('preferredHolder'), 'may only be specified if `strategy` is defined'));
  }
  return errs;
}
