// Three nodes behind nginx (the topology of ./scripts/cluster): the official
// socket.io client, long-polling included, and the browser work through the
// balancer, and viewers on every node see one chat.
import { io, Socket } from 'socket.io-client';
import { randomUUID } from 'node:crypto';
import { test, expect } from '../fixtures/cluster';
import { signup, createLive, say } from '../fixtures/app';
import type { Server } from '../fixtures/app';
import { connect, viewer, sendAll, expectExactlyAcked, Msg } from '../fixtures/chaos';

async function viaBalancer(url: string, lb: string, opts: { token?: string; polling?: boolean } = {}): Promise<Socket> {
  const socket = io(url, {
    auth: opts.token ? { token: opts.token } : {},
    // `lb` keeps one client on one node: long-polling's requests must all
    // reach the node that holds its session.
    query: { lb },
    transports: opts.polling ? ['polling'] : ['polling', 'websocket'],
    reconnection: false,
    timeout: 5_000,
  });
  await new Promise<void>((ok, fail) => {
    socket.once('connect', () => ok());
    socket.once('connect_error', fail);
  });
  return socket;
}

test('the official client through nginx: every viewer on every node gets every message in order', async ({ cluster, request }) => {
  const gate = { url: cluster.url } as Server;
  const streamer = await signup(request, gate, 'streamer');
  const live = await createLive(request, gate, streamer.token, 'Cluster');
  const viewers: Socket[] = [];
  const seen: number[][] = [];
  for (let i = 0; i < 6; i++) {
    // Two of them long-poll only, which needs the balancer's stickiness.
    const s = await viaBalancer(cluster.url, `viewer-${i}`, { polling: i < 2 });
    const got: number[] = [];
    s.on('sending_message', (m: { seq: number }) => got.push(m.seq));
    const entered = await s.timeout(5_000).emitWithAck('enter_room', { liveId: live });
    expect(entered.ok).toBe(true);
    viewers.push(s);
    seen.push(got);
  }
  const perNode = await cluster.socketsPerNode();
  expect(perNode.filter((n) => n > 0).length, `sockets per node: ${perNode}`).toBeGreaterThanOrEqual(2);

  const senders: Socket[] = [];
  for (let i = 0; i < 3; i++) {
    const a = await signup(request, gate, `sender${i}`);
    const s = await viaBalancer(cluster.url, `sender-${i}`, { token: a.token });
    await s.timeout(5_000).emitWithAck('enter_room', { liveId: live });
    senders.push(s);
  }
  const acks = await Promise.all(
    senders.flatMap((s, i) => Array.from({ length: 20 }, (_, j) => say(s, live, `s${i}-${j}`, randomUUID()))),
  );
  expect(acks.every((a) => a.ok)).toBe(true);
  const all = Array.from({ length: 60 }, (_, i) => i + 1);
  for (const got of seen) {
    await expect.poll(() => got.length, { timeout: 10_000 }).toBe(60);
    expect(got).toEqual(all);
  }
  for (const s of [...viewers, ...senders]) s.close();
});

test('the browser chats through nginx with a viewer on another node', async ({ cluster, browser, request }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const gate = { url: cluster.url } as Server;
  const alice = await signup(page.request, gate, 'alice');
  const live = await createLive(page.request, gate, alice.token, 'Through nginx');
  const bob = await signup(request, gate, 'bob');
  await page.goto(`${cluster.url}/live/${live}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');

  // Bob is on whichever node his key lands on; the page on whichever nginx picked.
  const other = await viaBalancer(cluster.url, 'bob', { token: bob.token });
  const got: string[] = [];
  other.on('sending_message', (m: { content: string }) => got.push(m.content));
  await other.timeout(5_000).emitWithAck('enter_room', { liveId: live });

  const input = page.getByTestId('chat-input');
  await input.fill('hello from the browser');
  await input.press('Enter');
  await expect.poll(() => got, { timeout: 10_000 }).toEqual(['hello from the browser']);
  expect((await say(other, live, 'hello back')).ok).toBe(true);
  await expect(page.locator('.msg[data-seq] .text')).toHaveText(['hello from the browser', 'hello back']);
  other.close();
});

test('a node killed mid-traffic: its clients move to the others through nginx and nothing acked is lost or doubled', async ({ cluster, request }) => {
  test.setTimeout(90_000);
  const gate = { url: cluster.url } as Server;
  const host = await signup(request, gate, 'host');
  const live = await createLive(request, gate, host.token, 'Chaos');
  const viewers = ['v1', 'v2', 'v3', 'v4'].map((lb) => viewer(cluster, live, lb));
  await expect.poll(() => viewers.every((v) => v.socket.connected)).toBe(true);
  const names = ['ann', 'ben', 'cat', 'dan'];
  const perSender = 20;
  const senders = await Promise.all(names.map(async (n) => connect(cluster, (await signup(request, gate, n)).token, n)));
  const acked: Msg[] = [];
  const sending = Promise.all(senders.map((s, i) => sendAll(s, live, names[i], perSender, acked)));

  await expect.poll(() => acked.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(15);
  // The busiest node dies without a word.
  const perNode = await cluster.socketsPerNode();
  const victim = perNode.indexOf(Math.max(...perNode));
  await cluster.nodes[victim].kill();
  // Bounded, and saying how far it got if it does not finish.
  await expect
    .poll(() => acked.length, { timeout: 45_000, message: `acked so far; sockets per node before the kill: ${perNode}, killed node ${victim}` })
    .toBe(names.length * perSender);
  await sending;
  await expectExactlyAcked(cluster, live, acked, viewers, names.length * perSender);
  for (const s of [...senders, ...viewers.map((v) => v.socket)]) s.close();
});
