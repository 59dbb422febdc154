// A free-transaction flood against a dev node with one honest proving provider (Eve, whose node
// holds her attestation key, computes her challenges on the cpu backend and bids from a policy).
// An attacker registers a provider with an attestation key it holds itself (never proven) and
// submits thousands of free general transactions signed by that key: node bids that its call
// would refuse (not eligible, above the maximum price, expired, replayed) and attestations for
// a lease it does not have. Every one must be refused by the pool (authorize runs every check
// of the call), and Eve's commitments, openings and bid must land in their windows meanwhile.
// Then 500 distinct standing offers from that key: the pool takes one.
// The report prints how many of the flood the pool admitted. The provider's node serves only
// safe RPC methods on localhost too (its tenants' workloads run on the same host).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { compactAddLength, compactToU8a, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { withDevNode, submit } from '../lib/node.js';
import { eventLog } from '../lib/events.js';
import { h100Host, jsAttestationKey, nodeAttestationKey } from '../lib/providers.js';

const CRU = 10n ** 12n;
const MILLI = CRU / 1_000n;
const BOND = 1_000n * CRU;
const FLOOD_BIDS = 2_000;
const FLOOD_ATTESTATIONS = 1_000;
const FLOOD_OFFERS = 500;

const keyring = new Keyring({ type: 'sr25519' });
const eve = keyring.addFromUri('//Eve');
const bob = keyring.addFromUri('//Bob');
const ferdie = keyring.addFromUri('//Ferdie');
let made;
let eventsSince;
let waitForEvents;

const uuid = (host, i) => u8aToHex(new Uint8Array([0xf1, host, i, ...new Array(13).fill(0x33)]));

const args = ['--compute-backend', 'cpu'];
const net = withDevNode({
  args,
  prepare: (basePath) => {
    made = nodeAttestationKey(basePath, eve.address);
    const policy = join(basePath, 'bid-policy.json');
    writeFileSync(policy, JSON.stringify({ minPricePerGpu: { H100: (5n * MILLI).toString() }, maxLeases: 4 }));
    args.push('--bid-policy', policy);
  },
  ready: async (api) => {
    ({ eventsSince, waitForEvents } = eventLog(api));
  },
});

/** A free general (v5) extrinsic of `call`: version 5 | general, extension version 0, then the
 * extensions' explicit data (immortal era, nonce 0, tip 0), then the call (polkadot.js 16.5
 * signs only v4; the same bytes as `load/heartbeats.mjs`). */
function general(call) {
  const body = u8aConcat(new Uint8Array([0x45, 0x00, 0x00, 0x00, 0x00]), call.method.toU8a());
  return u8aToHex(u8aConcat(compactToU8a(body.length), body));
}

/** `SCALE(context, genesis hash, value)`: what an attestation key signs. */
function payload(api, context, value) {
  return u8aConcat(compactAddLength(stringToU8a(context)), compactAddLength(api.genesisHash.toU8a()), value.toU8a());
}

/** Submits every extrinsic (`concurrency` at a time); how many the pool admitted, and why the
 * others were refused (the first error message of each kind). */
async function flood(api, xts, concurrency = 32) {
  let admitted = 0;
  const refusals = new Map();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < xts.length) {
      const xt = xts[next++];
      try {
        await api.rawRpc('author_submitExtrinsic', [xt]);
        admitted += 1;
      } catch (e) {
        const why = String(e.message).replace(/0x[0-9a-f]+/g, '…');
        refusals.set(why, (refusals.get(why) ?? 0) + 1);
      }
    }
  }));
  return { admitted, refusals };
}

