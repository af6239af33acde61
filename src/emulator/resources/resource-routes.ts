// The resource routes of the emulator's table: uploads and downloads, files, cachedContents,
// batches, Google's OpenAI layer, the embedding and batch model methods, and generate calls that cite
// a file or a cache. One resource handler per emulator state, made on first use. These rows check
// keys themselves (auth 'admin' to the router) because Google's OpenAI layer takes a Bearer token.
import { bodies } from '../bodies.js';
import { MODEL_ROUTES } from '../model-routes.js';
import { errorResponse, jsonResponse } from '../respond.js';
import { matchRoute, type EmulatorRoute, type RouteContext } from '../router.js';
import type { EmulatorState } from '../state.js';
import { createEmulatorResources, type EmulatorResources } from './index.js';

const VERSION = '(?<version>v1|v1beta|v1alpha)';
const ALL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const handlers = new WeakMap<EmulatorState, EmulatorResources>();

/** The resource handler of this emulator (one per state, so every route shares its stores). */
export function resourcesOf(context: RouteContext): EmulatorResources {
  let resources = handlers.get(context.state);
  if (!resources) {
    resources = createEmulatorResources(context.state, context.fetch);
    handlers.set(context.state, resources);
  }
  return resources;
}

async function serve(request: Request, context: RouteContext): Promise<Response> {
  return (await resourcesOf(context).handle(request)) ?? errorResponse(bodies.methodNotFound());
}

/** generateContent / streamGenerateContent / countTokens: checked for citations, else the model route. */
async function citing(request: Request, context: RouteContext): Promise<Response> {
  const text = await context.bodyText();
  const model = (context.params.model ?? '').replace(/^models\//, '');
  const answer = context.key
    ? await resourcesOf(context).answerCitations(request, context.key, text, model)
    : undefined;
  if (answer) return answer;
  const match = matchRoute(MODEL_ROUTES, request.method, context.path);
  if (match.type !== 'route') return errorResponse(bodies.methodNotFound());
  return match.route.handle(request, { ...context, params: match.params });
}

export const RESOURCE_ROUTES: readonly EmulatorRoute[] = [
  {
    method: 'GET',
    pattern: /^\/_emulator\/resources$/,
    auth: 'admin',
    handle: async (_request, context) => jsonResponse(resourcesOf(context).stats()),
  },
  { method: ALL_METHODS, pattern: new RegExp(`^/(upload|download)/${VERSION}/`), auth: 'admin', handle: serve },
  {
    method: ALL_METHODS,
    pattern: new RegExp(`^/${VERSION}/(files|cachedContents|batches|openai)(/.*)?$`),
    auth: 'admin',
    handle: serve,
  },
  {
    method: 'POST',
    pattern: new RegExp(
      `^/${VERSION}/models/(?<model>[^/:]+):(embedContent|batchEmbedContents|batchGenerateContent|asyncBatchEmbedContent)$`,
    ),
    auth: 'admin',
    model: (params) => params.model,
    handle: serve,
  },
  {
    method: 'POST',
    pattern: new RegExp(
      `^/${VERSION}/models/(?<model>[^/:]+):(?<method>generateContent|streamGenerateContent|countTokens)$`,
    ),
    auth: 'key',
    model: (params) => params.model,
    handle: citing,
  },
];
