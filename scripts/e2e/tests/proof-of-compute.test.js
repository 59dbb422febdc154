// Proof of compute on a real dev chain, through @polkadot/api. Three provider hosts, each a node
// with its attestation key in its keystore and a cpu compute backend:
//  - Eve's (on Alice's validator node) is honest: it goes Registered → Active by itself and earns
//    verified compute units over several periods;
//  - Ferdie's node lies (a test-only flag corrupts 75% of its output): it is caught and slashed;
//  - Dave's node proves itself, then is stopped: it misses, is slashed and loses reputation.
// A worker's commitment replayed to the pool is refused; the node logs one line per challenge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import {
  withNodes, freePort, submit, sleep,
} from '../lib/node.js';
import { eventLog } from '../lib/events.js';
import { h100Host, nodeAttestationKey } from '../lib/providers.js';

// Alice's node key is fixed (0x…01), so her peer id is known and the others can dial her.
const ALICE_PEER = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp';
const CRU = 10n ** 12n;
const BOND = 1_000n * CRU;

const nodes = {};
let api;
let keyring;
const providers = {};

const uuid = (host, i) => u8aToHex(new Uint8Array([0xc0, host, i, ...new Array(13).fill(0x11)]));

const host100 = (host, gpus) => h100Host((i) => uuid(host, i), gpus);

let eventsSince;
let waitForEvents;

const of = (who, section, method) => (e) => e.event.section === section && e.event.method === method &&
  e.event.data[0].toString() === who.address;

withNodes(async (net) => {
  keyring = new Keyring({ type: 'sr25519' });
  providers.eve = keyring.addFromUri('//Eve');
  providers.ferdie = keyring.addFromUri('//Ferdie');
  providers.dave = keyring.addFromUri('//Dave');

  const alicePort = await freePort();
  const boot = `/ip4/127.0.0.1/tcp/${alicePort}/p2p/${ALICE_PEER}`;
  const layout = {
    eve: { chain: ['--dev'], extra: ['--node-key', '01'.padStart(64, '0'), '--compute-backend', 'cpu'] },
    ferdie: { chain: ['--chain', 'dev'], extra: ['--bootnodes', boot, '--offchain-worker', 'always',
      '--compute-backend', 'cpu', '--compute-lie-fraction', '0.75'] },
    dave: { chain: ['--chain', 'dev'], extra: ['--bootnodes', boot, '--offchain-worker', 'always',
      '--compute-backend', 'cpu'] },
  };
  for (const [name, { chain, extra }] of Object.entries(layout)) {
    const basePath = net.path();
    // On the GPU host, before the node starts: the attestation key and its proof.
    providers[name].made = nodeAttestationKey(basePath, providers[name].address);
    nodes[name] = net.node(extra, chain, basePath);
    if (name === 'eve') nodes[name].p2pPort = alicePort;
  }
  api = await net.start(nodes.eve);
  ({ eventsSince, waitForEvents } = eventLog(api));
  const others = await Promise.all([nodes.ferdie.start(), nodes.dave.start()]);
  await Promise.all(others.map((a) => a.disconnect()));
  assert.equal(api.genesisHash.toHex(), providers.eve.made.genesisHash, 'the CLI computed the genesis hash');
});

test('three hosts register with their nodes\' attestation keys', { timeout: 120_000 }, async () => {
  let host = 1;
  for (const who of Object.values(providers)) {
    const { events, error } = await submit(api, api.tx.providers.register(
      host100(host++, 2), who.made.attestationKey, who.made.keyProof,
      'https://gpu.example.net', { country: 'DE', metro: null }, BOND), who);
    assert.equal(error, null);
    assert.ok(events.some(({ event }) => api.events.providers.ProviderRegistered.is(event)));
    who.registeredAt = (await api.rpc.chain.getHeader()).number.toNumber();
  }
  const params = await api.call.proofOfComputeApi.params();
  assert.equal(params.period.toNumber(), 10, 'dev periods are 10 blocks');
});

