// The local-path provisioner (after rancher/local-path-provisioner) with the part of upstream's
// PV controller (pkg/controller/volume/persistentvolume) that binds: a claim of a StorageClass
// whose provisioner is ours gets a PersistentVolume `pvc-<claim uid>`, a hostPath directory under
// the node's local-path root with nodeAffinity to that node; a claim that a pre-made volume fits
// (its class, access modes, size, volume mode, selector; the smallest such) is bound to that
// volume instead, as upstream's binder does; then claim and volume are bound both ways
// (claim.spec.volumeName, volume.spec.claimRef, both Bound). A claim without a class gets the
// default one (retroactive default StorageClass assignment). With WaitForFirstConsumer the node
// is the claim's selected-node annotation (the scheduler's), else the node of a pod that uses it;
// with Immediate, the configured node, else the first node. A new volume nobody claims is marked
// Available. When the claim goes, a volume we provisioned with reclaimPolicy Delete goes too; any
// other volume it held is Released.
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { R } from '../model/api.js';
import { availableFor, bestVolume, BIND_COMPLETED, SELECTED_NODE } from '../model/storage.js';
import type { Instant, KubeObject } from '../model/object.js';
import type { Action, Controller, Decision } from './runtime.js';

export const LOCAL_PATH_PROVISIONER = 'berth.dev/local-path';
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
const BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
const PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
const BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';


type Claim = KubeObject & PersistentVolumeClaim;
type Volume = KubeObject & PersistentVolume;
type Class = KubeObject & StorageClass;

export interface LocalPathOptions {
  /** Where volumes live on the node: <baseDir>/pvc-<uid>_<namespace>_<name>. */
  baseDir: string;
  /** The node Immediate claims go to (the machine `berth up` runs on). */
  nodeName?: string;
}

export interface LocalPathObservation {
  key: string;
  claim?: Claim;
  /** The class the claim names (or the default class when it names none). */
  storageClass?: Class;
  defaultClass?: Class;
  /** The volume provisioned for this claim (pvc-<uid>), or the one its claimRef names it. */
  volume?: Volume;
  /** Nodes of pods (in the claim's namespace) that use the claim. */
  consumerNodes: string[];
  nodes: string[];
  /** For an unbound claim: the volumes it could be bound to (nobody else's, not going, not Released or Failed). */
  available?: Volume[];
  /** The labels of the claim's selected node (a volume's node affinity is judged on them). */
  selectedNodeLabels?: Record<string, string>;
}

/** A volume's own key (claims' keys are namespace/name): for marking it Available. */
const VOLUME_KEY = '/';

const isDefault = (c: KubeObject) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true';

/** Among several default classes the newest wins (GetDefaultClass). */
function defaultClass(classes: Class[]): Class | undefined {
  return classes.filter(isDefault).sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || a.metadata.name!.localeCompare(b.metadata.name!))[0];
}

