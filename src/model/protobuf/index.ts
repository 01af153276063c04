// Kubernetes' protobuf wire form (application/vnd.kubernetes.protobuf) for the built-in kinds.
export { decodeKubernetesProtobuf, decodeProtobufMessage, PROTOBUF_MAGIC, type DecodedObject, type GroupVersionKind } from './decode.js';
export { encodeKubernetesProtobuf, encodeProtobufMessage } from './encode.js';
export { messageForKind } from './schema.js';
