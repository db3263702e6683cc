// A server restart: the page reconnects by itself, shows what was sent meanwhile,
// and delivers (once) what its viewer typed while it was down.
import { test, expect, signup, createLive, client, say } from '../fixtures/app';

test('the page reconnects after a server restart and catches up', async ({ server, browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const viewer = await signup(page.request, server, 'viewer');
  const live = await createLive(page.request, server, viewer.token, 'Restart');
  const other = await signup(page.request, server, 'other');

  await page.goto(`${server.url}/live/${live}`);
  const conn = page.getByTestId('connection');
  await expect(conn).toHaveAttribute('data-state', 'connected');
  const s1 = await client(server, other.token);
  await say(s1, live, 'before the restart');
  await expect(page.getByTestId('messages')).toContainText('before the restart');
  s1.close();

  await server.kill();
  await expect(conn).toHaveAttribute('data-state', 'reconnecting');
  // Typed while the server is down: shown as pending, sent after the reconnect.
  const input = page.getByTestId('chat-input');
  await input.fill('typed while down');
  await input.press('Enter');
  await expect(page.getByTestId('pending')).toContainText('typed while down');

  await server.start();
  const s2 = await client(server, other.token);
  for (const text of ['meanwhile 1', 'meanwhile 2', 'meanwhile 3']) await say(s2, live, text);

  await expect(conn).toHaveAttribute('data-state', 'connected', { timeout: 20_000 });
  const texts = page.locator('.msg[data-seq] .text');
  // The page's resend may land before or after the others' messages (it reconnects
  // on its own schedule); either way each shows once, in seq order.
  await expect(texts).toHaveCount(5, { timeout: 20_000 });
  expect((await texts.allTextContents()).sort()).toEqual(
    ['before the restart', 'meanwhile 1', 'meanwhile 2', 'meanwhile 3', 'typed while down'].sort(),
  );
  await expect(page.getByTestId('pending')).toHaveCount(0);
  // Exactly once each, in seq order, on the page and in the database.
  const seqs = await page.locator('.msg[data-seq]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-seq'))));
  expect(seqs).toEqual([1, 2, 3, 4, 5]);
  const history = await s2.timeout(5_000).emitWithAck('get_all_chat_by_liveId', { liveId: live });
  expect(history.messages.map((m: { content: string }) => m.content).sort()).toEqual(
    ['before the restart', 'meanwhile 1', 'meanwhile 2', 'meanwhile 3', 'typed while down'].sort(),
  );
  s2.close();
  await context.close();
});
