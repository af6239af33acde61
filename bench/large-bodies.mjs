// Issue #20's large-body goal: a 200 MB resumable upload through the gateway's pass-through against
// the bare proxy floor (MB/s, gateway RSS). On a build whose gateway does not serve uploads it is
// reported "not measured yet" with the reason, never faked. (Embeddings: embeddings.mjs.)
// Alone: `npm run build && node bench/large-bodies.mjs` (prints the rows and goals as JSON).
import http from 'node:http';
import { Readable } from 'node:stream';
import { goal, notMeasured } from './goals.mjs';
import { pathToFileURL } from 'node:url';
import { rssMb, startEmulatorProcess, startFloorProxy, startGatewayProcess, stopProcess } from './processes.mjs';

const UPLOAD_MB = 200;
const KEY = 'bench-load-key-0001';

/** One HTTP request with node:http (streams the body); resolves { status, headers, text }. */
function send(url, { method = 'POST', headers = {}, body }) {
  return new Promise((resolvePromise, reject) => {
    const request = http.request(url, { method, headers, agent: false }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () =>
        resolvePromise({
          status: response.statusCode,
          headers: response.headers,
          text: Buffer.concat(chunks).toString(),
        }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    if (body instanceof Readable) body.pipe(request);
    else request.end(body);
  });
}

/** 200 MB of bytes made on the fly, so the sender holds one 1 MB chunk at a time. */
function bytes(totalMb) {
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  let sent = 0;
  return new Readable({
    read() {
      this.push(sent++ < totalMb ? chunk : null);
    },
  });
}

/** A resumable upload (start, then one upload+finalize) through `base`; resolves { mbPerS, status }. */
export async function upload(base) {
  const size = UPLOAD_MB * 1024 * 1024;
  const start = await send(`${base}/upload/v1beta/files`, {
    headers: {
      'x-goog-api-key': KEY,
      'x-goog-upload-protocol': 'resumable',
      'x-goog-upload-command': 'start',
      'x-goog-upload-header-content-length': String(size),
      'x-goog-upload-header-content-type': 'application/octet-stream',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ file: { display_name: 'bench-200mb' } }),
  });
  const target = start.headers['x-goog-upload-url'];
  if (start.status !== 200 || !target) return { status: start.status, text: start.text };
  const started = performance.now();
  const done = await send(String(target), {
    headers: {
      'x-goog-api-key': KEY,
      'x-goog-upload-command': 'upload, finalize',
      'x-goog-upload-offset': '0',
      'content-length': String(size),
    },
    body: bytes(UPLOAD_MB),
  });
  const seconds = (performance.now() - started) / 1000;
  return { status: done.status, text: done.text, mbPerS: UPLOAD_MB / seconds };
}

export async function largeUpload({ emulatorUrl, floorUrl, quick }) {
  const results = [];
  const goals = [];
  const notes = [];
  const gateway = await startGatewayProcess({ upstream: emulatorUrl, keys: [KEY] });
  try {
    // Upload: the floor first, then the gateway with its RSS sampled while the bytes flow.
    const floor = await upload(floorUrl);
    let peak = rssMb(gateway.pid);
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(gateway.pid))), 50);
    const through = await upload(gateway.url).finally(() => clearInterval(sampler));
    if (floor.status !== 200) {
      goals.push(
        notMeasured(
          `${UPLOAD_MB} MB upload`,
          `the emulator refused the upload (${floor.status}: ${floor.text.slice(0, 120)})`,
        ),
      );
    } else if (through.status !== 200 || through.mbPerS === undefined) {
      const reason =
        through.status === 404
          ? `this build's gateway does not serve /upload/v1beta/files (answered 404); it needs the pass-through`
          : `the upload through the gateway failed: ${through.status} ${through.text.replace(/\s+/g, ' ').slice(0, 200)}`;
      goals.push(notMeasured(`${UPLOAD_MB} MB upload: at least 80% of the floor's MB/s`, reason));
      goals.push(notMeasured(`${UPLOAD_MB} MB upload: gateway RSS under 150 MB`, reason));
    } else {
      for (const [name, row] of [
        ['bare Node reverse proxy (floor), 200 MB upload', floor],
        ['gemwarden gateway, 200 MB upload', through],
      ])
        results.push({
          contender: name,
          concurrency: 1,
          requests: 1,
          successRate: row.status === 200 ? 1 : 0,
          rps: null,
          mbPerS: row.mbPerS,
        });
      goals.push(
        goal(
          `${UPLOAD_MB} MB upload: at least 80% of the floor's MB/s`,
          through.status === 200 ? through.mbPerS / floor.mbPerS : Number.NaN,
          0.8,
          (value) => `${(value * 100).toFixed(0)}% (${through.mbPerS.toFixed(0)} vs ${floor.mbPerS.toFixed(0)} MB/s)`,
        ),
      );
      goals.push(
        goal(
          `${UPLOAD_MB} MB upload: gateway RSS under 150 MB`,
          peak,
          150,
          (value) => `${value.toFixed(0)} MB peak`,
          'at most',
        ),
      );
    }
  } catch (error) {
    // A failure here must not lose the rest of the run: report it beside the goals instead.
    goals.push(
      notMeasured(`${UPLOAD_MB} MB upload`, `the measurement failed: ${String(error?.message ?? error).slice(0, 160)}`),
    );
  } finally {
    await stopProcess(gateway);
  }
  void quick;
  return { results, goals, notes };
}

// `node bench/large-bodies.mjs` (after `npm run build`): the upload alone, against an emulator and a
// floor proxy of its own, printed as JSON (results and goals), without the rest of the bench.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const emulator = await startEmulatorProcess();
  const floor = await startFloorProxy(emulator.url);
  try {
    const { results, goals } = await largeUpload({ emulatorUrl: emulator.url, floorUrl: floor.url, quick: false });
    process.stdout.write(`${JSON.stringify({ results, goals }, null, 2)}\n`);
  } finally {
    await Promise.all([floor, emulator].map((started) => stopProcess(started)));
  }
}
