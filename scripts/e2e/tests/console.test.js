// The web console (console/, built to console/dist) in headless Chromium through playwright-core,
// against a real dev chain: Alice's validator node, which is also Eve's provider node, and
// Ferdie's provider node — both cpu backends with the container runner on one Podman engine
// (scripts/container-engine.sh) and bid policies of different prices, whose standing offers the
// nodes publish on chain. In the browser:
//  - a job nobody can serve shows the warning before posting (nothing is sent);
//  - a rejected transaction shows the pallet's error name and its documentation;
//  - Bob posts a job from the form beside the chain's estimate (both hosts' offers quoted),
//    watches the countdown, both bids and the award to the cheaper host, sees the payment chart
//    grow with attested blocks, reads his container's logs (a signed request from the page to
//    the provider's node) and, after the dispute window, the settlement and the receipt;
//  - Eve's page shows her challenge history and claims her era share; the network page;
//  - a console pointed at a node that is not there says so in a banner, and one whose node goes
//    away and comes back reconnects by itself.
// Each test saves a screenshot under $CRUCIBLE_SCREENSHOTS (default scripts/e2e/screenshots).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import { chromium } from 'playwright-core';
import { createServer as createTcpServer, connect as tcpConnect } from 'node:net';
import { withNodes, freePort, submit } from '../lib/node.js';
import { eventLog } from '../lib/events.js';
import { h100Host, nodeAttestationKey } from '../lib/providers.js';

const here = dirname(fileURLToPath(import.meta.url));
const ENGINE = join(here, '..', '..', 'container-engine.sh');
const DIST = join(here, '..', '..', '..', 'console', 'dist');
const SHOTS = process.env.CRUCIBLE_SCREENSHOTS ?? join(here, '..', 'screenshots');
const CHROMIUM = process.env.CRUCIBLE_CHROMIUM ?? '/usr/bin/chromium';
const ALICE_PEER = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp';
const CRU = 10n ** 12n;
const MILLI = CRU / 1000n;
const BOND = 1_000n * CRU;
const PRICES = { eve: 4n * MILLI, ferdie: 6n * MILLI };

const who = {};
const engine = {};
const nodes = {};
let api;
let waitForEvents;
let server;
let consoleUrl;
let browser;
let page;

function engineCmd(...args) {
  const r = spawnSync('bash', [ENGINE, ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `container-engine.sh ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Serves console/dist as any static host would (index.html for every unknown path). */
function serveConsole() {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
  return new Promise((ok) => {
    const s = createServer((req, res) => {
      const path = normalize(decodeURIComponent(new URL(req.url, 'http://console').pathname)).replace(/^(\.\.[/\\])+/, '');
      let file = join(DIST, path);
      if (!file.startsWith(DIST) || !existsSync(file) || statSync(file).isDirectory()) file = join(DIST, 'index.html');
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    });
    s.listen(0, '127.0.0.1', () => ok(s));
  });
}

const shot = (name) => page.screenshot({ path: join(SHOTS, `console-${name}.png`), fullPage: true });
const text = (selector) => page.locator(selector).first().innerText();

const net = withNodes(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'console/dist is built (scripts/test.sh builds it: npm run build in console/)');
  const keyring = new Keyring({ type: 'sr25519' });
  for (const name of ['alice', 'bob', 'eve', 'ferdie']) {
    who[name] = keyring.addFromUri(`//${name[0].toUpperCase()}${name.slice(1)}`);
  }
  engine.dir = mkdtempSync(join(tmpdir(), 'crucible-engine-'));
  const started = engineCmd('start', engine.dir);
  engine.socket = started.match(/socket=(\S+)/)[1];
  engine.registry = started.match(/registry=(\S+)/)[1];
  engine.app = engineCmd('image', engine.dir, 'app').replace('sha256:', '');

  const alicePort = await freePort();
  const boot = `/ip4/127.0.0.1/tcp/${alicePort}/p2p/${ALICE_PEER}`;
  const hosts = {
    eve: { chain: ['--dev'], extra: ['--node-key', '01'.padStart(64, '0')] },
    ferdie: { chain: ['--chain', 'dev'], extra: ['--bootnodes', boot, '--offchain-worker', 'always'] },
  };
  for (const [name, host] of Object.entries(hosts)) {
    const basePath = net.path();
    who[name].made = nodeAttestationKey(basePath, who[name].address);
    const policy = join(basePath, 'workload-policy.json');
    writeFileSync(policy, JSON.stringify({
      registries: [engine.registry], maxMemoryMib: 256, maxDiskMib: 64, egress: false, publicHost: '127.0.0.1',
    }));
    const bids = join(basePath, 'bid-policy.json');
    writeFileSync(bids, JSON.stringify({ minPricePerGpu: { H100: PRICES[name].toString() }, maxLeases: 4, maxLeaseBlocks: 600 }));
    nodes[name] = net.node([...host.extra, '--compute-backend', 'cpu', '--workload-policy', policy,
      '--container-engine', engine.socket, '--workload-listen', `127.0.0.1:${await freePort()}`,
      '--bid-policy', bids], host.chain, basePath);
  }
  nodes.eve.p2pPort = alicePort;
  api = await net.start(nodes.eve);
  ({ waitForEvents } = eventLog(api));
  await (await nodes.ferdie.start()).disconnect();
});

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await serveConsole();
  consoleUrl = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') console.log(`page console: ${m.text()}`); });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.close();
  if (engine.dir) spawnSync('bash', [ENGINE, 'stop', engine.dir]);
});

