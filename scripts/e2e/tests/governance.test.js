// Emissions and OpenGov on a real dev chain, through @polkadot/api (no custom types):
//  - a referendum on the `emissions_admin` track (preimage → submit → decision deposit → aye with
//    conviction → enacted) changes the decay, and the next era's mint follows it;
//  - a referendum that moves the decay past the bound is enacted but its call fails by name;
//  - Eve's host (on Alice's validator node) proves itself and claims its share of the era;
//  - fees burn: `tokenomics()` and the total issuance agree (genesis + minted − burned).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import { withDevNode, submit } from '../lib/node.js';
import { eventLog } from '../lib/events.js';
import { h100Host, nodeAttestationKey } from '../lib/providers.js';

const CRU = 10n ** 12n;
const BOND = 1_000n * CRU;
const PERBILL = 1_000_000_000n;

let api;
let alice;
let bob;
let eve;
let eventsSince;
let waitForEvents;

withDevNode({
  args: ['--compute-backend', 'cpu'],
  prepare: (basePath) => {
    const keyring = new Keyring({ type: 'sr25519' });
    alice = keyring.addFromUri('//Alice');
    bob = keyring.addFromUri('//Bob');
    eve = keyring.addFromUri('//Eve');
    eve.made = nodeAttestationKey(basePath, eve.address);
  },
  ready: (connected) => {
    api = connected;
    ({ eventsSince, waitForEvents } = eventLog(api));
  },
});

const best = async () => (await api.rpc.chain.getHeader()).number.toNumber();
const find = (evs, section, method, pred = () => true) =>
  evs.find((e) => e.event.section === section && e.event.method === method && pred(e.event.data));

/** Notes `call`'s preimage, submits it on the track of `origin`, places the decision deposit. */
async function propose(who, origin, call) {
  const bytes = call.method.toHex();
  const hash = call.method.hash.toHex();
  let r = await submit(api, api.tx.preimage.notePreimage(bytes), who);
  assert.equal(r.error, null, 'preimage noted');
  r = await submit(api, api.tx.referenda.submit(origin, { Lookup: { hash, len: call.method.encodedLength } },
    { After: 1 }), who);
  assert.equal(r.error, null, 'referendum submitted');
  const index = r.events.find(({ event }) => api.events.referenda.Submitted.is(event)).event.data.index.toNumber();
  r = await submit(api, api.tx.referenda.placeDecisionDeposit(index), who);
  assert.equal(r.error, null, 'decision deposit placed');
  return index;
}

/** Waits for the scheduler to dispatch referendum `index`'s call; returns its result. */
async function enacted(index, from) {
  const approved = await waitForEvents(from, (evs) => find(evs, 'referenda', 'Confirmed',
    (d) => d.index.toNumber() === index), `referendum ${index} confirmed`, 300_000);
  assert.ok((await api.query.referenda.referendumInfoFor(index)).unwrap().isApproved);
  const dispatched = await waitForEvents(approved.block, (evs) => evs.find((e) =>
    e.event.section === 'scheduler' && e.event.method === 'Dispatched' &&
    e.event.data.id.isSome && e.event.data.id.unwrap().toU8a().length > 0 &&
    e.block > approved.block), `referendum ${index} enacted`, 120_000);
  return dispatched;
}

const decayOf = async () => (await api.query.emissions.params()).decay.toBigInt();

test('the governance tracks and the emission parameters are readable without custom types',
  { timeout: 60_000 }, async () => {
    // Names are fixed-size (zero-padded) byte strings, as on Polkadot; Apps shows them trimmed.
    const tracks = api.consts.referenda.tracks.map(([id, info]) =>
      [id.toNumber(), info.name.toString().replace(/\0+$/, '')]);
    assert.deepEqual(tracks, [[0, 'root'], [1, 'emissions_admin'], [2, 'treasurer'], [3, 'disputes']]);
    assert.ok(api.tx.sudo, 'the dev chain keeps sudo');
    const t = await api.call.emissionsApi.tokenomics();
    assert.equal(t.eraLength.toNumber(), 20, 'dev eras last 20 blocks');
    assert.equal(t.params.decay.toBigInt(), PERBILL / 1000n, '0.1% a day on the mainnet parameters');
    assert.equal(t.supply.toBigInt(), (await api.query.balances.totalIssuance()).toBigInt());
  });

