// Bodies stream through the gateway with backpressure both ways, never held: a 200 MB resumable
// upload and a 200 MB download each leave the gateway's resident memory about where it was. The
// gateway runs in a process of its own (test/workers/gateway-worker.mjs) so that only its memory is
// measured. Asserts memory and bytes only, never time.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../src/emulator/index.js';

const KEY = 'key-upload-000001';
const MB = 1024 * 1024;
const SIZE = 200 * MB;
/**
 * How far the gateway's RSS may rise while one body passes. Without streaming it rose by the whole
 * body (about 240 MB for 200 MB: the upload was buffered). What remains is V8 freeing socket buffers
 * in batches (it collects after tens of MB of dead external memory), whatever the body's size.
 */
const MAX_GROWTH = 90 * MB;
const WORKER = fileURLToPath(new URL('./workers/gateway-worker.mjs', import.meta.url));

let emulator: EmulatorHandle | undefined;
let upstream: Server | undefined;
let child: ChildProcessByStdio<Writable, Readable, null> | undefined;
afterEach(async () => {
  if (child) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.stdin.end();
    await exited;
  }
  await emulator?.close();
  if (upstream) await new Promise((resolve) => upstream!.close(resolve));
  child = undefined;
  emulator = undefined;
  upstream = undefined;
});

/** A gateway process in front of `upstreamUrl`, and a way to ask it for its memory. */
async function gatewayProcess(upstreamUrl: string) {
  child = spawn(process.execPath, [WORKER, upstreamUrl, KEY], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const ask = async <T>(command?: string): Promise<T> => {
    if (command) child!.stdin.write(`${command}\n`);
    const line = await lines.next();
    if (line.done) throw new Error('the gateway process ended');
    return JSON.parse(line.value) as T;
  };
  const { url } = await ask<{ url: string }>();
  return { url, ask };
}

/**
 * The test's bytes: a pattern whose period (1 MiB + 7) is no multiple of any chunk size, so that a
 * shifted, repeated or dropped chunk changes the hash. Pieces are views of one buffer, made once.
 */
const PERIOD = MB + 7;
const ONE_PERIOD = Buffer.alloc(PERIOD, 'gemwarden streams bodies; ');
const PATTERN = Buffer.concat([ONE_PERIOD, ONE_PERIOD]);

/** A piece of the pattern (length `size`, at most PERIOD) starting at `offset`. */
function patternPiece(offset: number, size: number): Buffer {
  const start = offset % PERIOD;
  return PATTERN.subarray(start, start + size);
}

/** `total` bytes of the pattern, produced only as the socket takes them. */
function patternBody(total: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      const size = Math.min(256 * 1024, total - sent);
      controller.enqueue(patternPiece(sent, size));
      sent += size;
    },
  });
}

function sha256Base64(total: number): string {
  const hash = createHash('sha256');
  for (let offset = 0; offset < total; offset += MB) hash.update(patternPiece(offset, Math.min(MB, total - offset)));
  return hash.digest('base64');
}

async function resumableUpload(gateway: string, size: number) {
  const start = await fetch(`${gateway}/upload/v1beta/files`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-goog-upload-protocol': 'resumable',
      'x-goog-upload-command': 'start',
      'x-goog-upload-header-content-length': String(size),
      'x-goog-upload-header-content-type': 'application/octet-stream',
    },
    body: JSON.stringify({ file: { displayName: 'big' } }),
  });
  expect(start.status).toBe(200);
  const uploadUrl = start.headers.get('x-goog-upload-url')!;
  expect(uploadUrl.startsWith(gateway)).toBe(true);
  const done = await fetch(uploadUrl, {
    method: 'POST',
    headers: { 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0' },
    body: patternBody(size),
    duplex: 'half',
  } as RequestInit);
  const text = await done.text();
  expect(done.status, text).toBe(200);
  return (JSON.parse(text) as { file: { sizeBytes: string; sha256Hash: string } }).file;
}

describe('pass-through memory', () => {
  it('streams a 200 MB resumable upload through the gateway without holding it', async () => {
    emulator = await startEmulator({ keys: [{ key: KEY, project: 'only' }] });
    const gateway = await gatewayProcess(emulator.url);
    await resumableUpload(gateway.url, 4 * MB); // the same code paths once, before measuring
    await gateway.ask('mark');

    const file = await resumableUpload(gateway.url, SIZE);
    expect(file.sizeBytes).toBe(String(SIZE));
    expect(file.sha256Hash).toBe(sha256Base64(SIZE)); // every byte arrived, in order

    const memory = await gateway.ask<{ peakRss: number; markRss: number }>('peak');
    expect(memory.peakRss - memory.markRss, JSON.stringify(memory)).toBeLessThan(MAX_GROWTH);
  }, 180_000);

  it('streams a 200 MB download to a slow reader without holding it', async () => {
    // An upstream that writes as fast as its socket takes bytes: only backpressure through the
    // gateway keeps them from piling up there while the client reads slowly.
    let sentKey: string | undefined;
    upstream = createServer((request, response) => {
      sentKey = request.headers['x-goog-api-key'] as string | undefined;
      const total = request.url?.includes('warm') ? 4 * MB : SIZE;
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
      let offset = 0;
      const write = () => {
        while (offset < total) {
          const size = Math.min(256 * 1024, total - offset);
          const more = response.write(patternPiece(offset, size));
          offset += size;
          if (!more) return void response.once('drain', write);
        }
        response.end();
      };
      write();
    });
    await new Promise<void>((resolve) => upstream!.listen(0, '127.0.0.1', resolve));
    const address = upstream.address() as { port: number };
    const gateway = await gatewayProcess(`http://127.0.0.1:${address.port}`);

    const read = async (path: string, pauseEvery: number) => {
      const answer = await fetch(`${gateway.url}${path}`);
      expect(answer.status).toBe(200);
      const hash = createHash('sha256');
      let received = 0;
      let sincePause = 0;
      for await (const chunk of answer.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        received += chunk.byteLength;
        sincePause += chunk.byteLength;
        if (sincePause >= pauseEvery) {
          sincePause = 0;
          await new Promise((resolve) => setTimeout(resolve, 10)); // a slow reader
        }
      }
      return { received, sha256: hash.digest('base64') };
    };
    await read('/download/v1beta/files/warm:download?alt=media', Infinity);
    await gateway.ask('mark');
    const big = await read('/download/v1beta/files/big:download?alt=media', 2 * MB);
    expect(big.received).toBe(SIZE);
    expect(big.sha256).toBe(sha256Base64(SIZE));
    expect(sentKey).toBe(KEY);

    const memory = await gateway.ask<{ peakRss: number; markRss: number }>('peak');
    expect(memory.peakRss - memory.markRss, JSON.stringify(memory)).toBeLessThan(MAX_GROWTH);
  }, 180_000);
});
