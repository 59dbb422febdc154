// A GPU provider's life on the dev chain through @polkadot/api: its node makes the attestation
// key, it registers with a bond (held), the runtime API finds it, it bonds more, unbonds, waits
// out the dev unbonding period and withdraws. Bad registrations fail by name and hold nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import {
  withDevNode, waitForBlock, submit, runCli,
} from '../lib/node.js';
import { jsAttestationKey, h100Host } from '../lib/providers.js';

const CRU = 10n ** 12n;
let api;
let keyring;
let provider; // registers through its node's attestation key
let other; // the one whose attempts fail

const dev = withDevNode({
  ready: (connected) => {
    api = connected;
    keyring = new Keyring({ type: 'sr25519' });
    provider = keyring.addFromUri('//Eve');
    other = keyring.addFromUri('//Ferdie');
  },
});

const uuid = (host, i) => u8aToHex(new Uint8Array([host, i, ...new Array(14).fill(0xab)]));

const host100 = (host, gpus) => h100Host((i) => uuid(host, i), gpus, { cpuCores: 64, ramMib: 512 * 1024, storageGib: 4_000 });

const frankfurt = { country: 'DE', metro: 'FRA' };
const endpoint = 'https://gpu.example.net:8443';

/** The bond held from `who` under the registry's hold reason (at the best block, or `at`'s). */
async function bondHeld(who, at = api) {
  const holds = await at.query.balances.holds(who.address);
  const mine = holds.filter((h) => h.id.toString().includes('ProviderBond'));
  return mine.reduce((sum, h) => sum + h.amount.toBigInt(), 0n);
}

const free = async (who) => (await api.query.system.account(who.address)).data.free.toBigInt();
const feeOf = (events) => events
  .find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event))
  .event.data[1].toBigInt();

/** An attestation key held in JS, and its ownership proof for `who` (what the node signs). */
const jsKey = (seed, who) => jsAttestationKey(api, keyring, seed, who);

test('a provider registers with the key its node made, and the bond is held', async () => {
  // 1. On the GPU host: the node puts the attestation key in its keystore and proves it.
  const basePath = dev.main.basePath;
  const out = runCli(['provider', 'attestation-key', '--dev', '--base-path', basePath, '--account', provider.address]);
  assert.equal(out.status, 0, out.stderr);
  const made = JSON.parse(out.stdout);
  assert.match(made.attestationKey, /^0x[0-9a-f]{64}$/);
  assert.match(made.keyProof, /^0x[0-9a-f]{128}$/);
  // Run again, it answers with the same key (the one in the keystore).
  const again = JSON.parse(runCli(['provider', 'attestation-key', '--dev', '--base-path', basePath, '--account', provider.address]).stdout);
  assert.equal(again.attestationKey, made.attestationKey);

  // 2. From the provider's funded account: register with a bond.
  const bond = 1_000n * CRU;
  const freeBefore = await free(provider);
  const { events, error } = await submit(api, api.tx.providers.register(
    host100(1, 2), made.attestationKey, made.keyProof, endpoint, frankfurt, bond), provider);
  assert.equal(error, null);
  const registered = events.find(({ event }) => api.events.providers.ProviderRegistered.is(event));
  assert.ok(registered, 'a ProviderRegistered event');
  assert.equal(registered.event.data.provider.toString(), provider.address);
  assert.equal(registered.event.data.bond.toBigInt(), bond);

  assert.equal(await bondHeld(provider), bond, 'the bond is held');
  assert.equal(await free(provider), freeBefore - bond - feeOf(events));
  const record = (await api.query.providers.providers(provider.address)).unwrap();
  assert.equal(record.status.toString(), 'Registered');
  assert.equal(record.attestationKey.toHex(), made.attestationKey);
  assert.equal(
    (await api.query.providers.attestationKeyOwner(made.attestationKey)).unwrap().toString(),
    provider.address);
  assert.equal((await api.query.providers.gpuOwner(uuid(1, 0))).unwrap().toString(), provider.address);
});

test('the runtime API finds the provider by hardware requirement', async () => {
  const rec = await api.call.providersApi.provider(provider.address);
  assert.ok(rec.isSome, 'the record through ProvidersApi.provider');
  assert.equal(rec.unwrap().profile.gpus[0].count.toNumber(), 2);

  const twoH100sInGermany = {
    minVramMib: 80_000, minGpuCount: 2, vendor: 'Nvidia', model: null, country: 'DE',
  };
  const page = await api.call.providersApi.providersMatching(twoH100sInGermany, true, null, 10);
  assert.deepEqual(page.providers.map((a) => a.toString()), [provider.address]);
  assert.ok(page.next.isNone, 'one page holds them all');
  // Not proven yet: not offered when only proven (Active) providers are asked for.
  const proven = await api.call.providersApi.providersMatching(twoH100sInGermany, false, null, 10);
  assert.equal(proven.providers.length, 0);
  // Requirements it does not meet.
  for (const req of [
    { ...twoH100sInGermany, minGpuCount: 3 },
    { ...twoH100sInGermany, minVramMib: 100_000 },
    { ...twoH100sInGermany, vendor: 'Amd' },
    { ...twoH100sInGermany, country: 'US' },
  ]) {
    const none = await api.call.providersApi.providersMatching(req, true, null, 10);
    assert.equal(none.providers.length, 0, JSON.stringify(req));
  }
});

