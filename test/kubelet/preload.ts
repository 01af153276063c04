// Puts the tests' busybox image into the engine a kubelet will use (before that kubelet's process
// opens it: an engine reads its image store once, at open). The image is built by berth's own
// builder from Debian's busybox-static (FROM scratch), as a user of `berth up` would make it.
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Engine } from '../../src/engine/engine.js';
import { Builder } from '../../src/engine/build/builder.js';
import { BuildContext } from '../../src/engine/build/context.js';
import { BUSYBOX } from '../engine/busybox.js';

const DOCKERFILE = `FROM scratch
COPY busybox /bin/busybox
COPY passwd group /etc/
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -p /dev /proc /sys /tmp /root /var/www /home && chmod 1777 /tmp"]
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["sh"]
`;

export async function preloadBusybox(dataDir: string, tags = ['busybox:1.36', 'busybox:latest']): Promise<void> {
  const ctx = mkdtempSync(join(tmpdir(), 'berth-busybox-ctx-'));
  const engine = await Engine.open({ dataDir: join(dataDir, 'engine') });
  try {
    copyFileSync(BUSYBOX, join(ctx, 'busybox'));
    writeFileSync(join(ctx, 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
    writeFileSync(join(ctx, 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    writeFileSync(join(ctx, 'Dockerfile'), DOCKERFILE);
    const builder = new Builder(engine);
    let log = '';
    try {
      await builder.build(
        BuildContext.fromDir(ctx),
        { dockerfile: 'Dockerfile', tags, buildArgs: new Map(), noCache: false, target: '', labels: {}, platform: '', explain: false, aux: false },
        (m) => (log += m.stream ?? ''),
      );
    } catch (e) {
      throw new Error(`building busybox failed: ${e instanceof Error ? e.message : String(e)}\n${log}`);
    }
  } finally {
    engine.close();
    rmSync(ctx, { recursive: true, force: true });
  }
}
