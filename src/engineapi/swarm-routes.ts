// The Docker Engine API's swarm endpoints (moby api/server/router/swarm): Berth's engine is never a
// swarm node, so each answers as dockerd does before `docker swarm init` (503 and its message);
// joining or making a swarm is refused outright (Berth's cluster is Kubernetes).
import { EngineError } from '../engine/errors.js';
import type { ApiServer } from './http.js';

const NOT_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

export function registerSwarmRoutes(api: ApiServer): void {
  const notManager = () => {
    throw new EngineError('unavailable', NOT_MANAGER);
  };
  for (const kind of ['nodes', 'services', 'tasks', 'secrets', 'configs']) {
    api.get(`/${kind}`, notManager);
    api.get(`/${kind}/{id}`, notManager);
    api.delete(`/${kind}/{id}`, notManager);
    api.post(`/${kind}/create`, notManager);
    api.post(`/${kind}/{id}/update`, notManager);
  }
  api.get('/services/{id}/logs', notManager);
  api.get('/tasks/{id}/logs', notManager);
  api.get('/swarm', notManager);
  api.get('/swarm/unlockkey', notManager);
  api.post('/swarm/unlock', notManager);
  api.post('/swarm/update', notManager);
  api.post('/swarm/leave', () => {
    throw new EngineError('unavailable', 'This node is not part of a swarm');
  });
  const refused = () => {
    throw new EngineError('notImplemented', 'swarm mode is not supported by Berth: its cluster is Kubernetes (kubectl)');
  };
  api.post('/swarm/init', refused);
  api.post('/swarm/join', refused);
}