/** Opens the console on the dev chain at `route` (as `account`, by its label). */
async function open(route, account) {
  // A fresh page each time (a navigation that changes only the hash would keep the page).
  await page.goto('about:blank');
  await page.goto(`${consoleUrl}?rpc=${encodeURIComponent(nodes.eve.url)}${route}`);
  await page.locator('[data-testid=best]').filter({ hasText: '#' }).waitFor({ timeout: 30_000 });
  if (account) await page.selectOption('[data-testid=account]', { label: `${account} (dev)` });
}

/** Fills the post form (fields by name) with `values`. */
async function fill(values) {
  for (const [name, value] of Object.entries(values)) {
    const field = page.locator(`[name=${name}]`);
    const tag = await field.evaluate((e) => e.tagName);
    if (tag === 'SELECT') await field.selectOption(value);
    else if (typeof value === 'boolean') await field.setChecked(value);
    else await field.fill(String(value));
  }
}

const container = (script) => ({
  vendor: '', model: '', minGpuCount: 0, minVramMib: 0, country: '', minReputation: 0,
  repository: `${engine.registry}/app`, digest: `sha256:${engine.app}`,
  command: ['sh', '-c', script].join('\n'), env: '', ports: '', memoryMib: 64, diskMib: 16,
});

test('two hosts register, prove themselves and publish their standing offers', { timeout: 500_000 }, async () => {
  const from = (await api.rpc.chain.getHeader()).number.toNumber();
  let host = 1;
  for (const name of ['eve', 'ferdie']) {
    const p = who[name];
    const uuid = (i) => u8aToHex(new Uint8Array([0xb0, host, i, ...new Array(13).fill(0x55)]));
    const { error } = await submit(api, api.tx.providers.register(h100Host(uuid, 1), p.made.attestationKey,
      p.made.keyProof, 'https://gpu.example.net', { country: 'DE', metro: null }, BOND), p);
    assert.equal(error, null);
    host += 1;
  }
  for (const name of ['eve', 'ferdie']) {
    await waitForEvents(from, (evs) => evs.find((e) => e.event.section === 'providers' &&
      e.event.method === 'StatusChanged' && e.event.data.provider.toString() === who[name].address &&
      e.event.data.to.toString() === 'Active'), `${name} Active`, 450_000);
    const published = await waitForEvents(from, (evs) => evs.find((e) => e.event.section === 'marketplace' &&
      e.event.method === 'OfferPublished' && e.event.data.provider.toString() === who[name].address),
    `${name}'s offer`, 60_000);
    const offer = published.event.data.offer.unwrap();
    assert.equal(offer.pricePerGpu.toBigInt(), PRICES[name], 'the policy\'s price for its class');
    assert.equal(offer.maxLeases.toNumber(), 4);
    assert.equal(offer.maxDuration.unwrap().toNumber(), 600);
  }
});

