// Mount specifications as dockerd parses them (volume/mounts/linux_parser.go): `-v` strings,
// `--mount` objects and `--tmpfs` entries, validated with upstream's messages. Pure: whether a
// bind source exists is asked through a callback.
import { posix } from 'node:path';
import { invalidParameter } from './errors.js';

export type MountType = 'bind' | 'volume' | 'tmpfs';

/** The API's mount.Mount (HostConfig.Mounts). */
export interface MountSpec {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean } | null;
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> } } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number } | null;
}

/** A resolved mount point, as the container records it (inspect's Mounts, with the spec kept). */
export interface MountPoint {
  Type: MountType;
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
  CopyData?: boolean;
  /** tmpfs mount options */
  Data?: string;
  /** from a `-v` string: a missing bind source is created at start */
  FromBinds?: boolean;
  Spec: MountSpec;
}

const PROPAGATION = ['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared'];
const LABEL_MODES = ['z', 'Z'];
const CONSISTENCY = ['consistent', 'cached', 'delegated'];
const COPY_MODES = ['nocopy'];

const errInvalidSpec = (raw: string) => `invalid volume specification: '${raw}'`;

function validMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = { rw: 0, label: 0, prop: 0, copy: 0, cons: 0 };
  for (const o of mode.split(',')) {
    if (o === 'rw' || o === 'ro') counts.rw++;
    else if (LABEL_MODES.includes(o)) counts.label++;
    else if (PROPAGATION.includes(o)) counts.prop++;
    else if (COPY_MODES.includes(o)) counts.copy++;
    else if (CONSISTENCY.includes(o)) counts.cons++;
    else return false;
  }
  return Object.values(counts).every((n) => n <= 1);
}

function mountConfigError(type: string | undefined, msg: string): Error {
  return invalidParameter(`invalid mount config for type "${type ?? ''}": ${msg}`);
}

function validateTarget(m: MountSpec): void {
  if (!m.Target) throw mountConfigError(m.Type, 'field Target must not be empty');
  if (posix.normalize(m.Target.replace(/\\/g, '/')) === '/') throw mountConfigError(m.Type, "invalid specification: destination can't be '/'");
  if (!posix.isAbsolute(m.Target)) throw mountConfigError(m.Type, `invalid mount path: '${m.Target}' mount path must be absolute`);
}

/** tmpfs options string from TmpfsOptions (ConvertTmpfsOptions). */
export function tmpfsOptions(o: MountSpec['TmpfsOptions'], readOnly: boolean): string {
  const out: string[] = [];
  if (o?.SizeBytes) {
    let size = o.SizeBytes;
    let suffix = '';
    for (const [s, n] of [['g', 1 << 30], ['m', 1 << 20], ['k', 1 << 10]] as const) {
      if (size % n === 0) {
        size /= n;
        suffix = s;
        break;
      }
    }
    out.push(`size=${size}${suffix}`);
  }
  if (o?.Mode) out.push(`mode=${o.Mode.toString(8)}`);
  if (readOnly) out.push('ro');
  return out.join(',');
}

