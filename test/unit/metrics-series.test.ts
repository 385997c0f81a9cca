import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { DURATION_HELP, SECONDS, Series, SeriesHistogram } from '../../src/http/metrics.js';

// Every bucket edge, just either side of it, and beyond the last.
const OBSERVED = [0, 0.0005, 0.001, 0.0010001, 0.0025, 0.003, 0.005, 0.01, 0.02, 0.025, 0.05, 0.09, 0.1, 0.25, 0.4, 0.5,
  1, 2, 2.5, 5, 7, 10, 10.5, 60];

it('the series\' histogram is exposed exactly as prom-client\'s own observe would have counted it', async () => {
  const own = new Registry();
  const theirs = new Registry();
  const series = [new Series({ method: 'GET', route: '/v2/images/:image_id', dialect: 'glance' }),
    new Series({ method: 'PUT', route: '/v1/cloudimages/members', dialect: 'ims' })];
  new SeriesHistogram(series, [own]);
  const reference = new Histogram({ name: 'ims_http_request_duration_seconds', help: DURATION_HELP,
    labelNames: ['method', 'route', 'dialect'], buckets: SECONDS, registers: [theirs] });
  OBSERVED.forEach((s, i) => {
    const one = series[i % 2]!;
    one.observe(200, s);
    reference.observe(one.labels, s);
  });
  const text = await own.metrics();
  assert.equal(text, await theirs.metrics());
  assert.match(text, /_bucket\{le="\+Inf",method="GET",route="\/v2\/images\/:image_id",dialect="glance"\} 12$/m);
});
