// What the load generators share: the JSON API and a websocket-only client.
import { io } from 'socket.io-client';

export async function post(url, path, body, token) {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

export const connect = (url, token) => new Promise((ok, fail) => {
  const s = io(url, { transports: ['websocket'], auth: token ? { token } : {}, reconnection: false, timeout: 20_000 });
  s.once('connect', () => ok(s));
  s.once('connect_error', fail);
});

export const tag = () => Math.random().toString(36).slice(2, 8);