test('bond_extra, unbond, the dev unbonding period, withdraw_unbonded', async () => {
  const heldBefore = await bondHeld(provider);
  const extra = await submit(api, api.tx.providers.bondExtra(500n * CRU), provider);
  assert.equal(extra.error, null);
  assert.equal(await bondHeld(provider), heldBefore + 500n * CRU);

  const unbond = await submit(api, api.tx.providers.unbond(700n * CRU), provider);
  assert.equal(unbond.error, null);
  const unbonding = unbond.events.find(({ event }) => api.events.providers.Unbonding.is(event));
  const unlockAt = unbonding.event.data.unlockAt.toNumber();
  const period = (await api.query.providers.unbondingPeriod()).toNumber();
  assert.ok(period <= 10, `the dev chain unbonds fast (${period} blocks)`);
  // Unbonding funds stay held (and slashable) until withdrawn.
  assert.equal(await bondHeld(provider), heldBefore + 500n * CRU);
  const record = (await api.query.providers.providers(provider.address)).unwrap();
  assert.equal(record.bond.toBigInt(), heldBefore + 500n * CRU - 700n * CRU);

  const early = await submit(api, api.tx.providers.withdrawUnbonded(), provider);
  assert.equal(early.error, 'providers.NothingToWithdraw');

  await waitForBlock(api, unlockAt);
  const freeBefore = await free(provider);
  const withdraw = await submit(api, api.tx.providers.withdrawUnbonded(), provider);
  assert.equal(withdraw.error, null);
  const withdrawn = withdraw.events.find(({ event }) => api.events.providers.Withdrawn.is(event))
    .event.data.amount.toBigInt();
  // The provider's own node answers its challenges; on a loaded machine it may miss one while
  // we wait and be slashed. A slash takes the same share of the bond and of every unbonding
  // chunk, so what is withdrawn is the chunk as it stood, read in the state before the block.
  const header = await api.rpc.chain.getHeader(withdraw.blockHash);
  const before = await api.at(header.parentHash);
  const after = await api.at(withdraw.blockHash);
  const waited = (await before.query.providers.providers(provider.address)).unwrap();
  assert.equal(waited.unbonding.length, 1, 'one unbonding chunk');
  const chunk = waited.unbonding[0].amount.toBigInt();
  const slashedMeanwhile = heldBefore + 500n * CRU - await bondHeld(provider, before);
  if (slashedMeanwhile === 0n) assert.equal(chunk, 700n * CRU, 'no slash: the whole chunk');
  else assert.ok(chunk < 700n * CRU, 'a slash took its share of the chunk');
  const slashedInBlock = (await after.query.system.events()).some(({ event }) =>
    api.events.providers.Slashed.is(event) && event.data.provider.toString() === provider.address);
  if (slashedInBlock) assert.ok(withdrawn <= chunk);
  else assert.equal(withdrawn, chunk);
  const left = (await after.query.providers.providers(provider.address)).unwrap();
  assert.equal(left.unbonding.length, 0, 'the chunk is gone');
  assert.equal(await bondHeld(provider, after), left.bond.toBigInt(), 'only the active bond is held');
  assert.equal(await free(provider), freeBefore + withdrawn - feeOf(withdraw.events));
});

test('bad registrations fail with their named errors and hold nothing', async () => {
  // The minimum bond grows with the declared GPUs: MinBond + BondPerGpu × GPUs.
  const perGpu = api.consts.providers.bondPerGpu.toBigInt();
  assert.ok(perGpu > 0n, 'each GPU adds to the minimum bond');
  const minBond = api.consts.providers.minBond.toBigInt() + perGpu;
  const good = await jsKey('//FerdieAttest', other);

  const attempts = [
    ['registering twice', provider, api.tx.providers.register(
      host100(2, 1), good.key, good.proof, endpoint, frankfurt, minBond), 'providers.AlreadyRegistered'],
    ['a bond below the minimum for one GPU', other, api.tx.providers.register(
      host100(2, 1), good.key, good.proof, endpoint, frankfurt, minBond - 1n), 'providers.BondTooLow'],
    ['a bond of one GPU for two', other, api.tx.providers.register(
      host100(2, 2), good.key, good.proof, endpoint, frankfurt, minBond), 'providers.BondTooLow'],
    ['a GPU another provider registered', other, api.tx.providers.register(
      { ...host100(2, 2), gpuUuids: [uuid(2, 0), uuid(1, 1)] }, good.key, good.proof, endpoint, frankfurt, minBond + perGpu),
    'providers.GpuAlreadyRegistered'],
    ['a profile without GPUs', other, api.tx.providers.register(
      { ...host100(2, 1), gpus: [], gpuUuids: [] }, good.key, good.proof, endpoint, frankfurt, minBond),
    'providers.EmptyGpuList'],
    ['a lowercase country code', other, api.tx.providers.register(
      host100(2, 1), good.key, good.proof, endpoint, { country: 'de', metro: null }, minBond),
    'providers.InvalidRegion'],
    ['a key proven for someone else', other, api.tx.providers.register(
      host100(2, 1), good.key, (await jsKey('//FerdieAttest', provider)).proof, endpoint, frankfurt, minBond),
    'providers.InvalidKeyProof'],
  ];
  for (const [what, who, tx, expected] of attempts) {
    const heldBefore = await bondHeld(who);
    const freeBefore = await free(who);
    const { events, error } = await submit(api, tx, who);
    assert.equal(error, expected, what);
    // Nothing more held (a registered provider may meanwhile be slashed for a missed
    // challenge on a loaded machine: less held, never more).
    assert.ok(await bondHeld(who) <= heldBefore, `${what}: nothing more held`);
    assert.equal(await free(who), freeBefore - feeOf(events), `${what}: only the fee paid`);
  }
  assert.ok((await api.query.providers.providers(other.address)).isNone, 'no record was written');

  // The same account then registers correctly.
  const ok = await submit(api, api.tx.providers.register(
    host100(2, 1), good.key, good.proof, endpoint, frankfurt, minBond), other);
  assert.equal(ok.error, null);
  assert.equal(await bondHeld(other), minBond);
});
