// The emulator's own endpoints under /_emulator: stats, reset, run-time config, recorded requests.
// They take no key and are not counted in stats.
import { bodies } from './bodies.js';
import { emulatorConfigSchema, KEY_STATES, type KeyState } from './config.js';
import { errorResponse, jsonResponse } from './respond.js';
import { EmulatorFailure, type EmulatorRoute, type RouteContext } from './router.js';

/** Parses an admin body as JSON, or throws the API's 400. */
export async function adminJson(context: RouteContext, what: string): Promise<unknown> {
  try {
    return JSON.parse(await context.bodyText());
  } catch (failure) {
    if (failure instanceof EmulatorFailure) throw failure;
    throw new EmulatorFailure(bodies.invalidArgument(`${what} must be a JSON object.`));
  }
}

async function putConfig(_request: Request, context: RouteContext): Promise<Response> {
  const checked = emulatorConfigSchema.safeParse(await adminJson(context, 'The emulator config'));
  if (!checked.success) {
    return errorResponse(
      bodies.invalidArgument(
        checked.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`).join('\n'),
      ),
    );
  }
  context.state.apply(checked.data);
  return jsonResponse({ ok: true });
}

/** POST /_emulator/keys/{key} with {"state": "suspended"}: changes a key's state at run time. */
async function setKeyState(_request: Request, context: RouteContext): Promise<Response> {
  const value = (await adminJson(context, 'The key change')) as { state?: unknown } | null;
  const state = value?.state;
  if (typeof state !== 'string' || !(KEY_STATES as readonly string[]).includes(state)) {
    return errorResponse(bodies.invalidArgument(`state must be one of: ${KEY_STATES.join(', ')}.`));
  }
  const key = context.params.key!;
  context.state.keyStates.set(key, state as KeyState);
  return jsonResponse({ key: `…${key.slice(-4)}`, state });
}

/** The admin routes. */
export const ADMIN_ROUTES: readonly EmulatorRoute[] = [
  {
    method: 'GET',
    pattern: /^\/_emulator\/stats$/,
    auth: 'admin',
    handle: async (_request, context) => jsonResponse(context.state.stats()),
  },
  {
    method: 'GET',
    pattern: /^\/_emulator\/requests$/,
    auth: 'admin',
    handle: async (_request, context) => jsonResponse({ requests: context.state.requests }),
  },
  {
    method: 'POST',
    pattern: /^\/_emulator\/reset$/,
    auth: 'admin',
    handle: async (_request, context) => {
      context.state.reset();
      return jsonResponse({ ok: true });
    },
  },
  { method: 'PUT', pattern: /^\/_emulator\/config$/, auth: 'admin', handle: putConfig },
  { method: 'POST', pattern: /^\/_emulator\/keys\/(?<key>[^/]+)$/, auth: 'admin', handle: setKeyState },
];
