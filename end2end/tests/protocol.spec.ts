// The socket protocol through the official socket.io client (polling + upgrade).
import { test, expect, signup, createLive, client, say } from '../fixtures/app';
import { io } from 'socket.io-client';

test('enter, send, receive and read history with the official client', async ({ server, request }) => {
  const alice = await signup(request, server, 'alice');
  const live = await createLive(request, server, alice.token, 'Protocol');
  const sender = await client(server, alice.token);
  const viewer = await client(server);

  const entered = await viewer.timeout(5_000).emitWithAck('enter_room', { liveId: live });
  expect(entered).toEqual({
    ok: true,
    history: [],
    lastSeq: 0,
    viewers: 1,
    role: 'guest',
    settings: { liveId: live, slowModeSecs: 0, minAccountAgeMins: 0, links: 'all' },
  });

  const received = new Promise((ok) => viewer.once('sending_message', ok));
  const ack = await say(sender, live, ' hello <b>there</b> ', 'js-1');
  expect(ack.ok).toBe(true);
  expect(ack.message).toMatchObject({ liveId: live, seq: 1, nickname: 'alice', content: 'hello <b>there</b>', clientId: 'js-1' });
  expect(await received).toEqual(ack.message);

  const page = await viewer.timeout(5_000).emitWithAck('get_all_chat_by_liveId', { liveId: live });
  expect(page).toEqual({ ok: true, messages: [ack.message], hasMore: false, lastSeq: 1 });

  const again = await say(sender, live, 'retry', 'js-1');
  expect(again.message).toEqual(ack.message);
  sender.close();
  viewer.close();
});

test('the session cookie authenticates the handshake', async ({ server, request }) => {
  const bob = await signup(request, server, 'bob');
  const live = await createLive(request, server, bob.token, 'Cookies');
  const socket = io(server.url, {
    extraHeaders: { cookie: `access_token=${bob.token}` },
    transports: ['websocket'],
    reconnection: false,
  });
  await new Promise((ok) => socket.once('connect', ok));
  const ack = await say(socket, live, 'via cookie');
  expect(ack.ok).toBe(true);
  expect(ack.message.nickname).toBe('bob');
  socket.close();
});

test('guests and bad input get error codes, never a crash', async ({ server, request }) => {
  const carol = await signup(request, server, 'carol');
  const live = await createLive(request, server, carol.token, 'Errors');
  const guest = await client(server);
  expect(await say(guest, live, 'hi')).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  const forged = await client(server, carol.token.slice(0, -3) + 'abc');
  expect(await say(forged, live, 'hi')).toMatchObject({ ok: false, error: { code: 'unauthorized' } });

  const member = await client(server, carol.token);
  expect(await member.timeout(5_000).emitWithAck('no_such_event', {})).toMatchObject({ ok: false, error: { code: 'invalid' } });
  expect(await member.timeout(5_000).emitWithAck('new_message', { liveId: live, content: 5, clientId: 'x' }))
    .toMatchObject({ ok: false, error: { code: 'invalid' } });
  expect(await say(member, live, 'x'.repeat(501))).toMatchObject({ ok: false, error: { code: 'invalid' } });
  expect(await member.timeout(5_000).emitWithAck('enter_room', { liveId: 'ffffffffffffffffffffffff' }))
    .toMatchObject({ ok: false, error: { code: 'not_found' } });
  expect(await say(member, live, 'still works')).toMatchObject({ ok: true });
  for (const s of [guest, forged, member]) s.close();
});

test('concurrent senders: every viewer gets one gapless order', async ({ server, request }) => {
  const streamer = await signup(request, server, 'streamer');
  const live = await createLive(request, server, streamer.token, 'Race');
  const viewers = await Promise.all([client(server), client(server)]);
  const seen: number[][] = viewers.map(() => []);
  viewers.forEach((v, i) => v.on('sending_message', (m) => seen[i].push(m.seq)));
  await Promise.all(viewers.map((v) => v.timeout(5_000).emitWithAck('enter_room', { liveId: live })));

  const senders = await Promise.all(
    [0, 1, 2, 3].map(async (i) => client(server, (await signup(request, server, `racer${i}`)).token)),
  );
  const perSender = 20;
  const acks = await Promise.all(
    senders.flatMap((s, i) => Array.from({ length: perSender }, (_, j) => say(s, live, `r${i}-${j}`))),
  );
  expect(acks.every((a) => a.ok)).toBe(true);
  const total = senders.length * perSender;
  const expected = Array.from({ length: total }, (_, k) => k + 1);
  for (const s of seen) {
    await expect.poll(() => s.length).toBe(total);
    expect(s).toEqual(expected);
  }
  for (const s of [...viewers, ...senders]) s.close();
});

test('a viewer that asks for batches gets a busy room as sending_messages, in seq order', async ({ server, request }) => {
  const streamer = await signup(request, server, 'busy');
  const live = await createLive(request, server, streamer.token, 'Busy');
  const batched = await client(server);
  const single = await client(server);
  const frames: number[][] = [];
  const singles: number[] = [];
  batched.on('sending_messages', (ms) => frames.push(ms.map((m: { seq: number }) => m.seq)));
  batched.on('sending_message', () => frames.push([-1])); // must not happen
  single.on('sending_message', (m) => singles.push(m.seq));
  single.on('sending_messages', () => singles.push(-1)); // must not happen
  await batched.timeout(5_000).emitWithAck('enter_room', { liveId: live, batch: true });
  await single.timeout(5_000).emitWithAck('enter_room', { liveId: live });

  const sender = await client(server, streamer.token);
  const total = 60;
  // Sent without waiting for acks: a burst, as a busy room sees it.
  const acks = await Promise.all(Array.from({ length: total }, (_, k) => say(sender, live, `m${k}`)));
  expect(acks.every((a) => a.ok)).toBe(true);
  const expected = Array.from({ length: total }, (_, k) => k + 1);
  await expect.poll(() => frames.flat().length).toBe(total);
  expect(frames.flat()).toEqual(expected);
  expect(frames.length).toBeLessThan(total);
  await expect.poll(() => singles.length).toBe(total);
  expect(singles).toEqual(expected);
  for (const s of [batched, single, sender]) s.close();
});
