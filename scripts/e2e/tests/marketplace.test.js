// The marketplace on a real dev chain, through @polkadot/api. Two provider hosts, each a node
// with its attestation key, a cpu compute backend, a workload map (`--workloads`, exec runner)
// and a bid policy (`--bid-policy`); both prove themselves first:
//  - Eve's (on Alice's validator node): 3 H100s (a lease takes its GPUs: three 1-GPU leases at
//    once), bids 7 mCRU per GPU per block;
//  - Dave's (a second node): 5 H100s (a 4-GPU lease and one free), bids 10 mCRU per GPU per
//    block; stopped mid-lease.
// Bob, a developer, posts jobs: an open auction (both nodes bid, the lower wins, the workload
// runs, attestations pay per block, completion, settlement burns the protocol fee's burn share); a sealed
// auction (the winner is paid the second price); a job only Dave can serve (Dave's node stops:
// the lease fails after the grace period, Bob is refunded and compensated from the slash); a
// workload no operator mapped (refused, refunded). Hostile calls fail by name and hold nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { withNodes, freePort, submit } from '../lib/node.js';
import { eventLog } from '../lib/events.js';
import { accessKeyPair, openSealed } from '../lib/access.js';
import { h100Host, nodeAttestationKey } from '../lib/providers.js';

const ALICE_PEER = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp';
const CRU = 10n ** 12n;
const MILLI = CRU / 1000n;
const BOND = 1_000n * CRU;
const JOB_DEPOSIT = CRU;
const FEE_PERCENT = 5n;
const IMAGE = `0x${'11'.repeat(32)}`;
const UNMAPPED = `0x${'66'.repeat(32)}`;
// The operator's access text: the runner fills in the job's id and a credential drawn for it.
const ACCESS = 'ssh://gpu.example.net:2222 user=job{job} password={token}';

const nodes = {};
let api;
let keyring;
let eventsSince;
let waitForEvents;
const who = {};
const jobs = {};
// The developer's x25519 key pair: access details are sealed to its public half.
const access = accessKeyPair();
const accessKey = access.publicKey;
const openAccess = (sealed) => openSealed(access, sealed);

const uuid = (host, i) => u8aToHex(new Uint8Array([0xd0, host, i, ...new Array(13).fill(0x22)]));

const host100 = (host, gpus) => h100Host((i) => uuid(host, i), gpus);

function spec({ gpus = 1, duration, maxPrice, bidWindow = 5, auction = 'Open', image = IMAGE }) {
  return {
    requirement: { minVramMib: 40_000, minGpuCount: gpus, vendor: 'Nvidia', model: null, country: null },
    minReputation: 0,
    workload: { image, manifest: `0x${'22'.repeat(32)}`, accessKey: u8aToHex(accessKey) },
    duration,
    maxPricePerBlock: maxPrice,
    bidWindow,
    auction,
  };
}


const ev = (section, method, job) => (e) => e.event.section === section && e.event.method === method &&
  (job === undefined || e.event.data.job.toString() === String(job));
const mk = (method, job) => ev('marketplace', method, job);
// An attestation of blocks (not the one of no blocks that publishes the access details at once).
const paidStretch = (job) => (e) => mk('WorkAttested', job)(e) &&
  e.event.data.to.toNumber() > e.event.data.from.toNumber();

/** Posts `s` from Bob; returns the job id. */
async function post(s) {
  const { events, error } = await submit(api, api.tx.marketplace.postJob(s, null), who.bob);
  assert.equal(error, null);
  const posted = events.find(({ event }) => api.events.marketplace.JobPosted.is(event));
  return posted.event.data.job.toNumber();
}

const held = async (account) => (await api.query.balances.holds(account.address))
  .reduce((sum, h) => sum + h.amount.toBigInt(), 0n);