test('one honest host proves itself; an attacker registers a key it holds, never proven', { timeout: 300_000 }, async () => {
  const { api } = net;
  const from = (await api.rpc.chain.getHeader()).number.toNumber();
  let r = await submit(api, api.tx.providers.register(h100Host((i) => uuid(1, i), 1),
    made.attestationKey, made.keyProof, 'https://eve.example.net', { country: 'DE', metro: null }, BOND), eve);
  assert.equal(r.error, null);
  net.attacker = await jsAttestationKey(api, keyring, '//FerdieFloodKey', ferdie);
  r = await submit(api, api.tx.providers.register(h100Host((i) => uuid(2, i), 1),
    net.attacker.key, net.attacker.proof, 'https://f.example.net', { country: 'DE', metro: null }, BOND), ferdie);
  assert.equal(r.error, null);
  await waitForEvents(from, (evs) => evs.find((e) => e.event.section === 'providers' &&
    e.event.method === 'StatusChanged' && e.event.data.provider.toString() === eve.address &&
    e.event.data.to.toString() === 'Active'), 'Eve Active');
});

test('a provider node serves no unsafe RPC method to its host, even on localhost', async () => {
  const { api } = net;
  // A tenant's workload on the same host must not insert keys or rewrite the worker's records.
  await assert.rejects(api.rawRpc('author_insertKey', ['crat', '//Tenant', `0x${'11'.repeat(32)}`]),
    (e) => /unsafe/i.test(String(e.message)), 'author_insertKey refused');
  await assert.rejects(api.rawRpc('offchain_localStorageSet', ['PERSISTENT', '0x00', '0x00']),
    (e) => /unsafe/i.test(String(e.message)), 'offchain_localStorageSet refused');
  // Safe methods still answer.
  assert.ok((await api.rpc.system.health()).peers !== undefined);
});