/** Validates and resolves a `--mount` (validateMountConfig + parseMountSpec). */
export function parseMountSpec(m: MountSpec, sourceExists: (p: string) => boolean, randomName: () => string, checkSource = true): MountPoint {
  validateTarget(m);
  switch (m.Type) {
    case 'bind': {
      if (!m.Source) throw mountConfigError(m.Type, 'field Source must not be empty');
      const prop = m.BindOptions?.Propagation;
      if (prop && !PROPAGATION.includes(prop)) throw mountConfigError(m.Type, `invalid propagation mode: ${prop}`);
      if (m.VolumeOptions) throw mountConfigError(m.Type, 'field VolumeOptions must not be specified');
      if (!posix.isAbsolute(m.Source)) throw mountConfigError(m.Type, `invalid mount path: '${m.Source}' mount path must be absolute`);
      if (checkSource && !sourceExists(m.Source)) throw mountConfigError(m.Type, `bind source path does not exist: ${m.Source}`);
      return {
        Type: 'bind',
        Source: posix.normalize(m.Source),
        Destination: posix.normalize(m.Target!),
        Mode: '',
        RW: !m.ReadOnly,
        Propagation: prop || 'rprivate',
        Spec: m,
      };
    }
    case 'volume': {
      if (m.BindOptions) throw mountConfigError(m.Type, 'field BindOptions must not be specified');
      if (!m.Source && m.ReadOnly) throw mountConfigError(m.Type, 'must not set ReadOnly mode when using anonymous volumes');
      const mp: MountPoint = {
        Type: 'volume',
        Name: m.Source || randomName(),
        Source: '',
        Destination: posix.normalize(m.Target!),
        Driver: m.VolumeOptions?.DriverConfig?.Name || 'local',
        Mode: '',
        RW: !m.ReadOnly,
        Propagation: '',
        CopyData: !m.VolumeOptions?.NoCopy,
        Spec: m,
      };
      return mp;
    }
    case 'tmpfs': {
      if (m.BindOptions) throw mountConfigError(m.Type, 'field BindOptions must not be specified');
      if (m.Source) throw mountConfigError(m.Type, 'field Source must not be specified');
      return {
        Type: 'tmpfs',
        Source: '',
        Destination: posix.normalize(m.Target!),
        Mode: '',
        RW: !m.ReadOnly,
        Propagation: '',
        Data: tmpfsOptions(m.TmpfsOptions, !!m.ReadOnly),
        Spec: m,
      };
    }
    default:
      throw mountConfigError(m.Type, 'mount type unknown');
  }
}

/** Parses a `-v` string (ParseMountRaw). A missing bind source is created later, as dockerd does. */
export function parseBind(raw: string, randomName: () => string): MountPoint {
  if ((raw.match(/:/g) ?? []).length > 2) throw invalidParameter(errInvalidSpec(raw));
  const arr = raw.split(':');
  if (arr[0] === '') throw invalidParameter(errInvalidSpec(raw));
  const spec: MountSpec = {};
  let mode = '';
  if (arr.length === 1) spec.Target = arr[0];
  else if (arr.length === 2) {
    if (validMode(arr[1]!)) throw invalidParameter(errInvalidSpec(raw));
    spec.Source = arr[0];
    spec.Target = arr[1];
  } else {
    spec.Source = arr[0];
    spec.Target = arr[1];
    mode = arr[2]!;
  }
  if (!validMode(mode)) throw invalidParameter(`invalid mode: ${mode}`);
  spec.Type = spec.Source && posix.isAbsolute(spec.Source) ? 'bind' : 'volume';
  const opts = mode.split(',');
  spec.ReadOnly = opts.includes('ro');
  if (opts.includes('nocopy')) spec.VolumeOptions = { NoCopy: true };
  const prop = opts.find((o) => PROPAGATION.includes(o));
  if (prop) spec.BindOptions = { Propagation: prop };
  try {
    const mp = parseMountSpec(spec, () => true, randomName, false);
    mp.Mode = mode;
    if (mp.Type === 'bind' && !prop) mp.Propagation = 'rprivate';
    return mp;
  } catch (e) {
    const inner = (e as Error).message;
    throw invalidParameter(`${errInvalidSpec(raw)}: ${inner}`);
  }
}

/** `--tmpfs /path[:opts]` (HostConfig.Tmpfs map). */
export function parseTmpfs(dest: string, opts: string): MountPoint {
  if (!posix.isAbsolute(dest)) throw invalidParameter(`invalid mount path: '${dest}' mount path must be absolute`);
  if (posix.normalize(dest) === '/') throw invalidParameter("invalid specification: destination can't be '/'");
  return {
    Type: 'tmpfs',
    Source: '',
    Destination: posix.normalize(dest),
    Mode: opts,
    RW: !opts.split(',').includes('ro'),
    Propagation: '',
    Data: opts,
    Spec: { Type: 'tmpfs', Target: dest },
  };
}

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function validateVolumeName(name: string): void {
  if (!VOLUME_NAME.test(name)) {
    throw invalidParameter(
      `"${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}
