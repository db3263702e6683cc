// The account flow through the UI: sign up, go live, chat, log out, log back in.
import { test, expect } from '../fixtures/app';

test('sign up, go live, chat, log out and log in through the forms', async ({ server, page }) => {
  await page.goto(`${server.url}/signup`);
  await page.getByLabel('Nickname').fill('newbie');
  await page.getByLabel('Password').fill('correct-horse');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByTestId('whoami')).toHaveText('newbie');

  await page.getByPlaceholder('Title of your live').fill('My first stream');
  await page.getByRole('button', { name: 'Go live' }).click();
  await expect(page).toHaveURL(/\/live\/[0-9a-f]{24}$/);
  await expect(page.getByRole('heading', { name: 'My first stream' })).toBeVisible();
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'connected');

  const input = page.getByTestId('chat-input');
  await input.fill('first!');
  await page.getByTestId('send').click();
  await expect(page.locator('.msg[data-seq] .text')).toHaveText(['first!']);
  const liveUrl = page.url();

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.goto(liveUrl);
  await expect(page.getByTestId('login-to-chat')).toBeVisible();
  await page.getByTestId('login-to-chat').getByRole('link').click();

  await page.getByLabel('Password').fill('wrong-password');
  await page.getByLabel('Nickname').fill('newbie');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toContainText('Wrong nickname or password.');

  await page.getByLabel('Nickname').fill('newbie');
  await page.getByLabel('Password').fill('correct-horse');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(liveUrl);
  await expect(page.getByTestId('chat-input')).toBeVisible();
  await expect(page.locator('.msg[data-seq] .text')).toHaveText(['first!']);
});

test('the directory lists lives with their viewers', async ({ server, page, browser, request }) => {
  const signup = await request.post(`${server.url}/api/auth/signup`, { data: { nickname: 'host', password: 'correct-horse' } });
  const { token } = await signup.json();
  const live = await (await request.post(`${server.url}/api/lives`, {
    data: { title: 'Watched' }, headers: { authorization: `Bearer ${token}` },
  })).json();
  const watcher = await browser.newPage();
  await watcher.goto(`${server.url}/live/${live.id}`);
  await expect(watcher.getByTestId('connection')).toHaveAttribute('data-state', 'connected');
  // Connected is not yet entered: the count shows once enter_room is acked.
  await expect(watcher.getByTestId('viewer-count')).toHaveText('1 watching');

  await page.goto(server.url);
  const card = page.locator('.live-card', { hasText: 'Watched' });
  await expect(card).toContainText('LIVE');
  await expect(card).toContainText('host');
  await expect(card).toContainText('1 watching');
  await card.getByRole('link').click();
  await expect(page).toHaveURL(`${server.url}/live/${live.id}`);
  await expect(page.getByTestId('viewer-count')).toHaveText('2 watching');
  await watcher.close();
});
