// Loads the tests' busybox image into the engine a kubelet will use (before that kubelet's
// process opens it: an engine reads its image store once, at open).
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { Engine } from '../../src/engine/engine.js';
import { loadImages } from '../../src/engine/archive.js';
import { busyboxArchive } from '../engine/busybox.js';

export async function preloadBusybox(dataDir: string, tags = ['busybox:1.36', 'busybox:latest']): Promise<void> {
  const engine = await Engine.open({ dataDir: join(dataDir, 'engine') });
  try {
    await loadImages({ content: engine.content, layers: engine.layers, images: engine.images, event: () => {} }, Readable.from([await busyboxArchive([{ tags }])]), () => {}, true);
  } finally {
    engine.close();
  }
}