const net = withNodes(async () => {
  keyring = new Keyring({ type: 'sr25519' });
  for (const name of ['alice', 'bob', 'charlie', 'dave', 'eve']) {
    who[name] = keyring.addFromUri(`//${name[0].toUpperCase()}${name.slice(1)}`);
  }
  const alicePort = await freePort();
  const boot = `/ip4/127.0.0.1/tcp/${alicePort}/p2p/${ALICE_PEER}`;
  const hosts = {
    eve: { chain: ['--dev'], extra: ['--node-key', '01'.padStart(64, '0')], price: 7n * MILLI },
    dave: { chain: ['--chain', 'dev'], extra: ['--bootnodes', boot, '--offchain-worker', 'always'], price: 10n * MILLI },
  };
  for (const [name, host] of Object.entries(hosts)) {
    const basePath = net.path();
    who[name].made = nodeAttestationKey(basePath, who[name].address);
    // The operator's files: what this host runs, and how it bids.
    const workloads = join(basePath, 'workloads.json');
    writeFileSync(workloads, JSON.stringify({
      workloads: [{ image: IMAGE, command: ['sh', '-c', 'echo crucible job $CRUCIBLE_JOB; exec sleep 900'], access: ACCESS }],
    }));
    const policy = join(basePath, 'bid-policy.json');
    writeFileSync(policy, JSON.stringify({ minPricePerGpu: { H100: host.price.toString() }, maxLeases: 4 }));
    nodes[name] = net.node([...host.extra, '--compute-backend', 'cpu',
      '--workloads', workloads, '--bid-policy', policy], host.chain, basePath);
    if (name === 'eve') nodes[name].p2pPort = alicePort;
  }
  api = await net.start(nodes.eve);
  ({ eventsSince, waitForEvents } = eventLog(api));
  await (await nodes.dave.start()).disconnect();
});

test('two provider hosts register and prove themselves', { timeout: 400_000 }, async () => {
  const from = (await api.rpc.chain.getHeader()).number.toNumber();
  for (const [name, host, gpus] of [['eve', 1, 3], ['dave', 2, 5]]) {
    const p = who[name];
    const { error } = await submit(api, api.tx.providers.register(host100(host, gpus),
      p.made.attestationKey, p.made.keyProof, 'https://gpu.example.net', { country: 'DE', metro: null }, BOND), p);
    assert.equal(error, null);
  }
  for (const name of ['eve', 'dave']) {
    await waitForEvents(from, (evs) => evs.find((e) => e.event.section === 'providers' &&
      e.event.method === 'StatusChanged' && e.event.data.provider.toString() === who[name].address &&
      e.event.data.to.toString() === 'Active'), `${name} Active`);
  }
});

test('hostile calls fail by name and hold nothing', { timeout: 180_000 }, async () => {
  // A job nobody can serve (8 GPUs), open for long: a place to try bids on.
  const id = await post(spec({ gpus: 8, duration: 10, maxPrice: 50n * MILLI, bidWindow: 600 }));
  jobs.hostile = id;
  const eveHeld = await held(who.eve);
  let r = await submit(api, api.tx.marketplace.placeBid(id, 60n * MILLI), who.eve);
  assert.equal(r.error, 'marketplace.BidAboveMaxPrice');
  r = await submit(api, api.tx.marketplace.placeBid(id, 10n * MILLI), who.eve);
  assert.equal(r.error, 'marketplace.NotEligible', 'Eve has 3 GPUs, not 8');
  assert.equal(await held(who.eve), eveHeld);
  // Charlie registers a host but runs no node: never proven, never eligible.
  r = await submit(api, api.tx.providers.register(host100(9, 8), (await runCliKey(who.charlie)).attestationKey,
    (await runCliKey(who.charlie)).keyProof, 'https://c.example.net', { country: 'DE', metro: null }, BOND), who.charlie);
  assert.equal(r.error, null);
  const charlieHeld = await held(who.charlie);
  r = await submit(api, api.tx.marketplace.placeBid(id, 10n * MILLI), who.charlie);
  assert.equal(r.error, 'marketplace.NotEligible', 'an unproven provider');
  assert.equal(await held(who.charlie), charlieHeld);
  // A developer without the funds for the escrow.
  const poor = keyring.addFromUri('//CruciblePoorDeveloper');
  assert.equal((await submit(api, api.tx.balances.transferKeepAlive(poor.address, CRU), who.alice)).error, null);
  r = await submit(api, api.tx.marketplace.postJob(spec({ duration: 1000, maxPrice: CRU }), null), poor);
  assert.equal(r.error, 'marketplace.InsufficientFunds');
  assert.equal(await held(poor), 0n);
  // Cancelled: all returned.
  r = await submit(api, api.tx.marketplace.cancelJob(id), who.bob);
  assert.equal(r.error, null);
});

