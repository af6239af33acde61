// Error bodies as the Gemini API writes them (texts and detail shapes taken from real answers).
// Each builder returns the HTTP status, the body text and its content type.
import {
  DETAIL_TYPES,
  errorEnvelope,
  renderErrorBody,
  rpcMethodName,
  type ApiVersion,
  type ErrorDetail,
  type FieldViolation,
  type RpcStatus,
} from '../wire/index.js';
import type { Tier } from './config.js';
import { quotaNames, type QuotaWindow } from './quota-ledger.js';

export interface EmulatedError {
  status: number;
  body: string;
  contentType: string;
  headers?: Record<string, string>;
}

export const JSON_TYPE = 'application/json; charset=UTF-8';
const SERVICE = 'generativelanguage.googleapis.com';
const RATE_LIMIT_DOCS = 'https://ai.google.dev/gemini-api/docs/rate-limits';

function envelope(status: RpcStatus, message: string, details?: ErrorDetail[], code?: number): EmulatedError {
  const body = errorEnvelope(status, message, details, code);
  return { status: body.error.code, body: renderErrorBody(body), contentType: JSON_TYPE };
}

function keyHint(key: string): string {
  return key.length >= 12 ? `…${key.slice(-4)}` : '…';
}

/** A stable fake project number for a project name, as Google shows in `consumer: projects/N`. */
export function projectNumber(project: string): string {
  let hash = 7;
  for (const char of project) hash = (hash * 31 + char.charCodeAt(0)) % 900_000_000_000;
  return String(100_000_000_000 + hash);
}