test('Eve\'s host registers with its node\'s attestation key', { timeout: 120_000 }, async () => {
  const uuid = (i) => u8aToHex(new Uint8Array([0xe0, 1, i, ...new Array(13).fill(0x22)]));
  const { error } = await submit(api, api.tx.providers.register(h100Host(uuid, 1), eve.made.attestationKey,
    eve.made.keyProof, 'https://gpu.example.net', { country: 'DE', metro: null }, BOND), eve);
  assert.equal(error, null);
  eve.registeredAt = await best();
});

test('a referendum on the emissions track changes the decay; the next era mints by it',
  { timeout: 600_000 }, async () => {
    const from = await best();
    const before = await decayOf();
    const params = (await api.query.emissions.params()).toJSON();
    // 0.1% → 0.11%: within the bound (10% of the value).
    const newDecay = before + before / 10n;
    const call = api.tx.emissions.setParams({ ...params, decay: newDecay });
    const index = await propose(bob, { Origins: 'EmissionsAdmin' }, call);
    const info = await api.query.referenda.referendumInfoFor(index);
    assert.ok(info.unwrap().isOngoing);
    assert.equal(info.unwrap().asOngoing.track.toNumber(), 1, 'on the emissions_admin track');

    const vote = { Standard: { vote: { aye: true, conviction: 'Locked3x' }, balance: 100_000n * CRU } };
    const r = await submit(api, api.tx.convictionVoting.vote(index, vote), alice);
    assert.equal(r.error, null);
    const oldEmission = (await api.call.emissionsApi.tokenomics()).nextEmission.toBigInt();

    const dispatched = await enacted(index, from);
    assert.ok(dispatched.event.data.result.isOk, 'the enacted call succeeded');
    const evs = await eventsSince(dispatched.block);
    assert.ok(find(evs, 'emissions', 'ParamsSet'), 'ParamsSet event');
    assert.equal(await decayOf(), newDecay);
    // Alice's vote is locked with conviction.
    const locks = await api.query.balances.locks(alice.address);
    assert.ok(locks.some((l) => l.id.toUtf8().startsWith('pyconvot')), 'the vote locks Alice\'s balance');

    // The running era's emission, now and at its close, follows the new decay.
    const t = await api.call.emissionsApi.tokenomics();
    const era = t.era.toNumber();
    const emission = t.nextEmission.toBigInt();
    if (era > 0) assert.ok(emission < oldEmission, `a larger decay mints less (${emission} < ${oldEmission})`);
    const initial = t.params.initial.toBigInt();
    const exact = Number(initial) * (1 - Number(newDecay) / 1e9) ** era;
    assert.ok(Math.abs(Number(emission) - exact) / exact < 1e-6, `E(${era}) = ${emission}, ~${exact}`);
    const closed = await waitForEvents(dispatched.block, (e) => find(e, 'emissions', 'EraClosed',
      (d) => d.era.toNumber() === era), `era ${era} closes`, 300_000);
    const d = closed.event.data;
    assert.equal(d.validators.toBigInt(), emission / 5n, 'validators: 20% of E');
    assert.equal(d.treasury.toBigInt(), emission / 10n, 'treasury: 10% of E');
    const pools = d.computePool.toBigInt() + d.leasePool.toBigInt();
    assert.equal(d.minted.toBigInt(), d.validators.toBigInt() + d.treasury.toBigInt() + pools);
    if (pools > 0n) assert.equal(pools, emission - emission / 5n - emission / 10n, 'providers: the rest');
  });

