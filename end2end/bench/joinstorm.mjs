// Join storm: N guests connect and enter one room, R at a time (open-loop in
// waves), with one watcher counting the viewer_count frames it receives. Prints
// how long until all are in, join latency percentiles (connect + enter ack), and
// frames per viewer.
//
//   node bench/joinstorm.mjs http://127.0.0.1:3000 [guests=1000] [perSecond=200]
import { post as postTo, connect as connectTo, tag as newTag } from './client.mjs';

const [url, N = '1000', R = '200'] = process.argv.slice(2);
const guests = Number(N), rate = Number(R);
const tag = newTag();
const post = (path, body, token) => postTo(url, path, body, token);
const connect = (token) => connectTo(url, token);

const host = await post('/api/auth/signup', { nickname: `j${tag}`, password: 'bench-password' });
const live = (await post('/api/lives', { title: 'join storm' }, host.token)).id;
const watcher = await connect();
let frames = 0;
watcher.on('viewer_count', () => frames++);
await watcher.timeout(10_000).emitWithAck('enter_room', { liveId: live });
frames = 0;

const latencies = [];
const sockets = [];
const started = Date.now();
const joins = [];
for (let i = 0; i < guests; i++) {
  const due = started + (i * 1000) / rate;
  const wait = due - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  joins.push((async () => {
    const t0 = Date.now();
    const s = await connect();
    sockets.push(s);
    await s.timeout(20_000).emitWithAck('enter_room', { liveId: live });
    latencies.push(Date.now() - t0);
  })());
}
await Promise.all(joins);
const allIn = (Date.now() - started) / 1000;
await new Promise((r) => setTimeout(r, 1500));
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
console.log(JSON.stringify({
  guests, perSecond: rate, allInSeconds: allIn,
  joinMs: { p50: pct(0.5), p99: pct(0.99), max: latencies.at(-1) },
  viewerCountFramesToOneViewer: frames,
}));
for (const s of [...sockets, watcher]) s.close();
process.exit(0);
