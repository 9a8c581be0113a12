// The router without a server: method and path to a handler, or the 404 and
// 405 replies the server sends as they are.
import { describe, expect, it } from 'vitest';
import { createRouter } from '../../container/router.ts';

const route = createRouter({
  '/ping': { method: 'GET', handler: 'ping' },
  '/invocations': { method: 'POST', handler: 'invocations' },
});

describe('createRouter', () => {
  it('finds the handler by path, ignoring the query string; GET routes take HEAD too', () => {
    expect(route('GET', '/ping')).toEqual({ handler: 'ping' });
    expect(route('HEAD', '/ping?x=1')).toEqual({ handler: 'ping' });
    expect(route('POST', '/invocations?format=json')).toEqual({ handler: 'invocations' });
  });

  it('404 in MLflow’s error shape, listing the paths in the table’s order', () => {
    for (const path of ['/', '/PING', '/invocations/extra', '/constructor', '/__proto__']) {
      expect(route('GET', path)).toEqual({
        reply: { status: 404, contentType: 'application/json', body: JSON.stringify({ error_code: 'ENDPOINT_NOT_FOUND', message: `no route ${path}; the routes are /ping, /invocations` }) },
      });
    }
    expect(route('GET', undefined)).toMatchObject({ reply: { status: 404 } });
  });

  it('405 with Allow for a known path and another method (HEAD is not POST)', () => {
    expect(route('GET', '/invocations')).toEqual({
      reply: {
        status: 405,
        contentType: 'application/json',
        body: JSON.stringify({ error_code: 'METHOD_NOT_ALLOWED', message: '/invocations takes POST, not GET' }),
        headers: { Allow: 'POST' },
      },
    });
    expect(route('HEAD', '/invocations')).toMatchObject({ reply: { status: 405, headers: { Allow: 'POST' } } });
    expect(route('POST', '/ping')).toMatchObject({ reply: { status: 405, headers: { Allow: 'GET' } } });
  });
});
