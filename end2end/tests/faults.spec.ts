// SIGKILL under load with the official socket.io client: senders retry what was
// not acked (same clientId), viewers reconnect and catch up, and in the end every
// viewer holds exactly the acknowledged messages: none lost, none doubled, in order.
import { test, expect, signup, createLive } from '../fixtures/app';
import { io, Socket } from 'socket.io-client';
import type { Server } from '../fixtures/app';

type Msg = { seq: number; clientId: string; content: string };

function connect(server: Server, token?: string): Socket {
  return io(server.url, {
    auth: token ? { token } : {},
    transports: ['websocket'],
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    timeout: 3_000,
  });
}

/** A viewer that does what the browser does: re-enter and catch up on every connect. */
function viewer(server: Server, live: string) {
  const seen = new Map<number, Msg>();
  const socket = connect(server);
  const lastSeq = () => Math.max(0, ...seen.keys());
  const catchUp = async (after: number) => {
    for (;;) {
      const page = await socket.timeout(3_000).emitWithAck('get_all_chat_by_liveId', { liveId: live, after, limit: 100 });
      if (!page.ok) return;
      for (const m of page.messages) seen.set(m.seq, m);
      if (!page.hasMore || page.messages.length === 0) return;
      after = page.messages[page.messages.length - 1].seq;
    }
  };
  socket.on('connect', async () => {
    try {
      const had = lastSeq();
      const entered = await socket.timeout(3_000).emitWithAck('enter_room', { liveId: live });
      for (const m of entered.history) seen.set(m.seq, m);
      await catchUp(had);
    } catch { /* the next connect tries again */ }
  });
  socket.on('sending_message', (m: Msg) => {
    const gap = m.seq > lastSeq() + 1 ? lastSeq() : null;
    seen.set(m.seq, m);
    if (gap !== null) catchUp(gap).catch(() => {});
  });
  return { socket, seen };
}

async function sendAll(socket: Socket, live: string, name: string, count: number, acked: Msg[]) {
  for (let i = 0; i < count; i++) {
    const clientId = `${name}-${i}`;
    for (;;) {
      try {
        const ack = await socket.timeout(2_000).emitWithAck('new_message', { liveId: live, content: `${name} #${i}`, clientId });
        if (ack.ok) { acked.push(ack.message); break; }
        if (ack.error.code !== 'unavailable') throw new Error(JSON.stringify(ack));
      } catch (e) {
        if (e instanceof Error && e.message.startsWith('{')) throw e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

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

  const total = names.length * perSender;
  expect(acked.length).toBe(total);
  const ackedIds = new Set(acked.map((m) => m.clientId));
  expect(ackedIds.size).toBe(total);
  const expectedSeqs = Array.from({ length: total }, (_, k) => k + 1);
  expect(acked.map((m) => m.seq).sort((a, b) => a - b)).toEqual(expectedSeqs);

  for (const v of viewers) {
    await expect.poll(() => v.seen.size, { timeout: 20_000 }).toBe(total);
    expect([...v.seen.keys()].sort((a, b) => a - b)).toEqual(expectedSeqs);
    expect(new Set([...v.seen.values()].map((m) => m.clientId))).toEqual(ackedIds);
  }

  // The database holds exactly the acknowledged set.
  const reader = connect(server);
  await new Promise((r) => reader.once('connect', r));
  const stored: Msg[] = [];
  let after = 0;
  for (;;) {
    const page = await reader.timeout(5_000).emitWithAck('get_all_chat_by_liveId', { liveId: live, after, limit: 100 });
    stored.push(...page.messages);
    if (!page.hasMore) break;
    after = page.messages[page.messages.length - 1].seq;
  }
  expect(stored.map((m) => m.seq)).toEqual(expectedSeqs);
  expect(new Set(stored.map((m) => m.clientId))).toEqual(ackedIds);
  for (const s of [...senders, ...viewers.map((v) => v.socket), reader]) s.close();
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
