import { errorReply, type Reply } from './reply.ts';

export interface Route<H> {
  /** GET routes answer HEAD too. */
  method: 'GET' | 'POST';
  handler: H;
}

export type Routed<H> = { handler: H } | { reply: Reply };

/**
 * Maps a request's method and path (the query string ignored) to its route's
 * handler, or to the 404 (listing the paths, in the table's order) or the 405
 * (with Allow) the server answers instead. Pure: the server writes the reply.
 */
export function createRouter<H>(routes: Record<string, Route<H>>): (method: string | undefined, url: string | undefined) => Routed<H> {
  const paths = Object.keys(routes).join(', ');
  return (method, url) => {
    const path = (url ?? '/').split('?', 1)[0];
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route) return { reply: errorReply(404, 'ENDPOINT_NOT_FOUND', `no route ${path}; the routes are ${paths}`) };
    if (method !== route.method && !(route.method === 'GET' && method === 'HEAD')) {
      return { reply: errorReply(405, 'METHOD_NOT_ALLOWED', `${path} takes ${route.method}, not ${method}`, { Allow: route.method }) };
    }
    return { handler: route.handler };
  };
}
