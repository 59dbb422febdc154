// The dev chain as a user meets it through @polkadot/api: blocks, transfers, finality, errors,
// and a restart on the same base path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import {
  withDevNode, waitForBlock, waitForFinalized, submit,
} from '../lib/node.js';

const CRU = 10n ** 12n;
let api;
// Neither is the dev chain's validator: Alice authors every block and collects author rewards,
// which would blur exact balance checks.
let sender;
let receiver;
let operator;

const dev = withDevNode({
  ready: (connected) => {
    api = connected;
    const keyring = new Keyring({ type: 'sr25519' });
    sender = keyring.addFromUri('//Bob');
    receiver = keyring.addFromUri('//Charlie');
    operator = keyring.addFromUri('//Dave');
  },
});

const free = async (who) => (await api.query.system.account(who.address)).data.free.toBigInt();

test('the chain describes itself in CRU and produces blocks', async () => {
  const props = await api.rpc.system.properties();
  assert.equal(props.tokenSymbol.unwrap()[0].toString(), 'CRU');
  assert.equal(props.tokenDecimals.unwrap()[0].toNumber(), 12);
  assert.equal(api.runtimeVersion.specName.toString(), 'crucible');
  // Metadata v15+ carries the runtime APIs that polkadot.js `api.call` uses.
  assert.ok(api.call.babeApi && api.call.grandpaApi && api.call.sessionKeys,
    'runtime APIs are described in metadata');
  const start = (await api.rpc.chain.getHeader()).number.toNumber();
  await waitForBlock(api, start + 2);
  // BABE's randomness source is live: the epoch's randomness is 32 bytes.
  const epoch = await api.call.babeApi.currentEpoch();
  assert.equal(epoch.randomness.length, 32);
  assert.equal(epoch.authorities.length, 1);
});

test('Bob transfers to Charlie: the event and both balances say so', async () => {
  const amount = 123n * CRU;
  const senderBefore = await free(sender);
  const receiverBefore = await free(receiver);

  const { events, error } = await submit(
    api, api.tx.balances.transferKeepAlive(receiver.address, amount), sender);
  assert.equal(error, null);

  const transfer = events.find(({ event }) => api.events.balances.Transfer.is(event));
  assert.ok(transfer, 'a balances.Transfer event');
  const [from, to, value] = transfer.event.data;
  assert.equal(from.toString(), sender.address);
  assert.equal(to.toString(), receiver.address);
  assert.equal(value.toBigInt(), amount);

  const feeEvent = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event));
  assert.ok(feeEvent, 'a TransactionFeePaid event');
  const fee = feeEvent.event.data[1].toBigInt();
  assert.ok(fee > 0n, 'transactions cost a fee');

  assert.equal(await free(receiver), receiverBefore + amount);
  assert.equal(await free(sender), senderBefore - amount - fee);
});

test('finality advances', async () => {
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  const finalized = await waitForFinalized(api, best);
  assert.ok(finalized >= best);
});

test('a transfer of more than the balance fails with its named error and moves nothing', async () => {
  const receiverBefore = await free(receiver);
  const senderBefore = await free(sender);
  const tooMuch = senderBefore + 1n;

  const { events, error } = await submit(
    api, api.tx.balances.transferKeepAlive(receiver.address, tooMuch), sender);
  assert.equal(error, 'Token.FundsUnavailable');
  assert.ok(events.some(({ event }) => api.events.system.ExtrinsicFailed.is(event)));
  assert.ok(!events.some(({ event }) => api.events.balances.Transfer.is(event)));

  const fee = events.find(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event))
    .event.data[1].toBigInt();
  assert.equal(await free(receiver), receiverBefore, 'the receiver got nothing');
  assert.equal(await free(sender), senderBefore - fee, 'the sender paid only the fee');
});

test('a validator operator registers session keys and becomes a candidate', async () => {
  // 1. The node makes BABE and GRANDPA keys in its keystore and proves them for the owner.
  const generated = await api.rawRpc('author_rotateKeysWithOwner', [u8aToHex(operator.publicKey)]);
  assert.match(generated.keys, /^0x[0-9a-f]{128}$/, 'sr25519 BABE + ed25519 GRANDPA public keys');
  assert.ok(generated.proof, 'a proof of ownership');

  // 2. The owner registers them; a deposit is held for the entry.
  const setKeys = await submit(api, api.tx.session.setKeys(generated.keys, generated.proof), operator);
  assert.equal(setKeys.error, null);
  const nextKeys = await api.query.session.nextKeys(operator.address);
  assert.equal(nextKeys.unwrap().toHex(), generated.keys);

  // Keys proven for another owner are refused.
  const stolen = await submit(api, api.tx.session.setKeys(generated.keys, generated.proof), sender);
  assert.equal(stolen.error, 'session.InvalidProof');

  // 3. Candidacy reserves the bond.
  const bond = (await api.query.collatorSelection.candidacyBond()).toBigInt();
  const reservedBefore = (await api.query.system.account(operator.address)).data.reserved.toBigInt();
  const register = await submit(api, api.tx.collatorSelection.registerAsCandidate(), operator);
  assert.equal(register.error, null);
  assert.ok(register.events.some(({ event }) => api.events.collatorSelection.CandidateAdded.is(event)));
  const candidates = await api.query.collatorSelection.candidateList();
  const mine = candidates.find((c) => c.who.toString() === operator.address);
  assert.ok(mine, 'listed as a candidate');
  assert.equal(mine.deposit.toBigInt(), bond);
  const reservedAfter = (await api.query.system.account(operator.address)).data.reserved.toBigInt();
  assert.equal(reservedAfter - reservedBefore, bond);
});

test('a restart on the same base path keeps the chain and the balances', async () => {
  const receiverBefore = await free(receiver);
  const height = (await api.rpc.chain.getHeader()).number.toNumber();
  api = await dev.restart(dev.main);
  const after = (await api.rpc.chain.getHeader()).number.toNumber();
  assert.ok(after >= height, `height ${after} after restart, ${height} before`);
  assert.equal(await free(receiver), receiverBefore);
  // And it goes on producing blocks.
  await waitForBlock(api, after + 1);
});
