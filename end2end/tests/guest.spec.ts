// A guest sees the server-rendered history and cannot send.
import { test, expect, signup, createLive, client, say } from '../fixtures/app';

test('history is in the server-rendered page, readable without JavaScript', async ({ server, request, browser }) => {
  const s = await signup(request, server, 'streamer');
  const live = await createLive(request, server, s.token, 'SSR');
  const socket = await client(server, s.token);
  await say(socket, live, 'rendered on the server');
  socket.close();

  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const res = await page.goto(`${server.url}/live/${live}`);
  expect(res?.status()).toBe(200);
  await expect(page.getByTestId('messages')).toContainText('rendered on the server');
  await expect(page.getByText('Log in to chat')).toBeVisible();
  await context.close();
});

test('a guest sees live messages but has no input', async ({ server, request, page }) => {
  const s = await signup(request, server, 'streamer');
  const live = await createLive(request, server, s.token, 'Guest view');
  await page.goto(`${server.url}/live/${live}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
  await expect(page.getByTestId('chat-input')).toHaveCount(0);
  await expect(page.getByTestId('login-to-chat')).toBeVisible();

  const socket = await client(server, s.token);
  await say(socket, live, 'hello guests');
  await expect(page.getByTestId('messages')).toContainText('hello guests');
  socket.close();
});

test('unknown lives are a real 404 page', async ({ server, page }) => {
  const res = await page.goto(`${server.url}/live/ffffffffffffffffffffffff`);
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Not found' })).toBeVisible();
});