let keyCache = null;
async function runCliKey(p) {
  if (keyCache) return keyCache;
  keyCache = nodeAttestationKey(net.path(), p.address);
  return keyCache;
}

test('jobs are posted; both nodes bid from their policies; the lower bid wins', { timeout: 240_000 }, async () => {
  jobs.from = (await api.rpc.chain.getHeader()).number.toNumber();
  jobs.dave = await post(spec({ gpus: 4, duration: 100, maxPrice: 50n * MILLI }));
  jobs.open = await post(spec({ duration: 30, maxPrice: 20n * MILLI }));
  jobs.sealed = await post(spec({ duration: 12, maxPrice: 20n * MILLI, auction: { Sealed: { revealWindow: 4 } } }));
  jobs.refused = await post(spec({ duration: 30, maxPrice: 20n * MILLI, image: UNMAPPED }));
  const leased = await waitForEvents(jobs.from, (evs) => {
    const l = [jobs.open, jobs.dave].map((j) => evs.find(mk('LeaseStarted', j)));
    return l.every(Boolean) && l;
  }, 'the open auctions\' leases');
  // Both nodes bid on the open job, each at its policy's price.
  const evs = await eventsSince(jobs.from);
  const bids = evs.filter(mk('BidPlaced', jobs.open)).map((e) => [e.event.data.provider.toString(), e.event.data.price.toBigInt()]);
  assert.deepEqual(new Map(bids), new Map([[who.eve.address, 7n * MILLI], [who.dave.address, 10n * MILLI]]));
  // The bids were the nodes' own free transactions, signed by their attestation keys.
  const bidEvent = evs.find(mk('BidPlaced', jobs.open));
  const block = await api.rpc.chain.getBlock(bidEvent.hash);
  const xt = block.block.extrinsics[bidEvent.phase.asApplyExtrinsic.toNumber()];
  assert.equal(`${xt.method.section}.${xt.method.method}`, 'marketplace.bidFromNode');
  assert.ok(!xt.isSigned);
  // The lower wins; escrow shrinks to price × duration.
  const [open, dave] = leased.map((e) => e.event.data);
  assert.equal(open.provider.toString(), who.eve.address);
  assert.equal(open.pricePerBlock.toBigInt(), 7n * MILLI);
  assert.equal(open.escrow.toBigInt(), 7n * MILLI * 30n);
  // Only Dave's host has 4 GPUs (5): 4 × his price.
  assert.equal(dave.provider.toString(), who.dave.address);
  assert.equal(dave.pricePerBlock.toBigInt(), 40n * MILLI);
  // A sealed auction pays the winner the second-lowest revealed price.
  const sealed = await waitForEvents(jobs.from, (evs2) => evs2.find(mk('LeaseStarted', jobs.sealed)), 'the sealed lease');
  const revealed = (await eventsSince(jobs.from)).filter(mk('BidRevealed', jobs.sealed));
  assert.equal(revealed.length, 2, 'both nodes committed and revealed');
  assert.equal(sealed.event.data.provider.toString(), who.eve.address);
  assert.equal(sealed.event.data.pricePerBlock.toBigInt(), 10n * MILLI, 'Dave\'s price, the second');
});

test('Dave\'s node attests its lease, then stops', { timeout: 240_000 }, async () => {
  jobs.daveAttested = await waitForEvents(jobs.from, (evs) => evs.find(mk('WorkAttested', jobs.dave)), 'Dave\'s attestation');
  assert.equal(jobs.daveAttested.event.data.provider.toString(), who.dave.address);
  await nodes.dave.stop();
});

