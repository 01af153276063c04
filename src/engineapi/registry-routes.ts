// The Docker Engine API's registry endpoints (moby api/server/router/image and system):
// POST /images/create?fromImage= (pull), POST /images/{name}/push, POST /auth (login).
// Credentials arrive as base64url JSON in X-Registry-Auth, or as the body of /auth.
import type { ServerResponse } from 'node:http';
import type { Engine } from '../engine/engine.js';
import type { JSONMessage } from '../engine/archive.js';
import { EngineError, invalidParameter, messageOf } from '../engine/errors.js';
import { parseNormalizedNamed, validTag, type NamedRef } from '../engine/reference.js';
import { decodeRegistryAuth, type AuthConfig } from '../engine/registry/auth.js';
import { errorMessage } from '../engine/registry/progress.js';
import { pull } from '../engine/registry/pull.js';
import { push } from '../engine/registry/push.js';
import { registryDeps, registryHost } from '../engine/registry/registry.js';
import { RegistrySession } from '../engine/registry/session.js';
import { writeJSON, type ApiServer, type Ctx } from './http.js';

/**
 * A JSON message stream whose 200 goes out with the first message, as dockerd's WriteFlusher
 * does: an error before any output is an ordinary error response; after it, a message.
 */
function lazyStream(res: ServerResponse): { send: (m: JSONMessage) => void; started: () => boolean } {
  let started = false;
  return {
    send: (m) => {
      if (!started) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        started = true;
      }
      res.write(JSON.stringify(m) + '\r\n');
    },
    started: () => started,
  };
}

/** The reference of `fromImage` plus `tag` (which may be a digest), as postImagesCreate builds it. */
export function pullReference(image: string, tag: string): NamedRef {
  const ref = parseNormalizedNamed(image.trim());
  if (!tag) return ref;
  if (/^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/.test(tag)) return { domain: ref.domain, path: ref.path, digest: tag };
  if (!validTag(tag)) throw invalidParameter('invalid tag format');
  return { domain: ref.domain, path: ref.path, tag };
}

/** POST /images/create?fromImage=…&tag=…: the pull half of the create endpoint. */
export async function pullRoute(ctx: Ctx, engine: Engine): Promise<void> {
  const q = ctx.query;
  const platform = q.get('platform');
  if (platform && !/^linux\/amd64(\/v1)?$/.test(platform)) {
    throw invalidParameter(`image operating system/architecture ${platform} is not supported: berth runs linux/amd64 only`);
  }
  const ref = pullReference(q.get('fromImage') ?? '', q.get('tag') ?? '');
  const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
  const out = lazyStream(ctx.res);
  try {
    await pull(registryDeps(engine), ref, out.send, authOpt(auth));
  } catch (e) {
    if (!out.started()) throw e;
    out.send(errorMessage(messageOf(e)));
  }
  ctx.res.end();
}

const authOpt = (auth: AuthConfig | undefined) => (auth ? { auth } : {});

/** parseRegistryHostName: the host of a server address given with or without a scheme. */
export function serverHost(address: string): string {
  if (!address) return 'index.docker.io';
  const withScheme = address.includes('://') ? address : `https://${address}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw invalidParameter('invalid server address: unable to parse');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw invalidParameter(`invalid server address "${address}": unsupported URL scheme "${u.protocol.slice(0, -1)}": must be "http" or "https"`);
  }
  return u.host;
}

export function registerRegistryRoutes(api: ApiServer, engine: Engine): void {
  api.post('/images/{name*}/push', async (ctx) => {
    let ref = parseNormalizedNamed(ctx.params['name']!);
    const tag = ctx.query.get('tag') ?? '';
    if (tag) {
      if (!validTag(tag)) throw invalidParameter('invalid tag format');
      ref = { domain: ref.domain, path: ref.path, tag };
    }
    const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
    const out = lazyStream(ctx.res);
    try {
      await push(registryDeps(engine), ref, out.send, authOpt(auth));
    } catch (e) {
      if (!out.started()) throw e;
      out.send(errorMessage(messageOf(e)));
    }
    ctx.res.end();
  });

  api.post('/auth', async (ctx) => {
    const body = await ctx.json<AuthConfig>();
    const host = serverHost(body.serveraddress ?? '');
    const session = new RegistrySession(registryHost(host === 'index.docker.io' ? 'docker.io' : host), body);
    try {
      await session.login();
    } catch (e) {
      throw new EngineError('system', messageOf(e));
    }
    writeJSON(ctx.res, 200, { Status: 'Login Succeeded' });
  });
}