test('a console pointed at no node says so in a banner', { timeout: 60_000 }, async () => {
  await page.goto(`${consoleUrl}?rpc=${encodeURIComponent(`ws://127.0.0.1:${await freePort()}`)}`);
  const banner = page.locator('[data-testid=banner]');
  await banner.filter({ hasText: 'reconnecting' }).waitFor({ timeout: 20_000 });
  await shot('disconnected');
});

test('a job nobody can serve shows the warning before anything is posted', { timeout: 120_000 }, async () => {
  await open('#/post', 'Bob');
  const jobsBefore = (await api.query.marketplace.nextJobId()).toNumber();
  await fill({ ...container('true'), minGpuCount: 8, vendor: 'Nvidia' });
  const warning = page.locator('[data-testid=no-bidders]');
  await warning.filter({ hasText: 'Nobody can serve this job' }).waitFor({ timeout: 30_000 });
  assert.match(await text('[data-testid=matching]'), /^0 proven provider/);
  await shot('nobody-can-serve');
  // Servable hardware, a price below both offers: the warning names the cheapest offer.
  await fill({ minGpuCount: 0, vendor: '', maxPrice: '0.001' });
  await warning.filter({ hasText: 'No standing offer is at or below your maximum price' }).waitFor({ timeout: 30_000 });
  assert.match(await warning.innerText(), /0\.004 CRU per block/);
  // A command word longer than the chain's bound (it would not even decode there): said, and
  // the button stays off.
  await fill({ command: `sh\n-c\n${'x'.repeat(129)}` });
  await page.locator('[data-testid=problems]').filter({ hasText: 'word 3 is 129 bytes, at most 128' }).waitFor({ timeout: 10_000 });
  assert.ok(await page.locator('[data-testid=post]').isDisabled(), 'nothing to post');
  assert.equal((await api.query.marketplace.nextJobId()).toNumber(), jobsBefore, 'nothing was posted');
});

test('a rejected transaction shows the pallet\'s error and what it means', { timeout: 120_000 }, async () => {
  await open('#/post', 'Bob');
  // More escrow than Bob has: the chain refuses to hold it.
  await fill({ ...container('true'), maxPrice: '100000000', duration: 100 });
  // The page says so first, and still lets the chain decide.
  await page.locator('[data-testid=low-balance]').waitFor({ timeout: 30_000 });
  await page.click('[data-testid=post]');
  const failure = page.locator('[data-testid=failure]');
  await failure.waitFor({ timeout: 60_000 });
  const name = await text('[data-testid=failure-name]');
  assert.match(name, /^(marketplace\.\w+|Token\.\w+)$/);
  const meta = name.startsWith('marketplace.') ? api.errors.marketplace[name.split('.')[1]] : null;
  if (meta) assert.equal(await text('[data-testid=failure-docs]'), meta.meta.docs.join(' ').trim());
  else assert.ok((await text('[data-testid=failure-docs]')).length > 0);
  console.log(`a rejected post_job shows: ${name}: ${await text('[data-testid=failure-docs]')}`);
  await shot('rejected');
});

const jobState = {};

test('a developer posts a job from the form, watches the auction and the lease grow, and reads the logs', { timeout: 600_000 }, async () => {
  await open('#/post', 'Bob');
  await fill({
    ...container('echo "started $CRUCIBLE_JOB"; echo hi > /out/greeting; i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 3; done'),
    duration: 14, maxPrice: '0.02', bidWindow: 4, auction: 'Open', verification: 'None',
  });
  // The estimate beside the form: both hosts' standing offers, the cheaper first.
  const offers = page.locator('[data-testid=offers] tbody tr');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=offers] tbody tr').length === 2, null, { timeout: 30_000 });
  assert.match(await offers.nth(0).innerText(), /0\.004 CRU/);
  assert.match(await offers.nth(1).innerText(), /0\.006 CRU/);
  assert.match(await text('[data-testid=matching]'), /^2 proven provider/);
  assert.equal(await page.locator('[data-testid=no-bidders]').count(), 0, 'no warning');
  await shot('post');
  await page.click('[data-testid=post]');
  await page.waitForFunction(() => /^#\/job\/\d+$/.test(window.location.hash), null, { timeout: 60_000 })
    .catch(async (e) => {
      const failure = await page.locator('[data-testid=failure]').allInnerTexts();
      throw new Error(`no job page after posting (${failure.join(' ') || 'no failure shown'}): ${e.message}`);
    });
  const id = Number((await page.evaluate(() => window.location.hash)).split('/')[2]);
  jobState.id = id;
  // The auction: a countdown, then both hosts' bids, best first, with their hardware.
  await page.locator('[data-testid=countdown]').waitFor({ timeout: 20_000 });
  assert.match(await text('[data-testid=countdown]'), /in \d+ block\(s\), about \d+ s/);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=bids] li').length === 2, null, { timeout: 60_000 });
  const bids = page.locator('[data-testid=bids] li');
  assert.match(await bids.nth(0).innerText(), /^0\.004 CRU per block/);
  // Each bidder's proven hardware and challenge record, read from the chain beside the bid.
  await bids.nth(0).filter({ hasText: /Active .*H100.*challenges \d+ passed/ }).waitFor({ timeout: 20_000 });
  assert.match(await bids.nth(1).innerText(), /^0\.006 CRU per block/);
  await shot('bids');
  // The award to the cheaper host, then the lease with its chart.
  await page.locator('[data-testid=lease]').waitFor({ timeout: 60_000 });
  const lease = (await api.call.marketplaceApi.job(id)).unwrap().lease.unwrap();
  assert.equal(lease.provider.toString(), who.eve.address, 'Eve bid lower');
  assert.match(await text('[data-testid=lease]'), /at 0\.004 CRU per block/);
  // The logs, from the provider's node, signed in the page by Bob's key.
  let logs = '';
  for (let i = 0; i < 20 && !/started \d+/.test(logs); i++) {
    await page.click('[data-testid=read-logs]');
    await page.locator('[data-testid=logs], [data-testid=logs-error]').first().waitFor({ timeout: 10_000 });
    logs = (await page.locator('[data-testid=logs]').count()) ? await text('[data-testid=logs]') : '';
    if (!/started \d+/.test(logs)) await page.waitForTimeout(3_000);
  }
  assert.match(logs, new RegExp(`started ${id}`), 'the container\'s own output');
  // The payment chart grows with attested blocks.
  const attested = async () => Number((await text('[data-testid=attested]')).match(/(\d+) attested/)[1]);
  const points = async () => Number(await page.locator('[data-testid=lease-chart]').getAttribute('data-points'));
  await page.waitForFunction(() => /\b([1-9]\d*) attested/.test(document.querySelector('[data-testid=attested]')?.innerText ?? ''), null, { timeout: 120_000 });
  const first = { attested: await attested(), points: await points() };
  await shot('job');
  await page.waitForFunction((n) => {
    const m = (document.querySelector('[data-testid=attested]')?.innerText ?? '').match(/(\d+) attested/);
    return m && Number(m[1]) > n;
  }, first.attested, { timeout: 180_000 });
  const more = await attested();
  // The lease ends: its result attested, the job completed (the dispute window opens).
  await page.locator('[data-testid=phase]').filter({ hasText: 'Completed' }).waitFor({ timeout: 120_000 });
  const later = { points: await points() };
  assert.ok(later.points > first.points, `the chart grew (${first.points} → ${later.points} points)`);
  const timeline = await text('[data-testid=timeline]');
  for (const what of ['BidPlaced', 'LeaseStarted', 'AccessPublished', 'JobCompleted']) {
    assert.match(timeline, new RegExp(what), `the timeline shows ${what}`);
  }
  assert.ok(await page.locator('[data-testid=dispute]').isVisible(), 'the owner may dispute the result now');
  console.log(`the job page: ${first.attested} then ${more} attested blocks (${first.points} chart points, ${later.points} at the completion)`);
});

