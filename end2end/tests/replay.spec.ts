// Replays of ended lives: the recording with the chat in sync (messages at
// their time since the live started; seeking jumps), and without a recording
// a transcript. The clip is a 12 s VP8 test pattern (fixtures/media/clip.webm,
// made with: ffmpeg -f lavfi -i testsrc=size=160x90:rate=10:duration=12
// -c:v libvpx -b:v 40k -g 10 -an clip.webm).
import { createServer, Server as HttpServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test as base, expect, signup, client, say } from '../fixtures/app';
import { freePort } from '../fixtures/net';
import type { APIRequestContext, Page } from '@playwright/test';
import type { Server } from '../fixtures/app';

const CLIP = readFileSync(resolve(__dirname, '..', 'fixtures', 'media', 'clip.webm'));

/** Serves the clip with byte ranges, as a video host does (seeking needs them). */
const test = base.extend<{ media: string }>({
  media: async ({}, use) => {
    const http: HttpServer = createServer((req, res) => {
      const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
      const headers = { 'content-type': 'video/webm', 'accept-ranges': 'bytes' };
      if (!range) {
        res.writeHead(200, { ...headers, 'content-length': CLIP.length });
        res.end(CLIP);
        return;
      }
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), CLIP.length - 1) : CLIP.length - 1;
      res.writeHead(206, { ...headers, 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${CLIP.length}` });
      res.end(CLIP.subarray(start, end + 1));
    });
    const port = await freePort();
    await new Promise<void>((ok) => http.listen(port, '127.0.0.1', ok));
    await use(`http://127.0.0.1:${port}/clip.webm`);
    http.close();
  },
});

async function goLive(request: APIRequestContext, server: Server, token: string, videoUrl?: string) {
  const res = await request.post(`${server.url}/api/lives`, {
    data: { title: 'Yesterday', ...(videoUrl ? { videoUrl } : {}) },
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status()).toBe(201);
  return (await res.json()) as { id: string; createdAt: string };
}

/** Waits until `ms` have passed since `since` (the chat needs real time between lines). */
async function until(since: number, ms: number) {
  await expect.poll(() => Date.now() - since, { timeout: ms + 5_000, intervals: [100] }).toBeGreaterThanOrEqual(ms);
}

async function seek(page: Page, secs: number) {
  await page.getByTestId('replay-video').evaluate(
    (v: HTMLVideoElement, s) => new Promise<void>((ok) => {
      v.addEventListener('seeked', () => ok(), { once: true });
      v.currentTime = s;
    }),
    secs,
  );
}

test('the chat replays beside the recording at the time it was said, and follows seeks', async ({ server, media, browser, request }) => {
  const { token } = await signup(request, server, 'host');
  const live = await goLive(request, server, token, media);
  const bot = await client(server, token);
  const t0 = Date.parse(live.createdAt);
  const a = await say(bot, live.id, 'right at the start');
  await until(t0, 3_000);
  const b = await say(bot, live.id, 'three seconds in');
  const gone = await say(bot, live.id, 'deleted later');
  await until(t0, 6_000);
  const c = await say(bot, live.id, 'six seconds in');
  expect((await bot.timeout(10_000).emitWithAck('delete_message', { liveId: live.id, messageId: gone.message.id })).ok).toBe(true);
  bot.close();
  const ended = await request.post(`${server.url}/api/lives/${live.id}/end`, { headers: { authorization: `Bearer ${token}` } });
  expect(ended.ok()).toBe(true);
  const at = (m: { message: { createdAt: string } }) => (Date.parse(m.message.createdAt) - t0) / 1000;
  expect(at(b)).toBeGreaterThanOrEqual(3);
  expect(at(c)).toBeGreaterThanOrEqual(6);

  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.url}/live/${live.id}`);
  const lines = page.getByTestId('replay-messages').locator('.msg .text');
  await expect(page.getByTestId('replay-video')).toHaveAttribute('src', media);
  // Nothing is said before its time; then only what was.
  expect(at(a)).toBeLessThan(1);
  await seek(page, at(a) + 0.3);
  await expect(lines).toHaveText(['right at the start']);

  await seek(page, at(b) + 0.5);
  await expect(lines).toHaveText(['right at the start', 'three seconds in']);
  await seek(page, at(c) + 0.5);
  await expect(lines).toHaveText(['right at the start', 'three seconds in', 'six seconds in']);
  // Back in time: later lines leave again; the deleted one never shows.
  await seek(page, at(a) + 0.3);
  await expect(lines).toHaveText(['right at the start']);

  // Playing brings lines in as their time comes.
  await seek(page, at(c) - 1);
  await expect(lines).toHaveText(['right at the start', 'three seconds in']);
  await page.getByTestId('replay-video').evaluate((v: HTMLVideoElement) => { v.muted = true; return v.play(); });
  await expect(lines).toHaveText(['right at the start', 'three seconds in', 'six seconds in'], { timeout: 8_000 });

  // A line's time seeks the recording there.
  await page.getByTestId('seek').nth(1).click();
  await expect.poll(() => page.getByTestId('replay-video').evaluate((v: HTMLVideoElement) => v.currentTime)).toBeCloseTo(at(b), 0);
});

test('an ended live without a recording reads as a transcript with times, page by page', async ({ server, browser, request }) => {
  const { token } = await signup(request, server, 'talker');
  const live = await goLive(request, server, token);
  const bot = await client(server, token);
  for (let i = 1; i <= 130; i++) expect((await say(bot, live.id, `line ${i}`)).ok).toBe(true);
  bot.close();
  expect((await request.post(`${server.url}/api/lives/${live.id}/end`, { headers: { authorization: `Bearer ${token}` } })).ok()).toBe(true);

  // Paged by time from MongoDB: 100 first, then the rest.
  const api = await (await request.get(`${server.url}/api/lives/${live.id}/replay?fromMs=0`)).json();
  expect(api.messages).toHaveLength(100);
  expect(api.hasMore).toBe(true);

  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.url}/live/${live.id}`);
  const lines = page.getByTestId('transcript-messages').locator('.msg');
  await expect(lines).toHaveCount(100);
  await expect(lines.first().locator('.text')).toHaveText('line 1');
  await expect(lines.first().locator('time')).toHaveText(/^0:0\d$/);
  await page.getByTestId('transcript-more').click();
  await expect(lines).toHaveCount(130);
  await expect(lines.last().locator('.text')).toHaveText('line 130');
  await expect(page.getByTestId('transcript-more')).toHaveCount(0);
  await expect(page.getByTestId('chat-input')).toHaveCount(0);
});
