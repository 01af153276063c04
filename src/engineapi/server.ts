// The Docker Engine API server: the engine's routes on an HTTP server over a unix socket.
import type { Engine } from '../engine/engine.js';
import { ENGINE_VERSION } from '../engine/engine.js';
import { ApiServer } from './http.js';
import { registerRoutes } from './routes.js';

export { API_VERSION, MIN_API_VERSION } from './http.js';

export async function serveEngineAPI(engine: Engine, socketPath: string): Promise<ApiServer> {
  const api = new ApiServer(ENGINE_VERSION);
  registerRoutes(api, engine);
  await api.listen(socketPath);
  return api;
}