test('an honest host proves itself: Registered → Active, then verified units period after period',
  { timeout: 400_000 }, async () => {
    const eve = providers.eve;
    const from = eve.registeredAt;
    const passes = await waitForEvents(from, (evs) => {
      const p = evs.filter(of(eve, 'proofOfCompute', 'ChallengePassed'));
      return p.length >= 2 && p;
    }, 'two passed challenges of Eve');
    const units = passes[0].event.data.units.toBigInt();
    // 2 H100s × 2 products each of 64 × 512 × 64 at the dev parameters: 2 · 4 · 64 · 512 · 64.
    assert.equal(units, 2n * 4n * 64n * 512n * 64n);
    assert.notEqual(passes[0].event.data.period.toNumber(), passes[1].event.data.period.toNumber());

    const record = (await api.query.providers.providers(eve.address)).unwrap();
    assert.equal(record.status.toString(), 'Active');
    assert.ok(record.reputation.score.toNumber() > 500_000, 'reputation above neutral');
    assert.equal(record.bond.toBigInt(), BOND, 'never slashed');
    assert.ok((await api.query.proofOfCompute.providerUnits(eve.address)).toBigInt() >= 2n * units);
    // The registry's status change, and the worker's heartbeats, are on chain too.
    const evs = await eventsSince(from);
    assert.ok(evs.some((e) => e.event.section === 'providers' && e.event.method === 'StatusChanged' &&
      e.event.data.provider.toString() === eve.address && e.event.data.to.toString() === 'Active'));
    assert.ok(evs.some(of(eve, 'proofOfCompute', 'HeartbeatReceived')));

    // Through the runtime API: the recent outcomes, and this period's challenge.
    const outcomes = await api.call.proofOfComputeApi.recentOutcomes(eve.address);
    assert.ok(outcomes.filter((o) => o.outcome.isPassed).length >= 2);
    const challenge = await api.call.proofOfComputeApi.challenge(eve.address);
    assert.ok(challenge.isSome);
    assert.equal(challenge.unwrap().shape.batch.toNumber(), 4);

    // Blocks with the workers' free (general) transactions decode in polkadot.js.
    const commit = evs.find(of(eve, 'proofOfCompute', 'Committed'));
    const block = await api.rpc.chain.getBlock(commit.hash);
    const index = commit.phase.asApplyExtrinsic.toNumber();
    const xt = block.block.extrinsics[index];
    assert.equal(`${xt.method.section}.${xt.method.method}`, 'proofOfCompute.submitCommitment');
    assert.ok(!xt.isSigned, 'free: nobody signed it as a transaction');

    // One log line per challenge: period, shape, compute time, outcome.
    const log = readFileSync(nodes.eve.logPath, 'utf8');
    assert.match(log, /proof of compute, period \d+: provider .*shape 4x64x512x64.*compute \d+ ms, outcome passed/);
  });

test('a lying host is caught by the chain\'s spot checks and slashed', { timeout: 400_000 }, async () => {
  const ferdie = providers.ferdie;
  const failed = await waitForEvents(ferdie.registeredAt,
    (evs) => evs.find(of(ferdie, 'proofOfCompute', 'ChallengeFailed')), 'Ferdie\'s failed challenge');
  assert.equal(failed.event.data.reason.toString(), 'WrongEntry');
  const evs = await eventsSince(failed.block);
  const slash = evs.find((e) => e.block === failed.block && e.event.section === 'providers' &&
    e.event.method === 'Slashed' && e.event.data.provider.toString() === ferdie.address);
  assert.ok(slash, 'slashed in the same block');
  assert.equal(slash.event.data.reason.toString(), 'FailedChallenge');
  // 10% of the bond at the dev parameters.
  assert.equal(slash.event.data.amount.toBigInt(), BOND / 10n);
  const record = (await api.query.providers.providers(ferdie.address)).unwrap();
  assert.ok(record.bond.toBigInt() <= BOND - BOND / 10n);
  assert.ok(record.reputation.score.toNumber() < 500_000, 'reputation below neutral');
  assert.notEqual(record.status.toString(), 'Active', 'never proven');
  const ferdieLog = readFileSync(nodes.ferdie.logPath, 'utf8');
  assert.match(ferdieLog, /TEST MODE: this node lies/);
  assert.match(ferdieLog, /outcome FAILED \(WrongEntry\), slashed/);
});

test('a host whose node stops misses its challenge, is slashed and loses reputation',
  { timeout: 400_000 }, async () => {
    const dave = providers.dave;
    const passed = await waitForEvents(dave.registeredAt,
      (evs) => evs.find(of(dave, 'proofOfCompute', 'ChallengePassed')), 'Dave\'s first pass');
    const before = (await api.query.providers.providers(dave.address)).unwrap();
    assert.equal(before.status.toString(), 'Active');
    await nodes.dave.stop();
    const missed = await waitForEvents(passed.block,
      (evs) => evs.find(of(dave, 'proofOfCompute', 'ChallengeMissed')), 'Dave\'s missed challenge');
    const evs = await eventsSince(missed.block);
    const slash = evs.find((e) => e.block === missed.block && e.event.section === 'providers' &&
      e.event.method === 'Slashed' && e.event.data.provider.toString() === dave.address);
    assert.equal(slash.event.data.reason.toString(), 'MissedChallenge');
    assert.equal(slash.event.data.amount.toBigInt(), BOND / 100n, '1% at the dev parameters');
    const after = (await api.query.providers.providers(dave.address)).unwrap();
    assert.equal(after.status.toString(), 'Registered', 'no longer proven');
    assert.ok(after.reputation.score.toNumber() < before.reputation.score.toNumber());
  });

test('a replayed worker submission is refused by the pool', { timeout: 120_000 }, async () => {
  const eve = providers.eve;
  const evs = await eventsSince(eve.registeredAt);
  for (const method of ['Committed', 'HeartbeatReceived']) {
    const included = evs.find(of(eve, 'proofOfCompute', method));
    const index = included.phase.asApplyExtrinsic.toNumber();
    // The exact bytes that were included, from the raw block.
    const raw = await api.rawRpc('chain_getBlock', [included.hash.toHex()]);
    const bytes = raw.block.extrinsics[index];
    // Raw RPC: polkadot.js 16.5 decodes general (v5) extrinsics but does not re-encode them.
    await assert.rejects(api.rawRpc('author_submitExtrinsic', [bytes]),
      (e) => /1010|1013|Invalid Transaction|outdated|stale|Already Imported/i.test(String(e.message)), `${method} replay`);
  }
});
