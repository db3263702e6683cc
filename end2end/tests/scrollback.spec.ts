// Older history loads on scrolling to the top.
import { test, expect, signup, createLive, client, say } from '../fixtures/app';

test('scrolling to the top loads older messages, oldest first', async ({ server, request, page }) => {
  const s = await signup(request, server, 'streamer');
  const live = await createLive(request, server, s.token, 'Scrollback');
  const socket = await client(server, s.token);
  for (let i = 1; i <= 120; i++) await say(socket, live, `line ${i}`, `c${i}`);
  socket.close();

  await page.goto(`${server.url}/live/${live}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
  const rows = page.locator('.msg[data-seq]');
  await expect(rows).toHaveCount(50);
  await expect(rows.first()).toHaveAttribute('data-seq', '71');

  const list = page.getByTestId('messages');
  await expect(async () => {
    await list.evaluate((el) => el.scrollTo(0, 0));
    await expect(rows.first()).toHaveAttribute('data-seq', '1', { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await expect(rows).toHaveCount(120);
  const seqs = await rows.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
  expect(seqs).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
});
