import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { authorize, cookieName, newToken, readCookie } from '../../../src/ui/auth.ts';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const token = newToken();
const port = 4321;
const u = (p: string) => new URL(p, 'http://127.0.0.1');

test('the token is accepted from the query, a cookie or a bearer header', () => {
  assert.deepEqual(authorize(req({ host: '127.0.0.1:4321' }), u(`/?token=${token}`), token, port), {
    ok: true,
    viaQuery: true,
  });
  const cookie = `a=b; ${cookieName(port)}=${token}`;
  assert.equal(authorize(req({ host: 'localhost:4321', cookie }), u('/'), token, port).ok, true);
  assert.equal(
    authorize(req({ host: '127.0.0.1:4321', authorization: `Bearer ${token}` }), u('/'), token, port).ok,
    true,
  );
});

test('missing, wrong or foreign requests are refused', () => {
  const status = (h: Record<string, string>, p = '/') => {
    const v = authorize(req(h), u(p), token, port);
    return v.ok ? 200 : v.status;
  };
  assert.equal(status({ host: '127.0.0.1:4321' }), 401);
  assert.equal(status({ host: '127.0.0.1:4321' }, '/?token=nope'), 403);
  assert.equal(status({ host: '127.0.0.1:4321', cookie: `${cookieName(port)}=${token}x` }), 403);
  assert.equal(status({ host: '127.0.0.1:4321', cookie: `${cookieName(1234)}=${token}` }), 401);
  assert.equal(status({ host: 'evil.example:4321' }, `/?token=${token}`), 403, 'DNS rebinding');
  assert.equal(status({ host: '127.0.0.1:4321', origin: 'http://evil.example' }, `/?token=${token}`), 403);
  assert.equal(status({ host: '127.0.0.1:4321', origin: 'http://127.0.0.1:4321' }, `/?token=${token}`), 200);
  assert.notEqual(newToken(), newToken());
  assert.ok(newToken().length >= 32);
  assert.equal(readCookie('x=1; y = 2', 'y'), '2');
});
