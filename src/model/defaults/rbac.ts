// rbac.authorization.k8s.io/v1 defaults (pkg/apis/rbac/v1/defaults.go).
import { assign, ensure, items, materialize, setDefaultString, type Obj } from './walk.js';

const rbacGroup = 'rbac.authorization.k8s.io';

export function roleDefaults(role: Obj): void {
  materialize(role, 'rules', null);
}

/** RoleBinding and ClusterRoleBinding: roleRef's group, and each subject's group by its kind. */
export function bindingDefaults(binding: Obj): void {
  const ref = ensure(binding, 'roleRef');
  if (ref) setDefaultString(ref, 'apiGroup', rbacGroup);
  for (const subject of items(binding, 'subjects')) {
    if (subject.apiGroup !== undefined && subject.apiGroup !== null && subject.apiGroup !== '') continue;
    if (subject.kind === 'ServiceAccount') assign(subject, 'apiGroup', '');
    else if (subject.kind === 'User' || subject.kind === 'Group') subject.apiGroup = rbacGroup;
  }
}
