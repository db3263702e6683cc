#!/usr/bin/env python3
"""Open-loop load on the server-rendered live page: starts SERVER_BIN on a
fresh nx-27017 database, seeds a live with 50 messages, then GETs /live/{id} at
a fixed rate (latency from each request's scheduled time), checks every answer,
and reads the server's CPU and RSS from /proc.

usage (from the repository root): python3 bench/pages.py SERVER_BIN RATE SECS [ACCEPT_LANGUAGE]
e.g.  python3 bench/pages.py target/release/server 50 10 'ko-KR,ko;q=0.9'
(needs nx-27017 and pymongo, which ./scripts/test installs)"""
import asyncio, json, os, socket, subprocess, sys, tempfile, time, urllib.request
import pymongo, datetime
from bson import ObjectId

BIN, RATE, SECS = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
LANG = sys.argv[4] if len(sys.argv) > 4 else 'en-US,en;q=0.9'
def free():
    s = socket.socket(); s.bind(('127.0.0.1', 0)); p = s.getsockname()[1]; s.close(); return p
w = tempfile.mkdtemp(prefix='pb.')
dbp, port = free(), free()
nx = subprocess.Popen(['nx-27017', '--data-dir', 'memory', '-p', str(dbp), '--pid-file', f'{w}/nx.pid', '--log-file', f'{w}/nx.log'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1.5)
env = dict(os.environ, MONGODB_URI=f'mongodb://127.0.0.1:{dbp}/pb', LEPTOS_SITE_ADDR=f'127.0.0.1:{port}', LEPTOS_SITE_ROOT='target/site', DATA_DIR=f'{w}/data', RUST_LOG='warn', LOGINS_PER_IP_PER_MIN='1000')
srv = subprocess.Popen([BIN], env=env, stdout=subprocess.DEVNULL, stderr=open(f'{w}/server.log', 'w'), cwd='/work/main')
base = f'http://127.0.0.1:{port}'
for _ in range(100):
    try:
        urllib.request.urlopen(base + '/readyz', timeout=1); break
    except Exception: time.sleep(0.2)
def post(path, body, token=None):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={'content-type': 'application/json', **({'authorization': f'Bearer {token}'} if token else {})})
    return json.loads(urllib.request.urlopen(req).read())
token = post('/api/auth/signup', {'nickname': 'bencher', 'password': 'correct-horse'})['token']
live = post('/api/lives', {'title': 'Page bench'}, token)['id']
db = pymongo.MongoClient(f'mongodb://127.0.0.1:{dbp}')['pb']
now = datetime.datetime.now(datetime.timezone.utc)
db.chat.insert_many([{'_id': ObjectId(), 'liveId': live, 'seq': s, 'userId': 'seed', 'nickname': 'seed', 'content': f'seeded message {s}', 'clientId': f'seed-{s}', 'createdAt': now, 'updatedAt': now} for s in range(1, 51)])
path = f'/live/{live}'

async def get():
    r, wr = await asyncio.open_connection('127.0.0.1', port)
    wr.write(f'GET {path} HTTP/1.1\r\nHost: x\r\nAccept-Language: {LANG}\r\nConnection: close\r\n\r\n'.encode())
    await wr.drain()
    body = await r.read()
    wr.close()
    return body

def cpu():
    f = open(f'/proc/{srv.pid}/stat').read().split(')')[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf('SC_CLK_TCK')
def rss():
    for l in open(f'/proc/{srv.pid}/status'):
        if l.startswith('VmRSS'): return int(l.split()[1]) // 1024

async def main():
    for _ in range(20):
        b = await get()
    assert b'seeded message 50' in b, b[:300]
    c0, t0 = cpu(), time.monotonic()
    lat, bad = [], 0
    async def one(at):
        nonlocal bad
        await asyncio.sleep(max(0, at - time.monotonic()))
        b = await get()
        lat.append((time.monotonic() - at) * 1000)
        if b' 200 ' not in b[:20] or b'seeded message 50' not in b: bad += 1
    n = int(RATE * SECS)
    await asyncio.gather(*(one(t0 + i / RATE) for i in range(n)))
    el = time.monotonic() - t0
    c1 = cpu()
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
    print(f'{BIN}: {n} pages at {RATE:.0f}/s in {el:.1f} s; bad {bad}; latency ms p50 {q(.5):.1f} p90 {q(.9):.1f} p99 {q(.99):.1f}; server CPU {c1 - c0:.2f} s ({(c1 - c0) / n * 1000:.2f} ms/page); RSS {rss()} MB; lang {LANG}')
asyncio.run(main())
srv.terminate(); nx.terminate()