test('a referendum that moves the decay past the bound fails by name', { timeout: 600_000 }, async () => {
  const from = await best();
  const params = (await api.query.emissions.params()).toJSON();
  const before = BigInt(params.decay);
  const call = api.tx.emissions.setParams({ ...params, decay: before * 2n });
  const index = await propose(bob, { Origins: 'EmissionsAdmin' }, call);
  const vote = { Standard: { vote: { aye: true, conviction: 'Locked1x' }, balance: 100_000n * CRU } };
  assert.equal((await submit(api, api.tx.convictionVoting.vote(index, vote), alice)).error, null);
  const dispatched = await enacted(index, from);
  const result = dispatched.event.data.result;
  assert.ok(result.isErr, 'the enacted call failed');
  const meta = api.registry.findMetaError(result.asErr.asModule);
  assert.equal(`${meta.section}.${meta.name}`, 'emissions.DecayChangeTooLarge');
  assert.equal(await decayOf(), before, 'the decay did not move');
  // A signed account cannot change them at all.
  const { error } = await submit(api, api.tx.emissions.setParams({ ...params, decay: before * 2n }), bob);
  assert.equal(error, 'BadOrigin');
});

test('Eve proves her host and claims her share of the era\'s providers\' pool', { timeout: 600_000 }, async () => {
  const passed = await waitForEvents(eve.registeredAt, (evs) => find(evs, 'proofOfCompute', 'ChallengePassed',
    (d) => d.provider.toString() === eve.address), 'Eve passes a challenge', 400_000);
  const era = await (async () => {
    const at = await api.at(passed.hash);
    return (await at.query.emissions.currentEra()).toNumber();
  })();
  const closed = await waitForEvents(passed.block, (evs) => find(evs, 'emissions', 'EraClosed',
    (d) => d.era.toNumber() === era), `era ${era} closes`, 300_000);
  assert.ok(closed.event.data.computePool.toBigInt() > 0n, 'verified compute was paid for');
  const claimable = (await api.call.emissionsApi.claimable(eve.address, era)).toBigInt();
  assert.ok(claimable > 0n, 'Eve has a share');
  const record = (await api.call.emissionsApi.era(era)).unwrap();
  const work = (await api.query.emissions.providerWork(eve.address)).find((w) => w.era.toNumber() === era);
  // Eve is the only prover: her share is the whole compute pool, pro rata to her units.
  assert.equal(claimable, record.computePool.toBigInt() * work.computeUnits.toBigInt() /
    record.computeUnits.toBigInt());
  const freeBefore = (await api.query.system.account(eve.address)).data.free.toBigInt();
  const { error, events } = await submit(api, api.tx.emissions.claim(era), eve);
  assert.equal(error, null);
  const claimed = events.find(({ event }) => api.events.emissions.Claimed.is(event)).event.data;
  assert.equal(claimed.amount.toBigInt(), claimable);
  const freeAfter = (await api.query.system.account(eve.address)).data.free.toBigInt();
  assert.ok(freeAfter > freeBefore, 'paid (less the claim\'s fee)');
  const again = await submit(api, api.tx.emissions.claim(era), eve);
  assert.equal(again.error, 'emissions.NothingToClaim');
});

test('fees burn, and tokenomics() agrees with the total issuance', { timeout: 120_000 }, async () => {
  const t0 = await api.call.emissionsApi.tokenomics();
  const { error } = await submit(api, api.tx.balances.transferKeepAlive(bob.address, 5n * CRU), alice);
  assert.equal(error, null);
  const t1 = await api.call.emissionsApi.tokenomics();
  assert.ok(t1.burned.toBigInt() > t0.burned.toBigInt(), 'half of the fee was burned');
  const issuance = (await api.query.balances.totalIssuance()).toBigInt();
  assert.equal(t1.supply.toBigInt(), issuance);
  assert.equal(issuance, t1.genesisIssuance.toBigInt() + t1.minted.toBigInt() - t1.burned.toBigInt(),
    'total issuance = genesis + minted − burned');
  // Burning by hand is filtered out: every burn is on record.
  const burn = await submit(api, api.tx.balances.burn(CRU, false), bob);
  assert.equal(burn.error, 'system.CallFiltered');
});
