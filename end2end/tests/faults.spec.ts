// SIGKILL under load with the official socket.io client: senders retry what was
// not acked (same clientId), viewers reconnect and catch up, and in the end every
// viewer holds exactly the acknowledged messages: none lost, none doubled, in order.
import { test, expect, signup, createLive } from '../fixtures/app';
import { connect, viewer, sendAll, expectExactlyAcked, Msg } from '../fixtures/chaos';

test('SIGKILL mid-traffic: acked = stored = delivered to every viewer, no gaps, no duplicates', async ({ server, request }) => {
  test.setTimeout(90_000);
  const host = await signup(request, server, 'host');
  const live = await createLive(request, server, host.token, 'Chaos');
  const viewers = [viewer(server, live), viewer(server, live)];
  await expect.poll(() => viewers.every((v) => v.socket.connected)).toBe(true);

  const names = ['ann', 'ben', 'cat'];
  const perSender = 25;
  const senders = await Promise.all(names.map(async (n) => connect(server, (await signup(request, server, n)).token)));
  const acked: Msg[] = [];
  const sending = Promise.all(senders.map((s, i) => sendAll(s, live, names[i], perSender, acked)));

  await expect.poll(() => acked.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(20);
  await server.kill();
  await new Promise((r) => setTimeout(r, 300));
  await server.start();
  await sending;

  await expectExactlyAcked(server, live, acked, viewers, names.length * perSender);
  for (const s of [...senders, ...viewers.map((v) => v.socket)]) s.close();
});

test('SIGTERM: official clients are told to go, reconnect by themselves, and lose nothing', async ({ server, request }) => {
  const host = await signup(request, server, 'host');
  const live = await createLive(request, server, host.token, 'Restart');
  const watcher = viewer(server, live);
  await expect.poll(() => watcher.socket.connected).toBe(true);
  const sender = connect(server, host.token);
  await new Promise((r) => sender.once('connect', r));
  const acked: Msg[] = [];
  await sendAll(sender, live, 'before', 3, acked);

  const reason = new Promise<string>((r) => watcher.socket.once('disconnect', r));
  const started = Date.now();
  expect(await server.terminate()).toBe(0);
  expect(Date.now() - started).toBeLessThan(12_000);
  // A transport close, not a server-side disconnect: socket.io clients reconnect.
  expect(await reason).toBe('transport close');

  await server.start();
  await sendAll(sender, live, 'after', 3, acked);
  await expect.poll(() => watcher.socket.connected, { timeout: 15_000 }).toBe(true);
  await expect.poll(() => watcher.seen.size, { timeout: 15_000 }).toBe(6);
  expect([...watcher.seen.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(new Set([...watcher.seen.values()].map((m) => m.clientId))).toEqual(new Set(acked.map((m) => m.clientId)));
  sender.close();
  watcher.socket.close();
});