test('a flood of failing free transactions is refused by the pool while the honest host proves and bids', { timeout: 400_000 }, async () => {
  const { api } = net;
  // A job for one H100, open long enough for the flood; Eve's node bids from its policy.
  const posted = await submit(api, api.tx.marketplace.postJob({
    requirement: { minVramMib: 40_000, minGpuCount: 1, vendor: 'Nvidia', model: null, country: null },
    minReputation: 0,
    workload: { image: `0x${'aa'.repeat(32)}`, manifest: `0x${'22'.repeat(32)}`, accessKey: `0x${'07'.repeat(32)}` },
    duration: 20,
    maxPricePerBlock: 20n * MILLI,
    bidWindow: 60,
    auction: 'Open',
  }, null), bob);
  assert.equal(posted.error, null);
  const job = posted.events.find(({ event }) => api.events.marketplace.JobPosted.is(event)).event.data.job.toNumber();

  const start = (await api.rpc.chain.getHeader()).number.toNumber();
  const bidType = api.tx.marketplace.bidFromNode.meta.args[0].type.toString();
  const attestationType = api.tx.marketplace.attest.meta.args[0].type.toString();
  const { pair } = net.attacker;
  const xts = [];
  for (let i = 0; i < FLOOD_BIDS; i++) {
    // Distinct bytes each: the price, the lifetime; some above the maximum, some expired.
    const price = i % 4 === 0 ? 21n * MILLI + BigInt(i) : MILLI + BigInt(i);
    const validUntil = i % 5 === 0 ? Math.max(start - 1, 0) : start + 1 + (i % 9);
    const bid = api.createType(bidType, {
      provider: ferdie.address, job, action: { Place: { price } }, validUntil, withdrawals: 0,
    });
    const signature = pair.sign(payload(api, 'crucible:market:bid:v1', bid));
    xts.push(general(api.tx.marketplace.bidFromNode(bid, signature)));
  }
  for (let i = 0; i < FLOOD_ATTESTATIONS; i++) {
    // A refusal of a lease the attacker does not have (job ids that have none).
    const attestation = api.createType(attestationType, {
      provider: ferdie.address, job: job + 1 + i, from: 0, to: 0, report: { Refused: { reason: 'RunnerFailed' } },
    });
    const signature = pair.sign(payload(api, 'crucible:market:v1', attestation));
    xts.push(general(api.tx.marketplace.attest(attestation, signature)));
  }
  const began = Date.now();
  const { admitted, refusals } = await flood(api, xts);
  const seconds = ((Date.now() - began) / 1000).toFixed(1);
  console.log(`flood: ${xts.length} free transactions (${FLOOD_BIDS} node bids, ${FLOOD_ATTESTATIONS} attestations) `
    + `from one unproven provider's key in ${seconds} s: ${admitted} admitted by the pool`);
  for (const [why, n] of refusals) console.log(`  refused ${n}×: ${why}`);
  assert.equal(admitted, 0, 'the pool admits no free transaction its call would refuse');

  // Standing offers are free and the attacker's registered key may publish one — once: the pool
  // keeps one offer per provider, and the chain one per `OfferPeriod`.
  const offerType = api.tx.marketplace.publishOffer.meta.args[0].type.toString();
  const now = (await api.rpc.chain.getHeader()).number.toNumber();
  const offerXts = [];
  for (let i = 0; i < FLOOD_OFFERS; i++) {
    const offer = api.createType(offerType, {
      provider: ferdie.address,
      offer: { pricePerGpu: MILLI + BigInt(i), maxLeases: 1 + (i % 4), maxDuration: null },
      validUntil: now + 2 + (i % 8),
    });
    const signature = pair.sign(payload(api, 'crucible:market:offer:v1', offer));
    offerXts.push(general(api.tx.marketplace.publishOffer(offer, signature)));
  }
  const offered = await flood(api, offerXts);
  console.log(`flood: ${offerXts.length} standing offers from that key: ${offered.admitted} admitted by the pool`);
  for (const [why, n] of offered.refusals) console.log(`  refused ${n}×: ${why}`);
  assert.ok(offered.admitted >= 1 && offered.admitted <= 2, `the pool took ${offered.admitted}: one offer per provider`);
  // On chain: one offer, and the rest refused for a period.
  const offersAt = (await api.rpc.chain.getHeader()).number.toNumber();
  const published = await waitForEvents(now, (evs) => {
    const mine = evs.filter((e) => e.event.section === 'marketplace' && e.event.method === 'OfferPublished' &&
      e.event.data.provider.toString() === ferdie.address);
    return evs.some((e) => e.block >= offersAt + 2) && mine;
  }, 'two blocks after the offers');
  assert.equal(published.length, 1, 'one standing offer on chain');

  // Meanwhile, and after: Eve's next two challenges are committed, opened and passed in their
  // windows, and her node's bid lands.
  const passed = await waitForEvents(start, (evs) => {
    const p = evs.filter((e) => e.event.section === 'proofOfCompute' && e.event.method === 'ChallengePassed' &&
      e.event.data.provider.toString() === eve.address);
    return p.length >= 2 && p;
  }, 'two of Eve\'s challenges passed after the flood began');
  const evs = await eventsSince(start);
  for (const e of passed.slice(0, 2)) {
    const period = e.event.data.period.toNumber();
    const info = (await (await api.at(e.hash)).query.proofOfCompute.currentPeriod()).unwrap()[1];
    const committed = evs.find((c) => c.event.section === 'proofOfCompute' && c.event.method === 'Committed' &&
      c.event.data.provider.toString() === eve.address && c.event.data.period.toNumber() === period);
    assert.ok(committed, `period ${period}: committed`);
    const commitUntil = info.start.toNumber() + info.params.commitWindow.toNumber();
    assert.ok(committed.block <= commitUntil, `period ${period}: committed by block ${commitUntil}`);
    assert.ok(e.block <= info.start.toNumber() + info.params.openWindow.toNumber(), `period ${period}: opened in its window`);
  }
  const bid = evs.find((e) => e.event.section === 'marketplace' && e.event.method === 'BidPlaced' &&
    e.event.data.provider.toString() === eve.address && e.event.data.job.toNumber() === job);
  assert.ok(bid, 'Eve\'s node bid landed');
  assert.ok(!evs.some((e) => e.event.section === 'marketplace' && e.event.method === 'BidPlaced' &&
    e.event.data.provider.toString() === ferdie.address), 'no bid of the attacker');
});