test('the workload runs on the winner; attestations pay per attested block; access details open with the developer\'s key',
  { timeout: 300_000 }, async () => {
    const id = jobs.open;
    const price = 7n * MILLI;
    const first = await waitForEvents(jobs.from, (evs) => evs.find(paidStretch(id)), 'the first attestation');
    const a = first.event.data;
    const blocks = BigInt(a.to.toNumber() - a.from.toNumber());
    assert.ok(blocks >= 10n, 'at least AttestationInterval blocks');
    assert.equal(a.earned.toBigInt(), blocks * price);
    // The developer watches the accrued payment grow through the runtime API.
    const view = (await api.call.marketplaceApi.job(id)).unwrap();
    assert.ok(view.lease.unwrap().accrued.toBigInt() >= blocks * price);
    const second = await waitForEvents(first.block + 1, (evs) => evs.find(paidStretch(id)), 'the second attestation');
    assert.equal(second.event.data.accrued.toBigInt(), a.accrued.toBigInt() + second.event.data.earned.toBigInt());
    // Access details, sealed to Bob's key, published once.
    const sealed = (await api.query.marketplace.access(id)).unwrap();
    // Sealed to Bob's key, with this job's own credential (never another tenant's).
    const opened = openAccess(Buffer.from(sealed.toU8a(true)));
    assert.match(opened, new RegExp(`^ssh://gpu\\.example\\.net:2222 user=job${id} password=[0-9a-f]{32}$`));
    // The exec runner started what Eve's operator mapped, and only that.
    const log = readFileSync(nodes.eve.logPath, 'utf8');
    assert.match(log, new RegExp(`job ${id}: started sh -c echo crucible job`));
    assert.match(log, /job \d+: bidding 7000000000 per block/);
    // A stranger cannot claim; the provider can.
    let r = await submit(api, api.tx.marketplace.claim(id), who.charlie);
    assert.equal(r.error, 'marketplace.NotLeaseProvider');
    r = await submit(api, api.tx.marketplace.claim(id), who.eve);
    assert.equal(r.error, null);
    const paid = r.events.find(({ event }) => api.events.marketplace.Paid.is(event)).event.data;
    assert.equal(paid.fee.toBigInt(), (paid.amount.toBigInt() + paid.fee.toBigInt()) * FEE_PERCENT / 100n);
  });

