// Load generator: S senders (each waits for its ack before the next message) and
// V viewers in one room for D seconds, through the official socket.io client.
// Prints acked messages/s, ack latency percentiles and deliveries/s.
//
//   node bench/loadgen.mjs http://127.0.0.1:3000 [senders=8] [viewers=50] [seconds=20]
import { post as postTo, connect as connectTo, tag as newTag } from './client.mjs';

const [url, S = '8', V = '50', D = '20'] = process.argv.slice(2);
const senders = Number(S), viewers = Number(V), seconds = Number(D);
const tag = newTag();
const post = (path, body, token) => postTo(url, path, body, token);
const connect = (token) => connectTo(url, token);

const host = await post('/api/auth/signup', { nickname: `h${tag}`, password: 'bench-password' });
const live = (await post('/api/lives', { title: 'bench' }, host.token)).id;

let deliveries = 0;
const watchers = [];
for (let i = 0; i < viewers; i++) {
  const v = await connect();
  v.on('sending_message', () => deliveries++);
  await v.timeout(10_000).emitWithAck('enter_room', { liveId: live });
  watchers.push(v);
}
const tokens = [];
for (let i = 0; i < senders; i++) tokens.push((await post('/api/auth/signup', { nickname: `s${i}${tag}`, password: 'bench-password' })).token);
const sockets = await Promise.all(tokens.map(connect));

const latencies = [];
let errors = 0;
const until = Date.now() + seconds * 1000;
const started = Date.now();
await Promise.all(sockets.map(async (s, i) => {
  for (let n = 0; Date.now() < until; n++) {
    const t0 = process.hrtime.bigint();
    const ack = await s.timeout(10_000).emitWithAck('new_message', { liveId: live, content: `load ${i}/${n}`, clientId: `b${tag}-${i}-${n}` });
    if (ack.ok) latencies.push(Number(process.hrtime.bigint() - t0) / 1e6); else errors++;
  }
}));
const elapsed = (Date.now() - started) / 1000;
await new Promise((r) => setTimeout(r, 1000));
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
console.log(JSON.stringify({
  senders, viewers, seconds: elapsed,
  acked: latencies.length, errors,
  ackedPerSecond: Math.round(latencies.length / elapsed),
  ackMs: { p50: pct(0.5), p95: pct(0.95), p99: pct(0.99), max: latencies.at(-1).toFixed(1) },
  deliveries, deliveriesPerSecond: Math.round(deliveries / elapsed),
  expectedDeliveries: latencies.length * viewers,
}));
for (const s of [...sockets, ...watchers]) s.close();
