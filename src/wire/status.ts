// The google.rpc.Code names as the Gemini API writes them in `error.status`, and the HTTP status
// each one travels with. FAILED_PRECONDITION is 400 on the Gemini API (not the 412 some tables give).

export const STATUS_TO_HTTP = {
  OK: 200,
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
} as const;

export type RpcStatus = keyof typeof STATUS_TO_HTTP;

export const RPC_STATUSES = Object.keys(STATUS_TO_HTTP) as RpcStatus[];

/** The canonical status name for an HTTP code, as Google's front end picks it. */
export const HTTP_TO_STATUS: Record<number, RpcStatus> = {
  200: 'OK',
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function isRpcStatus(value: unknown): value is RpcStatus {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(STATUS_TO_HTTP, value);
}

export function httpStatusOf(status: RpcStatus): number {
  return STATUS_TO_HTTP[status];
}

/** HTTP reason phrases, for rendering errors the way SDKs print them ("429 Too Many Requests"). */
export const HTTP_REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
