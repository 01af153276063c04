// Defaulting and create-time preparation of built-in objects, as kube-apiserver applies them.
export { applyDefaults, hasDefaults } from './apply.js';
export {
  prepareForCreate,
  prepareJobForCreate,
  prepareNamespaceForCreate,
  tracksGeneration,
  controllerUidLabel,
  jobNameLabel,
  legacyControllerUidLabel,
  legacyJobNameLabel,
  type CreateContext,
} from './strategy.js';
export { namespaceNameLabel } from './core.js';
export { podQOSClass, type QOSClass } from './qos.js';
export { defaultPullPolicy, parseImageRef, type ImageRef } from './image.js';