export const bodies = {
  invalidJson(snippet: string, column: number): EmulatedError {
    const caret = `${' '.repeat(Math.max(0, column))}^`;
    return envelope('INVALID_ARGUMENT', `Invalid JSON payload received. Unexpected token.\n${snippet}\n${caret}`);
  },

  fieldViolations(violations: FieldViolation[]): EmulatedError {
    return envelope('INVALID_ARGUMENT', violations.map((violation) => violation.description).join('\n'), [
      { '@type': DETAIL_TYPES.badRequest, fieldViolations: violations },
    ]);
  },

  invalidArgument(message: string): EmulatedError {
    return envelope('INVALID_ARGUMENT', message);
  },

  payloadTooLarge(limit: number): EmulatedError {
    return envelope('INVALID_ARGUMENT', `Request payload size exceeds the limit: ${limit} bytes.`);
  },

  /** A request body not received in time (Google's front end answers 408; the body is modelled). */
  bodyTimeout(timeoutMs: number): EmulatedError {
    return envelope(
      'DEADLINE_EXCEEDED',
      `The request body was not received within ${timeoutMs / 1000} s.`,
      undefined,
      408,
    );
  },

  /** The HTTP parser's own refusals (malformed request line or headers, headers too large, too slow). */
  httpParser(status: 400 | 408 | 431): EmulatedError {
    const messages = {
      400: 'Bad Request: the HTTP request could not be parsed.',
      408: 'Request Timeout: the request headers were not received in time.',
      431: 'Request Header Fields Too Large.',
    } as const;
    return envelope(status === 408 ? 'DEADLINE_EXCEEDED' : 'INVALID_ARGUMENT', messages[status], undefined, status);
  },

  inputTooLarge(tokens: number, limit: number): EmulatedError {
    return envelope(
      'INVALID_ARGUMENT',
      `The input token count (${tokens}) exceeds the maximum number of tokens allowed (${limit}).`,
    );
  },

  noKey(): EmulatedError {
    return envelope(
      'PERMISSION_DENIED',
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    );
  },

  keyInvalid(expired: boolean): EmulatedError {
    const message = expired
      ? 'API key expired. Please renew the API key.'
      : 'API key not valid. Please pass a valid API key.';
    return envelope('INVALID_ARGUMENT', message, [
      {
        '@type': DETAIL_TYPES.errorInfo,
        reason: 'API_KEY_INVALID',
        domain: 'googleapis.com',
        metadata: { service: SERVICE },
      },
      { '@type': DETAIL_TYPES.localizedMessage, locale: 'en-US', message },
    ]);
  },

  suspended(key: string, project: string): EmulatedError {
    return envelope('PERMISSION_DENIED', `Permission denied: Consumer 'api_key:${keyHint(key)}' has been suspended.`, [
      {
        '@type': DETAIL_TYPES.errorInfo,
        reason: 'CONSUMER_SUSPENDED',
        domain: 'googleapis.com',
        metadata: { service: SERVICE, consumer: `projects/${projectNumber(project)}` },
      },
    ]);
  },

  serviceDisabled(project: string): EmulatedError {
    const number = projectNumber(project);
    const url = `https://console.developers.google.com/apis/api/${SERVICE}/overview?project=${number}`;
    const message = `Generative Language API has not been used in project ${number} before or it is disabled. Enable it by visiting ${url} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`;
    return envelope('PERMISSION_DENIED', message, [
      {
        '@type': DETAIL_TYPES.errorInfo,
        reason: 'SERVICE_DISABLED',
        domain: 'googleapis.com',
        metadata: {
          consumer: `projects/${number}`,
          service: SERVICE,
          serviceTitle: 'Generative Language API',
          containerInfo: number,
          activationUrl: url,
        },
      },
      { '@type': DETAIL_TYPES.localizedMessage, locale: 'en-US', message },
      { '@type': DETAIL_TYPES.help, links: [{ description: 'Google developers console API activation', url }] },
    ]);
  },

  serviceBlocked(project: string, method: string, version: ApiVersion): EmulatedError {
    const methodName = rpcMethodName(method, version);
    const message = `Requests to this API ${SERVICE} method ${methodName} are blocked.`;
    return envelope('PERMISSION_DENIED', message, [
      {
        '@type': DETAIL_TYPES.errorInfo,
        reason: 'API_KEY_SERVICE_BLOCKED',
        domain: 'googleapis.com',
        metadata: { consumer: `projects/${projectNumber(project)}`, service: SERVICE, apiName: SERVICE, methodName },
      },
      { '@type': DETAIL_TYPES.localizedMessage, locale: 'en-US', message },
    ]);
  },

  locationUnsupported(): EmulatedError {
    return envelope('FAILED_PRECONDITION', 'User location is not supported for the API use.');
  },

  modelNotFound(model: string, version: ApiVersion, method: string): EmulatedError {
    return envelope(
      'NOT_FOUND',
      `models/${model} is not found for API version ${version}, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`,
    );
  },

  /** A model this project has no access to (Google's words, no details; seen for preview models). */
  callerNoPermission(): EmulatedError {
    return envelope('PERMISSION_DENIED', 'The caller does not have permission');
  },

  /** A tuned model the caller's project cannot see (Google's words for tunedModels/…). */
  tunedModelForbidden(id: string): EmulatedError {
    return envelope('PERMISSION_DENIED', `You do not have permission to access tuned model tunedModels/${id}`);
  },

  modelResourceNotFound(model: string, version: ApiVersion): EmulatedError {
    return envelope('NOT_FOUND', `Model is not found: models/${model} for api version ${version}`);
  },

  methodNotFound(): EmulatedError {
    return envelope('NOT_FOUND', 'Method not found.');
  },

  quota(
    window: QuotaWindow,
    tier: Tier,
    model: string,
    limit: number,
    retryAfterMs: number,
    extraWindows: QuotaWindow[] = [],
  ): EmulatedError {
    const windows = [window, ...extraWindows];
    const seconds = Math.max(0, retryAfterMs) / 1000;
    const lines = windows.map(
      (item) => `* Quota exceeded for metric: ${quotaNames(item, tier).metric}, limit: ${limit}, model: ${model}`,
    );
    const message = `You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: ${RATE_LIMIT_DOCS}. To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. \n${lines.join('\n')}\nPlease retry in ${seconds}s.`;
    return envelope('RESOURCE_EXHAUSTED', message, [
      {
        '@type': DETAIL_TYPES.help,
        links: [{ description: 'Learn more about Gemini API quotas', url: RATE_LIMIT_DOCS }],
      },
      {
        '@type': DETAIL_TYPES.quotaFailure,
        violations: windows.map((item) => {
          const names = quotaNames(item, tier);
          return {
            quotaMetric: names.metric,
            quotaId: names.id,
            quotaDimensions: { location: 'global', model },
            quotaValue: String(limit),
          };
        }),
      },
      // Google writes RetryInfo in whole seconds and the exact delay in the message.
      { '@type': DETAIL_TYPES.retryInfo, retryDelay: `${Math.floor(seconds)}s` },
    ]);
  },

  capacity(): EmulatedError {
    return envelope('RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).');
  },

  internal(): EmulatedError {
    return envelope(
      'INTERNAL',
      'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
    );
  },

  unavailable(variant: number): EmulatedError {
    const messages = [
      'The model is overloaded. Please try again later.',
      'This model is currently experiencing high demand. Spikes in demand are usually temporary. Please try again later.',
      'The service is currently unavailable.',
    ];
    return envelope('UNAVAILABLE', messages[variant % messages.length]!);
  },

  deadline(): EmulatedError {
    // Google publishes no 504 body for the Gemini API: this one is modelled on the status table.
    const error = envelope('DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.');
    return { ...error, headers: { 'x-emulator-modelled': '504 body modelled, not captured' } };
  },

  badGateway(): EmulatedError {
    const body = `<!DOCTYPE html>
<html lang=en>
  <meta charset=utf-8>
  <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">
  <title>Error 502 (Server Error)!!1</title>
  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>
  <p><b>502.</b> <ins>That’s an error.</ins>
  <p>The server encountered a temporary error and could not complete your request.<p>Please try again in 30 seconds.  <ins>That’s all we know.</ins>
`;
    return { status: 502, body, contentType: 'text/html; charset=UTF-8' };
  },

  /** The body for a fault status. */
  forStatus(status: number, variant: number): EmulatedError {
    switch (status) {
      case 429:
        return bodies.capacity();
      case 500:
        return bodies.internal();
      case 502:
        return bodies.badGateway();
      case 504:
        return bodies.deadline();
      default:
        return bodies.unavailable(variant);
    }
  },
};
