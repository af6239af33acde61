// The keep-alive connection pools to the upstream (Gemini or anything that speaks it), and the one
// fact the attempt timer needs from them: when a request really leaves on a connection. A request
// that waits for a free connection is not being slow upstream; its attempt timer starts only when
// undici writes it to a socket (the handler's `onConnect`, undici lib/dispatcher/client-h1.js).
import { Agent, DecoratorHandler, type Dispatcher } from 'undici';

/** A pool and the size it was made with. */
export interface UpstreamPool {
  dispatcher: Agent;
  /**
   * `dispatcher` telling each request when it is written to a connection: a request whose options
   * carry `onDispatched` (see `DispatchNoticeOptions`) has it called then. Made once per pool.
   */
  noticing: Dispatcher;
  /** Connections per upstream origin; undefined: unlimited (undici's default, and what a plain fetch gets). */
  connections: number | undefined;
}

const pools = new Map<number | undefined, UpstreamPool>();

/**
 * The shared pool with `connections` connections per origin (undefined: unlimited). One pool per
 * size for the whole process, so clients with the same setting share their kept-alive sockets.
 * Throws a RangeError for a size that is not a positive integer.
 */
export function upstreamPool(connections?: number): UpstreamPool {
  if (connections !== undefined && (!Number.isInteger(connections) || connections < 1))
    throw new RangeError(`upstream connections must be a positive integer (got ${String(connections)})`);
  let pool = pools.get(connections);
  if (!pool) {
    // Keep-alive for 30 s: long LLM calls come in bursts; a socket kept warm saves a TLS handshake.
    const dispatcher = new Agent({ keepAliveTimeout: 30_000, ...(connections !== undefined ? { connections } : {}) });
    pool = { dispatcher, noticing: noticingDispatcher(dispatcher), connections };
    pools.set(connections, pool);
  }
  return pool;
}

/** Passes every call on to the request's own handler, and says when the request is written to a socket. */
class DispatchNotice extends DecoratorHandler {
  constructor(
    private readonly inner: Dispatcher.DispatchHandlers,
    private readonly notify: () => void,
  ) {
    super(inner);
  }

  onConnect(abort: (error?: Error) => void, ...rest: unknown[]): void {
    this.notify();
    (this.inner.onConnect as ((...args: unknown[]) => void) | undefined)?.call(this.inner, abort, ...rest);
  }
}

/** Request options for `UpstreamPool.noticing`: `onDispatched` is called when the request is written. */
export interface DispatchNoticeOptions {
  onDispatched?: () => void;
}

/** `pool` calling each request's own `onDispatched` option when it is written to a connection. */
function noticingDispatcher(pool: Dispatcher): Dispatcher {
  return pool.compose((dispatch) => (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers) => {
    const notify = (options as DispatchNoticeOptions).onDispatched;
    return dispatch(options, notify ? new DispatchNotice(handler, notify) : handler);
  });
}
