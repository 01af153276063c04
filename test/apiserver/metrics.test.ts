// GET /metrics: kube-apiserver's stable metrics in the Prometheus text format, counted by the
// handler as requests come in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from './harness.js';

/** The value of one series, by its exact label set. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('/metrics: requests by verb, resource, scope and code, their latency, objects stored, the process', async () => {
  const h = await harness();
  const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  for (const n of ['a', 'b', 'c']) assert.equal((await h.call('POST', '/api/v1/namespaces/default/pods', pod(n))).status, 201);
  await h.call('GET', '/api/v1/namespaces/default/pods/a');
  await h.call('GET', '/api/v1/namespaces/default/pods/nope');
  await h.call('GET', '/api/v1/namespaces/default/pods');
  await h.call('GET', '/api/v1/pods');
  await h.call('POST', '/api/v1/namespaces/default/pods?dryRun=All', pod('d'));
  await h.call('PATCH', '/api/v1/namespaces/default/pods/a', { metadata: { labels: { x: 'y' } } }, { contentType: 'application/merge-patch+json' });
  const w = await h.watch('/api/v1/namespaces/default/pods?watch=true');
  w.stop();
  await h.call('GET', '/version');
  const r = await h.call('GET', '/metrics');
  assert.equal(r.status, 200);
  assert.equal(r.contentType, 'text/plain; version=0.0.4; charset=utf-8');
  const t = r.text;
  const req = (code: number, verb: string, scope: string, dryRun = '', subresource = '') =>
    `apiserver_request_total{code="${code}",component="apiserver",dry_run="${dryRun}",group="",resource="pods",scope="${scope}",subresource="${subresource}",verb="${verb}",version="v1"}`;
  assert.equal(value(t, req(201, 'POST', 'namespace')), 3);
  assert.equal(value(t, req(201, 'POST', 'namespace', 'All')), 1);
  assert.equal(value(t, req(200, 'GET', 'resource')), 1);
  assert.equal(value(t, req(404, 'GET', 'resource')), 1);
  assert.equal(value(t, req(200, 'LIST', 'namespace')), 1);
  assert.equal(value(t, req(200, 'LIST', 'cluster')), 1);
  assert.equal(value(t, req(200, 'PATCH', 'resource')), 1);
  assert.equal(value(t, req(200, 'WATCH', 'namespace')), 1);
  assert.equal(value(t, 'apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="",scope="",subresource="",verb="GET",version=""}'), 1);
  // the latency histogram: cumulative buckets, +Inf equal to the count; a watch has none
  const labels = 'component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="POST",version="v1"';
  const buckets = t.split('\n').filter((l) => l.startsWith(`apiserver_request_duration_seconds_bucket{${labels},`)).map((l) => Number(l.split(' ')[1]));
  assert.equal(buckets.length, 24);
  assert.deepEqual(buckets, [...buckets].sort((a, b) => a - b));
  assert.equal(buckets.at(-1), 3);
  assert.equal(value(t, `apiserver_request_duration_seconds_count{${labels}}`), 3);
  assert.ok(!t.includes('apiserver_request_duration_seconds_count{component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="WATCH"'));
  assert.equal(value(t, 'apiserver_storage_objects{resource="pods"}'), 3);
  assert.equal(value(t, 'apiserver_storage_objects{resource="namespaces"}'), 4);
  assert.equal(value(t, 'apiserver_current_inflight_requests{request_kind="readOnly"}'), 1);
  assert.ok(value(t, 'process_resident_memory_bytes')! > 0);
  assert.match(t, /^# TYPE apiserver_request_total counter$/m);
  // only GET
  assert.equal((await h.call('POST', '/metrics', {})).status, 404);
});