test('a provider\'s page shows its challenge history and claims its era share', { timeout: 400_000 }, async () => {
  await open('#/hosts', 'Eve');
  await page.locator('[data-testid=host]').waitFor({ timeout: 30_000 });
  assert.equal(await text('[data-testid=host-status]'), 'Active');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=challenges] tbody tr').length > 0, null, { timeout: 60_000 });
  assert.match(await text('[data-testid=challenges]'), /Passed/);
  assert.match(await text('[data-testid=offer]'), /0\.004 CRU per GPU per block, up to 4 leases, leases of at most 600 blocks/);
  // An era in which Eve proved herself closes; its share becomes claimable.
  const button = page.locator('[data-testid^=claim-]').first();
  await button.waitFor({ timeout: 300_000 });
  const era = Number((await button.getAttribute('data-testid')).split('-')[1]);
  const claimable = (await api.call.emissionsApi.claimable(who.eve.address, era)).toBigInt();
  assert.ok(claimable > 0n);
  await shot('host');
  await button.click();
  await page.locator('[data-testid=claimed]').waitFor({ timeout: 60_000 });
  assert.equal((await api.call.emissionsApi.claimable(who.eve.address, era)).toBigInt(), 0n, 'claimed on chain');
  assert.match(await text('[data-testid=claimed]'), new RegExp(`for era ${era}`));
  await shot('claimed');
});

