import { expect, loginAs, test } from './fixtures.ts';

interface Positions { positions: { device_id: number; code: string; age_s: number }[] }
type Jw = { __jw?: { patrol: () => number[]; deck: (id: string) => { props: { data: { device_id: number }[] } } | undefined } };

test('the wall screen draws exactly the patrol positions the API gives, and picks up new fixes on its poll', async ({ page, guarded, browser }) => {
  test.setTimeout(120_000);
  // Command issues an ingest token; three demo devices report a fix now (the demo's own tracks are old).
  const ctx = await browser.newContext();
  const commander = await ctx.newPage();
  await loginAs(commander, 'zhihui');
  const me = (await (await commander.request.get('/api/auth/me')).json()) as { csrfToken: string };
  const issued = await commander.request.post('/api/tokens', { data: { name: `e2e-positions-${Date.now()}`, scopes: ['gps:ingest'] }, headers: { 'x-csrf-token': me.csrfToken } });
  expect(issued.status(), await issued.text()).toBe(201);
  const { token } = (await issued.json()) as { token: string };
  const grids = (await (await commander.request.get('/api/grids')).json()) as { features: { properties: { label_point: [number, number] } }[] };
  const push = async (code: string, i: number) => {
    const [lon, lat] = grids.features[i]!.properties.label_point;
    const res = await commander.request.post('/api/machine/fixes', {
      data: { device_code: code, fixes: [{ t: new Date(Date.now() - i * 20_000).toISOString(), lon, lat, speed_kmh: 8 }] },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status(), await res.text()).toBe(200);
  };
  await push('ZD-001', 0);
  await push('ZD-002', 1);

  await loginAs(page, 'dapin');
  await page.goto('/screen?refresh=5');
  const drawn = () => page.evaluate(() => {
    const jw = (window as unknown as Jw).__jw;
    return (jw?.deck('screen-patrol')?.props.data ?? []).map((d) => d.device_id).sort((a, b) => a - b);
  });
  const fromApi = async () => ((await (await page.request.get('/api/patrol/positions')).json()) as Positions).positions;

  const first = await fromApi();
  expect(first.map((p) => p.code)).toEqual(expect.arrayContaining(['ZD-001', 'ZD-002']));
  await expect.poll(drawn, { timeout: 30_000 }).toEqual(first.map((p) => p.device_id).sort((a, b) => a - b));
  await expect(page.getByTestId('patrol-count')).toHaveAttribute('data-count', String(first.length));

  // A third device reports: the next poll draws it, and the drawing still equals the API's answer.
  await push('ZD-003', 2);
  await expect.poll(async () => (await drawn()).length, { timeout: 30_000 }).toBe(first.length + 1);
  const second = await fromApi();
  expect(await drawn()).toEqual(second.map((p) => p.device_id).sort((a, b) => a - b));
  expect(second.map((p) => p.code)).toContain('ZD-003');
  await ctx.close();
  expect(guarded.errors).toEqual([]);
});
