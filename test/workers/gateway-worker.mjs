// A gateway in a process of its own, so that its memory alone is measured (used by
// test/passthrough-memory.test.ts). Usage: node gateway-worker.mjs UPSTREAM_URL KEY
// Prints {"url"} once listening. Then, for each line read from stdin:
//   "mark": starts a new measurement (peak reset to the current RSS), prints {"rss"};
//   "peak": prints {"peakRss", "markRss", "detail"} (bytes; detail is process.memoryUsage() at the peak).
// RSS is sampled every 10 ms while a measurement runs.
import { gatewayConfigSchema, startGateway } from '../../dist/gateway/index.js';

const [upstream, key] = process.argv.slice(2);
const gateway = await startGateway(gatewayConfigSchema.parse({ upstream, keys: [{ key, project: 'only' }] }), {
  port: 0,
  logger: false,
});
let markRss = process.memoryUsage().rss;
let peakRss = markRss;
let detail = process.memoryUsage();
setInterval(() => {
  const usage = process.memoryUsage();
  if (usage.rss > peakRss) {
    peakRss = usage.rss;
    detail = usage;
  }
}, 10).unref();
const say = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
say({ url: gateway.url });
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text) => {
  pending += text;
  let end;
  while ((end = pending.indexOf('\n')) >= 0) {
    const command = pending.slice(0, end).trim();
    pending = pending.slice(end + 1);
    const usage = process.memoryUsage();
    if (command === 'mark') {
      markRss = peakRss = usage.rss;
      detail = usage;
      say({ rss: markRss });
    } else if (command === 'peak') {
      if (usage.rss > peakRss) [peakRss, detail] = [usage.rss, usage];
      say({ peakRss, markRss, detail });
    }
  }
});
process.stdin.on('end', async () => {
  await gateway.close();
  process.exit(0);
});
