// The docker compatibility comparison as a test: the same docker CLI commands against berth and
// against a real dockerd, normalized and compared (compat.ts); it fails on any difference that
// docs/docker-compat.md does not list and on anything berth left on the host. Needs root and
// Debian's docker.io; skips with the reason otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canRunContainers } from '../engine/hoststate.js';
import { describe as describeDiff, knownDifferences, PeerUnavailable, runCompat, type CompatReport } from './compat.js';
import { dockerdUnavailable } from './dockerd.js';

const skip = canRunContainers() ?? dockerdUnavailable();

test('docs/docker-compat.md lists each difference once, with a reason', () => {
  const known = knownDifferences();
  assert.ok(known.size > 0);
  for (const [id, reason] of known) assert.ok(reason.length > 20, `${id} needs a reason`);
});

test('docker CLI against berth and against dockerd: only the listed differences', { skip, timeout: 20 * 60_000 }, async (t) => {
  let report: CompatReport;
  try {
    report = await runCompat();
  } catch (e) {
    if (e instanceof PeerUnavailable) {
      t.skip(e.message);
      return;
    }
    throw e;
  }
  const known = knownDifferences();
  for (const r of report.differences) t.diagnostic(`${known.has(r.step.id) ? 'listed' : 'NOT LISTED'}: ${describeDiff(r)}`);
  assert.ok(report.results.length > 150, `only ${report.results.length} steps ran`);
  assert.deepEqual(report.unlisted.map((r) => r.step.id), [], report.unlisted.map(describeDiff).join('\n\n'));
  // a listed difference may not show on every host (no IPv6, say): reported, not failed
  if (report.stale.length) t.diagnostic(`listed but the same here: ${report.stale.join(', ')}`);
  assert.deepEqual(report.leaks, [], 'berth left these on the host');
});