test('the network page shows the providers and the tokenomics', { timeout: 120_000 }, async () => {
  await open('#/network');
  await page.locator('[data-testid=network]').waitFor({ timeout: 60_000 });
  assert.match(await text('[data-testid=providers-table]'), /H100\tNVIDIA H100[^\t]*\tDE\t2\t2\t2/, 'two proven hosts of one H100 each in DE');
  assert.match(await text('[data-testid=supply]'), /of a cap of/);
  assert.ok(Number(await page.locator('[data-testid=eras-chart]').getAttribute('data-points')) >= 1);
  await shot('network');
});

/** A TCP relay to `target` on loopback that can be cut (every connection dropped, the port
 * closed) and opened again on the same port: a node that goes away and comes back. */
function relay(target) {
  const sockets = new Set();
  let server = null;
  const listen = (port) => new Promise((ok) => {
    server = createTcpServer((client) => {
      const upstream = tcpConnect(target, '127.0.0.1');
      const drop = () => { client.destroy(); upstream.destroy(); };
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', drop);
        s.on('close', drop);
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    server.listen(port, '127.0.0.1', () => ok(server.address().port));
  });
  const cut = () => new Promise((ok) => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    if (server?.listening) server.close(() => ok());
    else ok();
  });
  return { listen, cut };
}

test('a node that goes away shows a banner, and the console reconnects when it is back', { timeout: 120_000 }, async () => {
  const r = relay(nodes.eve.rpcPort);
  const port = await r.listen(0);
  try {
    await goneAndBack(r, port);
  } finally {
    await r.cut();
  }
});

async function goneAndBack(r, port) {
  await page.goto('about:blank');
  await page.goto(`${consoleUrl}?rpc=${encodeURIComponent(`ws://127.0.0.1:${port}`)}#/network`);
  const best = page.locator('[data-testid=best]');
  await best.filter({ hasText: '#' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('[data-testid=banner]').count(), 0, 'no banner while connected');
  await r.cut();
  await page.locator('[data-testid=banner]').filter({ hasText: 'Disconnected' }).waitFor({ timeout: 20_000 });
  await shot('node-gone');
  const before = Number((await best.innerText()).slice(1));
  await r.listen(port);
  await page.locator('[data-testid=banner]').waitFor({ state: 'detached', timeout: 30_000 });
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=best]').innerText.slice(1)) > n, before, { timeout: 30_000 });
}

test('after the dispute window the job settles and its page shows the receipt', { timeout: 300_000 }, async () => {
  const { id } = jobState;
  assert.ok(id !== undefined, 'the job was posted');
  await open(`#/job/${id}`, 'Bob');
  const phase = page.locator('[data-testid=phase]');
  await phase.waitFor({ timeout: 30_000 });
  // Normally still in its dispute window here (then the page sees the settlement happen).
  const live = (await phase.innerText()) === 'Completed';
  await page.locator('[data-testid=receipt]').waitFor({ timeout: 240_000 });
  const receipt = (await api.call.marketplaceApi.receipt(id)).unwrap();
  assert.equal(receipt.provider.toString(), who.eve.address);
  assert.equal(await text('[data-testid=audit-outcome]'), 'None');
  assert.match(await text('[data-testid=receipt]'), new RegExp(receipt.result.toHex()));
  if (live) {
    await phase.filter({ hasText: 'Ended: Settled' }).waitFor({ timeout: 30_000 });
    assert.match(await text('[data-testid=timeline]'), /JobEnded/);
    assert.match(await text('[data-testid=timeline]'), /JobReceipt/);
    assert.equal(await page.locator('[data-testid=dispute], [data-testid=cancel]').count(), 0, 'nothing left to dispute or cancel');
  } else {
    console.log('the job had settled before its page was opened again: its receipt alone is shown');
    assert.match(await phase.innerText(), /^Ended/);
  }
  await shot('receipt');
});
