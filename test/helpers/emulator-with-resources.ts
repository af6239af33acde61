// The emulator with its resource handler in front, callable in process (no socket): `fetch` answers
// like the emulator would once the resource handler is mounted in its router.
import { createEmulatorApp, type EmulatorConfig } from '../../src/emulator/index.js';
import { createEmulatorResources, type EmulatorResources } from '../../src/emulator/resources/index.js';
import type { Clock } from '../../src/time/index.js';

export interface InProcessEmulator {
  fetch(request: Request): Promise<Response>;
  resources: EmulatorResources;
  close(): Promise<void>;
}

export async function inProcessEmulator(config: EmulatorConfig, clock?: Clock): Promise<InProcessEmulator> {
  const { app, state } = createEmulatorApp(config, clock);
  await app.ready();
  const base = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const answer = await app.inject({
      method: request.method as 'GET',
      url: url.pathname + url.search,
      headers: Object.fromEntries(request.headers),
      ...(body ? { payload: body } : {}),
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers))
      if (value !== undefined) headers.set(name, String(value));
    return new Response(answer.rawPayload.byteLength > 0 ? new Uint8Array(answer.rawPayload) : null, {
      status: answer.statusCode,
      headers,
    });
  };
  const fetch = async (request: Request): Promise<Response> => (await resources.handle(request)) ?? base(request);
  const resources = createEmulatorResources(state, fetch);
  return { fetch, resources, close: () => app.close() };
}
