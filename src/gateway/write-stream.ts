// Writes to a response with backpressure: waits for 'drain' when the socket's buffer is full, and
// reports false once the client is gone.
import type { ServerResponse } from 'node:http';

export async function writeWithBackpressure(raw: ServerResponse, text: string): Promise<boolean> {
  if (raw.destroyed || raw.writableEnded) return false;
  if (raw.write(text)) return true;
  await new Promise<void>((resolve) => {
    const done = () => {
      raw.off('drain', done);
      raw.off('close', done);
      resolve();
    };
    raw.on('drain', done);
    raw.on('close', done);
  });
  return !raw.destroyed;
}
