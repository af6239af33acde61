// The emulator (with its resource routes) callable in process, on a fake clock when given one.
import { createEmulatorHandler, type EmulatorConfig } from '../../src/emulator/index.js';
import type { Clock } from '../../src/time/index.js';

export interface InProcessEmulator {
  fetch(request: Request): Promise<Response>;
  /** GET /_emulator/resources: calls per project and per resource name. */
  resourceStats(): Promise<{ byProject: Record<string, number>; byResource: Record<string, Record<string, number>> }>;
  close(): Promise<void>;
}

export async function inProcessEmulator(config: EmulatorConfig, clock?: Clock): Promise<InProcessEmulator> {
  const handler = createEmulatorHandler(config, clock);
  return {
    fetch: (request) => handler.fetch(request),
    resourceStats: async () =>
      (await (await handler.fetch(new Request('http://emulator.test/_emulator/resources'))).json()) as Awaited<
        ReturnType<InProcessEmulator['resourceStats']>
      >,
    close: async () => undefined,
  };
}
