// Tables of RBAC bindings, PodDisruptionBudgets, StorageClasses, Leases and CertificateSigningRequests.
import { docs } from './descriptions.js';
import { definitions } from '../openapi/definitions.js';
import { humanDuration } from './duration.js';
import type { Printer } from './core.js';
import { age, ageColumn, arr, col, int, meta, nameColumn, nameOf, rec, str, wideCol, type Cell, type Rec } from './table.js';

function binding(what: string, roleRefDoc: string): Printer {
  return {
    columns: () => [
      nameColumn(),
      col('Role', 'string', roleRefDoc),
      ageColumn(),
      wideCol('Users', 'string', `Users in the ${what}`),
      wideCol('Groups', 'string', `Groups in the ${what}`),
      wideCol('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`),
    ],
    row: (o, wide, now) => {
      const ref = rec(o.roleRef);
      const cells: Cell[] = [nameOf(o), `${str(ref.kind)}/${str(ref.name)}`, age(o, now)];
      if (wide) {
        const users: string[] = [];
        const groups: string[] = [];
        const sas: string[] = [];
        for (const s of arr(o.subjects)) {
          if (s.kind === 'ServiceAccount') sas.push(`${str(s.namespace)}/${str(s.name)}`);
          else if (s.kind === 'User') users.push(str(s.name));
          else if (s.kind === 'Group') groups.push(str(s.name));
        }
        cells.push(users.join(', '), groups.join(', '), sas.join(', '));
      }
      return { cells };
    },
  };
}

/** intstr's String(): the number or the string as given. */
const intOrString = (v: unknown): string => (typeof v === 'number' ? String(Math.trunc(v)) : str(v));

const podDisruptionBudget: Printer = {
  columns: () => [
    nameColumn(),
    col('Min Available', 'string', 'The minimum number of pods that must be available.'),
    col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    col('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    ageColumn(),
  ],
  row: (o, _wide, now) => {
    const spec = rec(o.spec);
    const present = (v: unknown) => v !== undefined && v !== null;
    return {
      cells: [
        nameOf(o), present(spec.minAvailable) ? intOrString(spec.minAvailable) : 'N/A',
        present(spec.maxUnavailable) ? intOrString(spec.maxUnavailable) : 'N/A', int(rec(o.status).disruptionsAllowed), age(o, now),
      ],
    };
  },
};

const isDefaultClass = (o: Rec) => {
  const a = rec(meta(o).annotations);
  return a['storageclass.kubernetes.io/is-default-class'] === 'true' || a['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
};

const storageClass: Printer = {
  columns: () => [
    nameColumn(),
    col('Provisioner', 'string', docs['StorageClass.provisioner']),
    col('ReclaimPolicy', 'string', docs['StorageClass.reclaimPolicy']),
    col('VolumeBindingMode', 'string', docs['StorageClass.volumeBindingMode']),
    col('AllowVolumeExpansion', 'string', docs['StorageClass.allowVolumeExpansion']),
    ageColumn(),
  ],
  row: (o, _wide, now) => ({
    cells: [
      isDefaultClass(o) ? `${nameOf(o)} (default)` : nameOf(o), str(o.provisioner),
      typeof o.reclaimPolicy === 'string' ? o.reclaimPolicy : 'Delete',
      typeof o.volumeBindingMode === 'string' ? o.volumeBindingMode : 'Immediate', o.allowVolumeExpansion === true, age(o, now),
    ],
  }),
};

const lease: Printer = {
  columns: () => [nameColumn(), col('Holder', 'string', docs['LeaseSpec.holderIdentity']), ageColumn()],
  row: (o, _wide, now) => ({ cells: [nameOf(o), str(rec(o.spec).holderIdentity), age(o, now)] }),
};

const csrSpecDoc = (field: string) => definitions['io.k8s.api.certificates.v1.CertificateSigningRequestSpec']?.properties?.[field]?.description ?? '';

/** extractCSRStatus: Denied, else Approved, else Pending; then ",Failed" and ",Issued". */
function csrCondition(o: Rec): string {
  const types = new Set(arr(rec(o.status).conditions).map((c) => str(c.type)));
  let s = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) s += ',Failed';
  if (str(rec(o.status).certificate)) s += ',Issued';
  return s;
}

const certificateSigningRequest: Printer = {
  columns: () => [
    nameColumn(),
    ageColumn(),
    col('SignerName', 'string', csrSpecDoc('signerName')),
    col('Requestor', 'string', 'Name of the user which made this request.'),
    col('RequestedDuration', 'string', csrSpecDoc('expirationSeconds')),
    col('Condition', 'string', 'State of the signing request.'),
  ],
  row: (o, _wide, now) => {
    const spec = rec(o.spec);
    const expiration = spec.expirationSeconds;
    return {
      cells: [
        nameOf(o), age(o, now), str(spec.signerName) || '<none>', str(spec.username),
        typeof expiration === 'number' ? humanDuration(expiration * 1000) : '<none>', csrCondition(o),
      ],
    };
  },
};

export const certificatesPrinters: Record<string, Printer> = { CertificateSigningRequest: certificateSigningRequest };
export const rbacPrinters: Record<string, Printer> = {
  RoleBinding: binding('roleBinding', docs['RoleBinding.roleRef']),
  ClusterRoleBinding: binding('clusterRoleBinding', docs['ClusterRoleBinding.roleRef']),
};
export const policyPrinters: Record<string, Printer> = { PodDisruptionBudget: podDisruptionBudget };
export const storagePrinters: Record<string, Printer> = { StorageClass: storageClass };
export const coordinationPrinters: Record<string, Printer> = { Lease: lease };