export function localPathController(opts: LocalPathOptions): Controller<LocalPathObservation> {
  const claimKey = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
  return {
    name: 'local-path-provisioner',
    watches: [
      { resource: R.persistentvolumeclaims, keys: (o) => [claimKey(o)] },
      {
        resource: R.persistentvolumes,
        keys: (o, view) => {
          const ref = (o as Volume).spec?.claimRef;
          if (ref?.namespace && ref.name) return [`${ref.namespace}/${ref.name}`];
          // a volume nobody claims: itself (to be marked Available), and the claims it may fit
          return [`${VOLUME_KEY}${o.metadata.name}`, ...view.list(R.persistentvolumeclaims).filter((c) => !(c as Claim).spec?.volumeName).map(claimKey)];
        },
      },
      // read, not reconciled on: the node list, a selected node's labels
      { resource: R.nodes, keys: () => [] },
      { resource: R.storageclasses, keys: (_o, view) => view.list(R.persistentvolumeclaims).filter((c) => !(c as Claim).spec?.volumeName).map(claimKey) },
      {
        resource: R.pods,
        keys: (o) => ((o as KubeObject & Pod).spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim ? [`${o.metadata.namespace}/${v.persistentVolumeClaim.claimName}`] : [])),
        changed: (o, old) => (o as KubeObject & Pod).spec?.nodeName !== (old as KubeObject & Pod).spec?.nodeName,
      },
    ],
    observe(key, view) {
      if (key.startsWith(VOLUME_KEY)) {
        const volume = view.get(R.persistentvolumes, undefined, key.slice(VOLUME_KEY.length)) as Volume | undefined;
        return { key, ...(volume ? { volume } : {}), consumerNodes: [], nodes: [] };
      }
      const [ns, name] = key.split('/') as [string, string];
      const claim = view.get(R.persistentvolumeclaims, ns, name) as Claim | undefined;
      const classes = view.list(R.storageclasses) as Class[];
      const dflt = defaultClass(classes);
      const scName = claim?.spec?.storageClassName;
      const storageClass = scName === undefined || scName === null ? dflt : classes.find((c) => c.metadata.name === scName);
      const volumes = view.list(R.persistentvolumes) as Volume[];
      const refersHere = (v: Volume) => v.spec?.claimRef?.namespace === ns && v.spec.claimRef.name === name;
      const volume =
        (claim?.spec?.volumeName ? volumes.find((v) => v.metadata.name === claim.spec!.volumeName) : undefined) ??
        volumes.find((v) => refersHere(v) && (v.metadata.annotations?.[PROVISIONED_BY] === LOCAL_PATH_PROVISIONER || !claim || !v.spec?.claimRef?.uid || v.spec.claimRef.uid === claim.metadata.uid));
      const consumerNodes = (view.list(R.pods, ns) as (KubeObject & Pod)[])
        .filter((p) => p.spec?.nodeName && (p.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === name))
        .map((p) => p.spec!.nodeName!);
      const nodes = view.list(R.nodes).map((n) => n.metadata.name!).sort();
      const out: LocalPathObservation = { key, ...(claim ? { claim } : {}), ...(storageClass ? { storageClass } : {}), ...(dflt ? { defaultClass: dflt } : {}), ...(volume ? { volume } : {}), consumerNodes, nodes };
      if (claim && !volume && !claim.spec?.volumeName) {
        out.available = availableFor(claim, volumes) as Volume[];
        const selected = claim.metadata.annotations?.[SELECTED_NODE];
        const node = selected ? view.get(R.nodes, undefined, selected) : undefined;
        if (node) out.selectedNodeLabels = node.metadata.labels ?? {};
      }
      return out;
    },
    reconcile: (obs, now) => reconcileLocalPath(obs, now, opts),
  };
}

