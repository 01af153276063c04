// Test-only: a PatchSchema from a small JSON description, and Pod/Deployment-like descriptions
// carrying the patch metadata the built-in types have upstream (types.go struct tags).
import type { PatchSchema } from '../../../src/model/patch/schema.js';

export interface SchemaDesc {
  strategy?: string;
  mergeKey?: string;
  fields?: Record<string, SchemaDesc>;
  items?: SchemaDesc;
}

export function buildSchema(desc: SchemaDesc): PatchSchema {
  return {
    field: (name) => {
      const f = desc.fields && Object.prototype.hasOwnProperty.call(desc.fields, name) ? desc.fields[name] : undefined;
      return f && buildSchema(f);
    },
    items: () => desc.items && buildSchema(desc.items),
    patchStrategy: desc.strategy,
    patchMergeKey: desc.mergeKey,
  };
}

const envVar: SchemaDesc = { fields: { name: {}, value: {}, valueFrom: { fields: { fieldRef: { fields: { fieldPath: {} } } } } } };

export const containerDesc: SchemaDesc = {
  fields: {
    name: {},
    image: {},
    args: { items: {} }, // no strategy: replaced whole
    env: { strategy: 'merge', mergeKey: 'name', items: envVar },
    ports: { strategy: 'merge', mergeKey: 'containerPort', items: { fields: { containerPort: {}, protocol: {}, name: {} } } },
    volumeMounts: { strategy: 'merge', mergeKey: 'mountPath', items: { fields: { name: {}, mountPath: {}, readOnly: {} } } },
    resources: { fields: { limits: { items: {} }, requests: { items: {} } } },
  },
};

export const podSpecDesc: SchemaDesc = {
  fields: {
    containers: { strategy: 'merge', mergeKey: 'name', items: containerDesc },
    initContainers: { strategy: 'merge', mergeKey: 'name', items: containerDesc },
    volumes: {
      strategy: 'merge,retainKeys',
      mergeKey: 'name',
      items: {
        fields: {
          name: {},
          emptyDir: { fields: { medium: {} } },
          hostPath: { fields: { path: {}, type: {} } },
          configMap: { fields: { name: {}, optional: {} } },
        },
      },
    },
    nodeSelector: { items: {} },
    tolerations: { items: { fields: { key: {}, operator: {}, effect: {} } } }, // atomic list upstream
  },
};

const metadataDesc: SchemaDesc = {
  fields: {
    name: {},
    labels: { items: {} },
    annotations: { items: {} },
    finalizers: { strategy: 'merge', items: {} },
    ownerReferences: { strategy: 'merge', mergeKey: 'uid', items: { fields: { uid: {}, name: {}, kind: {} } } },
  },
};

export const podDesc: SchemaDesc = { fields: { metadata: metadataDesc, spec: podSpecDesc } };

export const deploymentDesc: SchemaDesc = {
  fields: {
    metadata: metadataDesc,
    spec: {
      fields: {
        replicas: {},
        strategy: {
          strategy: 'retainKeys',
          fields: { type: {}, rollingUpdate: { fields: { maxSurge: {}, maxUnavailable: {} } } },
        },
        template: { fields: { metadata: metadataDesc, spec: podSpecDesc } },
      },
    },
  },
};

export const podSchema = buildSchema(podDesc);
export const deploymentSchema = buildSchema(deploymentDesc);