test('a workload no operator mapped is refused and the developer refunded', { timeout: 240_000 }, async () => {
  const id = jobs.refused;
  const ended = await waitForEvents(jobs.from, (evs) => evs.find(mk('JobEnded', id)), 'the refused job\'s end');
  // The named reason travels with the end: the operator mapped no command to the image.
  const { end } = ended.event.data;
  assert.ok(end.isRefused, end.toString());
  assert.equal(end.asRefused.reason.type, 'UnknownWorkload');
  const leased = (await eventsSince(jobs.from)).find(mk('LeaseStarted', id)).event.data;
  assert.equal(ended.event.data.refunded.toBigInt(), leased.escrow.toBigInt() + JOB_DEPOSIT);
  const winner = nodes[leased.provider.toString() === who.eve.address ? 'eve' : 'dave'];
  assert.match(readFileSync(winner.logPath, 'utf8'), /REFUSED: workload image .* is not in this operator's workload map/);
});

test('completion, the dispute window, settlement: the protocol fee\'s burn share is burned, the rest funds the treasury',
  { timeout: 420_000 }, async () => {
  const id = jobs.open;
  const completed = await waitForEvents(jobs.from, (evs) => evs.find(mk('JobCompleted', id)), 'completion');
  const settled = await waitForEvents(completed.block, (evs) => evs.find(mk('JobEnded', id)), 'settlement');
  assert.equal(settled.event.data.end.toString(), 'Settled');
  assert.equal(settled.event.data.refunded.toBigInt(), JOB_DEPOSIT, 'every block attested: only the deposit back');
  const inBlock = (await eventsSince(settled.block)).filter((e) => e.block === settled.block);
  const paid = inBlock.find(mk('Paid', id)).event.data;
  const atBlock = async (n) => api.at(await api.rpc.chain.getBlockHash(n));
  const before = await atBlock(settled.block - 1);
  const after = await atBlock(settled.block);
  const [t0, t1] = [await before.call.emissionsApi.tokenomics(), await after.call.emissionsApi.tokenomics()];
  const share = t1.params.burnShare.toBigInt(); // parts per million
  // Burned in this block: emissions' burn share of each protocol fee and forfeited deposit (each
  // credit rounded down), unless a fee-paying transaction burned its share too.
  let burned = 0n;
  let toTreasury = 0n;
  const split = (amount) => {
    const b = amount * share / 1_000_000n;
    burned += b;
    toTreasury += amount - b;
  };
  for (const e of inBlock) {
    if (mk('Paid')(e)) split(e.event.data.fee.toBigInt());
    if (mk('BidWithdrawn')(e) || mk('CommitmentForfeited')(e)) split(e.event.data.forfeited.toBigInt());
    // A fee-paying transaction or a slash moves the figures too: skip the exact checks.
    if (e.event.section === 'transactionPayment' || (e.event.section === 'providers' && e.event.method === 'Slashed')) burned = null;
    if (burned === null) break;
  }
  const burnedInBlock = t1.burned.toBigInt() - t0.burned.toBigInt();
  const mintedInBlock = t1.minted.toBigInt() - t0.minted.toBigInt();
  const drop = (await before.query.balances.totalIssuance()).toBigInt() -
    (await after.query.balances.totalIssuance()).toBigInt();
  assert.ok(paid.fee.toBigInt() > 0n);
  assert.ok(burnedInBlock > 0n, 'part of the fee was burned');
  assert.equal(drop, burnedInBlock - mintedInBlock, 'total issuance moved by exactly burned − minted');
  if (burned !== null) assert.equal(burnedInBlock, burned, 'the burn share of the protocol fee was burned');
  else assert.ok(burnedInBlock >= paid.fee.toBigInt() * share / 1_000_000n);
  // The treasury (`modlpy/trsry` padded) got the rest, when no era closed in this block.
  const treasury = u8aConcat(stringToU8a('modlpy/trsry'), new Uint8Array(20));
  const treasuryGain = (await after.query.system.account(treasury)).data.free.toBigInt() -
    (await before.query.system.account(treasury)).data.free.toBigInt();
  if (burned !== null && mintedInBlock === 0n) assert.equal(treasuryGain, toTreasury, 'the rest went to the treasury');
  else assert.ok(treasuryGain > 0n);
});

test('a provider node stopped mid-lease: the lease fails, the developer is refunded and compensated',
  { timeout: 600_000 }, async () => {
    const id = jobs.dave;
    const attested = jobs.daveAttested;
    const ended = await waitForEvents(attested.block, (evs) => evs.find(mk('JobEnded', id)), 'the abandoned lease', 540_000);
    assert.equal(ended.event.data.end.toString(), 'Abandoned');
    const evs = (await eventsSince(attested.block)).filter((e) => e.block === ended.block);
    const slashed = evs.find(mk('ProviderSlashed', id)).event.data;
    assert.equal(slashed.provider.toString(), who.dave.address);
    assert.equal(slashed.reason.toString(), 'AbandonedLease');
    assert.ok(slashed.compensation.toBigInt() > 0n, 'the slash compensates the developer');
    // Attested blocks are paid; everything else comes back.
    const lease = (await eventsSince(jobs.from)).find(mk('LeaseStarted', id)).event.data;
    const earned = (await eventsSince(jobs.from)).filter(mk('WorkAttested', id))
      .reduce((s, e) => s + e.event.data.earned.toBigInt(), 0n);
    assert.equal(ended.event.data.refunded.toBigInt(), lease.escrow.toBigInt() - earned + JOB_DEPOSIT);
  });