export function reconcileLocalPath(obs: LocalPathObservation, _now: Instant, opts: LocalPathOptions): Decision {
  const { claim, volume } = obs;
  if (obs.key.startsWith(VOLUME_KEY)) {
    // a volume made by hand (Pending, as the API defaults it) becomes Available (syncVolume)
    if (volume && !volume.spec?.claimRef && (volume.status?.phase ?? 'Pending') === 'Pending' && !volume.metadata.deletionTimestamp) {
      return { actions: [{ kind: 'patch', resource: R.persistentvolumes, name: volume.metadata.name!, patchType: 'application/merge-patch+json', patch: { status: { phase: 'Available' } }, subresource: 'status' }] };
    }
    return { actions: [] };
  }
  const ours = volume?.metadata.annotations?.[PROVISIONED_BY] === LOCAL_PATH_PROVISIONER;
  // the claim is gone (or another claim of the same name now): a Delete volume of ours goes, any other is Released
  if (!claim || (volume && volume.spec?.claimRef?.uid && volume.spec.claimRef.uid !== claim.metadata.uid)) {
    if (!volume || volume.metadata.deletionTimestamp) return { actions: [] };
    if (ours && (volume.spec?.persistentVolumeReclaimPolicy ?? 'Delete') === 'Delete') {
      return { actions: [{ kind: 'delete', resource: R.persistentvolumes, name: volume.metadata.name! }] };
    }
    if (volume.spec?.claimRef?.uid && volume.status?.phase !== 'Released' && volume.status?.phase !== 'Failed') {
      return { actions: [{ kind: 'patch', resource: R.persistentvolumes, name: volume.metadata.name!, patchType: 'application/merge-patch+json', patch: { status: { phase: 'Released' } }, subresource: 'status' }] };
    }
    return { actions: [] };
  }
  if (claim.metadata.deletionTimestamp) return { actions: [] };
  const ns = claim.metadata.namespace!;
  const name = claim.metadata.name!;
  const actions: Action[] = [];

  if (claim.spec?.storageClassName === undefined || claim.spec.storageClassName === null) {
    // retroactive default class: only for claims not yet bound
    if (obs.defaultClass && !claim.spec?.volumeName) {
      actions.push({ kind: 'patch', resource: R.persistentvolumeclaims, namespace: ns, name, patchType: 'application/merge-patch+json', patch: { spec: { storageClassName: obs.defaultClass.metadata.name } } });
    }
    return { actions };
  }
  const sc = obs.storageClass;

  if (!volume) {
    if (claim.spec?.volumeName) return { actions: [] };
    const wait = sc?.volumeBindingMode === 'WaitForFirstConsumer';
    // a pre-made volume that fits; with WaitForFirstConsumer, once the scheduler has chosen a node, one that node can use
    const match = (!wait ? bestVolume(claim, obs.available ?? []) : obs.selectedNodeLabels ? bestVolume(claim, obs.available ?? [], { name: claim.metadata.annotations![SELECTED_NODE]!, labels: obs.selectedNodeLabels }) : undefined) as Volume | undefined;
    if (match) {
      const claimRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name, uid: claim.metadata.uid, resourceVersion: claim.metadata.resourceVersion };
      return { actions: [{ kind: 'patch', resource: R.persistentvolumes, name: match.metadata.name!, patchType: 'application/merge-patch+json', patch: { metadata: { annotations: { [BOUND_BY_CONTROLLER]: 'yes' } }, spec: { claimRef } } }] };
    }
    if (!sc || sc.provisioner !== LOCAL_PATH_PROVISIONER) return { actions: [] };
    const node = claim.metadata.annotations?.[SELECTED_NODE] ?? (wait ? obs.consumerNodes[0] : (opts.nodeName ?? obs.nodes[0]));
    if (!node) return { actions: [] };
    const ann = claim.metadata.annotations ?? {};
    if (ann[STORAGE_PROVISIONER] !== LOCAL_PATH_PROVISIONER) {
      actions.push({ kind: 'patch', resource: R.persistentvolumeclaims, namespace: ns, name, patchType: 'application/merge-patch+json', patch: { metadata: { annotations: { [STORAGE_PROVISIONER]: LOCAL_PATH_PROVISIONER, [BETA_STORAGE_PROVISIONER]: LOCAL_PATH_PROVISIONER } } } });
    }
    const pvName = `pvc-${claim.metadata.uid}`;
    const pv: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: pvName, annotations: { [PROVISIONED_BY]: LOCAL_PATH_PROVISIONER } },
      spec: {
        capacity: { storage: claim.spec?.resources?.requests?.['storage'] ?? '1Gi' },
        accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
        storageClassName: sc.metadata.name,
        volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
        hostPath: { path: `${opts.baseDir.replace(/\/$/, '')}/${pvName}_${ns}_${name}`, type: 'DirectoryOrCreate' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
        claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name, uid: claim.metadata.uid, resourceVersion: claim.metadata.resourceVersion },
      },
    } as KubeObject;
    actions.push({ kind: 'create', resource: R.persistentvolumes, object: pv });
    return { actions };
  }

  // bind both ways, then mark both Bound (syncVolume / syncClaim)
  const claimed = volume.spec?.claimRef?.namespace === ns && volume.spec.claimRef.name === name;
  if (!ours && !claim.spec?.volumeName && !claimed) return { actions: [] };
  if (volume.status?.phase !== 'Bound') {
    actions.push({ kind: 'patch', resource: R.persistentvolumes, name: volume.metadata.name!, patchType: 'application/merge-patch+json', patch: { status: { phase: 'Bound' } }, subresource: 'status' });
  }
  if (claim.spec?.volumeName !== volume.metadata.name || claim.metadata.annotations?.[BIND_COMPLETED] !== 'yes') {
    actions.push({
      kind: 'patch',
      resource: R.persistentvolumeclaims,
      namespace: ns,
      name,
      patchType: 'application/merge-patch+json',
      patch: { metadata: { annotations: { [BIND_COMPLETED]: 'yes', [BOUND_BY_CONTROLLER]: 'yes' } }, spec: { volumeName: volume.metadata.name } },
    });
  }
  if (claim.status?.phase !== 'Bound') {
    actions.push({
      kind: 'patch',
      resource: R.persistentvolumeclaims,
      namespace: ns,
      name,
      patchType: 'application/merge-patch+json',
      patch: { status: { phase: 'Bound', accessModes: volume.spec?.accessModes ?? [], capacity: volume.spec?.capacity ?? {} } },
      subresource: 'status',
    });
  }
  return { actions };
}

