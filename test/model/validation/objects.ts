// Complete, valid objects as they look after defaulting, for the validation tests to mutate.
import type { FieldError } from '../../../src/model/field.js';

export const clone = <T>(v: T): T => structuredClone(v);
export const msgs = (errs: FieldError[]): string[] => errs.map(String);

export function container(name = 'app'): Record<string, unknown> {
  return {
    name,
    image: 'busybox:1.36',
    imagePullPolicy: 'IfNotPresent',
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    resources: {},
  };
}

export function podSpec(): Record<string, any> {
  return {
    containers: [container()],
    restartPolicy: 'Always',
    dnsPolicy: 'ClusterFirst',
    terminationGracePeriodSeconds: 30,
    schedulerName: 'default-scheduler',
    securityContext: {},
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
    priority: 0,
  };
}

export function pod(name = 'web-0'): Record<string, any> {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app: 'web' } }, spec: podSpec() };
}

export function template(labels: Record<string, string> = { app: 'web' }): Record<string, any> {
  return { metadata: { labels }, spec: podSpec() };
}

export function deployment(): Record<string, any> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: template(),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
  };
}

export function service(): Record<string, any> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      type: 'ClusterIP',
      selector: { app: 'web' },
      ports: [{ protocol: 'TCP', port: 80, targetPort: 8080 }],
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack',
    },
  };
}

/** The object as stored: what an update's "old" looks like. */
export function stored(o: Record<string, any>): Record<string, any> {
  const c = clone(o);
  c.metadata = { ...c.metadata, uid: '7d1f4a2e-0000-4000-8000-000000000001', resourceVersion: '12', creationTimestamp: '2026-01-02T03:04:05Z', generation: 1 };
  return c;
}
