// Verified results: audits by re-execution on a dev chain with three cpu-backend provider nodes
// sharing a real container engine (scripts/container-engine.sh), through @polkadot/api.
// Alice's node (the validator) holds Eve's provider key; Dave's and Ferdie's are nodes of their
// own. Each runs the container runner; Eve bids 3 mCRU, Dave 2 mCRU (one lease at a time), Ferdie
// 8 mCRU. Dave's node lies (`--workload-lie`: it corrupts every output it attests or audits).
// Bob posts deterministic jobs audited at 100%:
//  - one Dave wins: both honest auditors' roots differ from Dave's; the tie-break confirms it;
//    Dave's collateral pays the auditors and Bob, Bob's escrow comes back, the receipt says
//    which chunk differs;
//  - one Eve wins: audited (if Dave is drawn first, his lie is outvoted and slashed), settled,
//    the receipt "matched", checked from a storage proof against the block's state root;
//  - one Eve wins whose auditor's node is stopped mid-audit: it misses its deadline, is slashed
//    lightly and replaced; the replacement's answer matches.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import { blake2AsHex } from '@polkadot/util-crypto';
import { withNodes, freePort, submit } from '../lib/node.js';
import { eventLog } from '../lib/events.js';
import { readProven } from '../lib/proof.js';
import { outputsStream, resultRoot } from '../lib/outputs.js';
import { h100Host, nodeAttestationKey } from '../lib/providers.js';

const here = dirname(fileURLToPath(import.meta.url));
const ENGINE = join(here, '..', '..', 'container-engine.sh');
const ALICE_PEER = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp';
const CRU = 10n ** 12n;
const MILLI = CRU / 1000n;
const BOND = 1_000n * CRU;
const DEPOSITS = CRU + 3n * CRU; // the job deposit and the manifest deposit
const DURATION = 6;

const who = {};
const jobs = {};
const engine = {};
const nodes = {};
const policies = {};
let api;
let eventsSince;
let waitForEvents;
let from;

function engineCmd(...args) {
  const r = spawnSync('bash', [ENGINE, ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `container-engine.sh ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

const mk = (method, id) => (e) => e.event.section === 'marketplace' && e.event.method === method &&
  (id === undefined || e.event.data.job.toString() === String(id));

/** A deterministic job audited at 100%: the container writes `text` to /out and exits. */
function auditedJob(text) {
  const manifest = {
    repository: `${engine.registry}/app`, command: ['sh', '-c', `echo '${text}' > /out/result`],
    env: [], ports: [], memoryMib: 64, shmMib: 0, diskMib: 16, egress: false, secrets: [],
    privateRegistry: false, deterministic: true,
  };
  const hash = blake2AsHex(api.createType('CruciblePrimitivesMarketplaceManifest', manifest).toU8a(), 256);
  const spec = {
    requirement: { minVramMib: 0, minGpuCount: 0, vendor: null, model: null, country: null },
    minReputation: 0,
    workload: { image: `0x${engine.app}`, manifest: hash, accessKey: u8aToHex(new Uint8Array(32).fill(7)) },
    duration: DURATION,
    maxPricePerBlock: 20n * MILLI,
    bidWindow: 3,
    auction: 'Open',
    verification: { Audited: { rate: 1_000_000 } },
  };
  return { spec, manifest };
}

async function post(job) {
  const { events, error } = await submit(api, api.tx.marketplace.postJob(job.spec, job.manifest), who.bob);
  assert.equal(error, null);
  return events.find(({ event }) => api.events.marketplace.JobPosted.is(event)).event.data.job.toNumber();
}

/** The outputs of the audited jobs' container: one file `result` holding `text\n`. */
const outputsOf = (text) => outputsStream([['result', `${text}\n`]]);

const nameOf = (address) => Object.keys(who).find((n) => who[n].address === address);

const net = withNodes(async () => {
  const keyring = new Keyring({ type: 'sr25519' });
  for (const name of ['alice', 'bob', 'dave', 'eve', 'ferdie']) {
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
    eve: { chain: ['--dev'], extra: ['--node-key', '01'.padStart(64, '0')], price: 3n * MILLI, leases: 8 },
    dave: { chain: ['--chain', 'dev'], extra: ['--bootnodes', boot, '--offchain-worker', 'always', '--workload-lie'], price: 2n * MILLI, leases: 1 },
    ferdie: { chain: ['--chain', 'dev'], extra: ['--bootnodes', boot, '--offchain-worker', 'always'], price: 8n * MILLI, leases: 8 },
  };
  for (const [name, host] of Object.entries(hosts)) {
    const basePath = net.path();
    who[name].made = nodeAttestationKey(basePath, who[name].address);
    const policy = join(basePath, 'workload-policy.json');
    writeFileSync(policy, JSON.stringify({
      registries: [engine.registry], maxMemoryMib: 256, maxDiskMib: 64, egress: false, publicHost: '127.0.0.1',
    }));
    const bids = join(basePath, 'bid-policy.json');
    writeFileSync(bids, JSON.stringify({ minPricePerGpu: { H100: host.price.toString() }, maxLeases: host.leases }));
    policies[name] = { policy, bids, basePath, host };
    nodes[name] = net.node([...host.extra, '--compute-backend', 'cpu', '--workload-policy', policy,
      '--container-engine', engine.socket, '--workload-listen', `127.0.0.1:${await freePort()}`,
      '--bid-policy', bids], host.chain, basePath);
    if (name === 'eve') nodes[name].p2pPort = alicePort;
  }
  api = await net.start(nodes.eve);
  ({ eventsSince, waitForEvents } = eventLog(api));
  await (await nodes.dave.start()).disconnect();
  await (await nodes.ferdie.start()).disconnect();
});

after(() => {
  if (engine.dir) spawnSync('bash', [ENGINE, 'stop', engine.dir]);
});

test('three provider hosts register and prove themselves', { timeout: 500_000 }, async () => {
  from = (await api.rpc.chain.getHeader()).number.toNumber();
  let host = 1;
  for (const name of ['eve', 'dave', 'ferdie']) {
    const p = who[name];
    const uuid = (i) => u8aToHex(new Uint8Array([0xa0, host, i, ...new Array(13).fill(0x44)]));
    const { error } = await submit(api, api.tx.providers.register(h100Host(uuid, 1), p.made.attestationKey,
      p.made.keyProof, 'https://gpu.example.net', { country: 'DE', metro: null }, BOND), p);
    assert.equal(error, null);
    host += 1;
  }
  for (const name of ['eve', 'dave', 'ferdie']) {
    await waitForEvents(from, (evs) => evs.find((e) => e.event.section === 'providers' &&
      e.event.method === 'StatusChanged' && e.event.data.provider.toString() === who[name].address &&
      e.event.data.to.toString() === 'Active'), `${name} Active`, 450_000);
  }
});

test('posting an audited job needs a deterministic manifest and escrows one audit fee', { timeout: 60_000 }, async () => {
  const loose = auditedJob('loose');
  loose.manifest.deterministic = false;
  loose.spec.workload.manifest = blake2AsHex(api.createType('CruciblePrimitivesMarketplaceManifest', loose.manifest).toU8a(), 256);
  const r = await submit(api, api.tx.marketplace.postJob(loose.spec, loose.manifest), who.bob);
  assert.equal(r.error, 'marketplace.NotDeterministic');
  const tooRare = auditedJob('rare');
  tooRare.spec.verification = { Audited: { rate: 5_000 } }; // 0.5%, below the 1% bound
  assert.equal((await submit(api, api.tx.marketplace.postJob(tooRare.spec, tooRare.manifest), who.bob)).error,
    'marketplace.InvalidAuditRate');
  // Dave's job first (the cheapest bidder, one lease at a time), then Eve's beside it.
  jobs.lie = auditedJob('the answer is 42');
  jobs.lie.id = await post(jobs.lie);
  const posted = (await eventsSince(from)).find(mk('JobPosted', jobs.lie.id)).event.data;
  assert.equal(posted.escrow.toBigInt(), 2n * 20n * MILLI * BigInt(DURATION), 'the lease and one audit fee');
  const leased = await waitForEvents(from, (evs) => evs.find(mk('LeaseStarted', jobs.lie.id)), 'Dave\'s lease');
  assert.equal(leased.event.data.provider.toString(), who.dave.address);
  const held = (await eventsSince(from)).find(mk('CollateralHeld', jobs.lie.id));
  assert.ok(held, 'the collateral is held from the winner');
  jobs.lie.collateral = held.event.data.collateral.toBigInt();
  jobs.honest = auditedJob('the answer is 42');
  jobs.honest.id = await post(jobs.honest);
});

test('a lying provider is caught: mismatch, tie-break, its collateral pays the auditors and the developer', { timeout: 420_000 }, async () => {
  const id = jobs.lie.id;
  const concluded = await waitForEvents(from, (evs) => evs.find(mk('AuditConcluded', id)), 'the audit of Dave\'s job', 400_000);
  const evs = (await eventsSince(from)).filter((e) => e.event.section === 'marketplace' && e.event.data.job?.toString() === String(id));
  const names = evs.map((e) => e.event.method);
  console.log(`Dave's job ${id}: ${names.join(', ')}`);
  const completedAt = evs.filter((e) => e.event.method === 'WorkAttested').pop().block;
  console.log(`audit overhead (mismatch and tie-break): concluded ${concluded.block - completedAt} blocks after the completion attestation`);
  const assigned = evs.filter((e) => e.event.method === 'AuditorAssigned').map((e) => nameOf(e.event.data.auditor.toString()));
  assert.deepEqual([...assigned].sort(), ['eve', 'ferdie'], 'both honest hosts audited it');
  const answers = evs.filter((e) => e.event.method === 'AuditAnswered');
  assert.equal(answers.length, 2);
  assert.ok(answers.every((a) => a.event.data.agrees.isFalse), 'neither agrees with Dave');
  const outcome = concluded.event.data.outcome;
  assert.ok(outcome.isMismatched, outcome.toString());
  // One 64 KiB chunk of output: the first (and only) differs.
  assert.deepEqual(outcome.asMismatched.chunks.unwrap().map((c) => c.toNumber()), [0]);
  assert.equal(outcome.asMismatched.span.toNumber(), 1);
  const slashed = evs.find((e) => e.event.method === 'CollateralSlashed').event.data;
  const lease = (await eventsSince(from)).find(mk('LeaseStarted', id)).event.data;
  const fee = lease.pricePerBlock.toBigInt() * BigInt(DURATION);
  assert.equal(slashed.toAuditors.toBigInt(), 2n * fee, 'each auditor its fee');
  assert.equal(slashed.toAuditors.toBigInt() + slashed.toOwner.toBigInt(), jobs.lie.collateral);
  const ended = evs.find((e) => e.event.method === 'JobEnded').event.data;
  assert.equal(ended.end.toString(), 'AuditFailed');
  assert.equal(ended.refunded.toBigInt(), lease.escrow.toBigInt() + DEPOSITS, 'the whole escrow back');
  // The receipt names the majority's root: the true output's.
  const receipt = (await api.call.marketplaceApi.receipt(id)).unwrap();
  assert.equal(receipt.result.toHex(), resultRoot(outputsOf('the answer is 42')));
  assert.equal(receipt.provider.toString(), who.dave.address);
});

test('an honest provider\'s audited job matches and settles; the receipt checks out from a storage proof', { timeout: 420_000 }, async () => {
  const id = jobs.honest.id;
  const leased = (await waitForEvents(from, (evs) => evs.find(mk('LeaseStarted', id)), 'Eve\'s lease')).event.data;
  assert.equal(leased.provider.toString(), who.eve.address);
  const concluded = await waitForEvents(from, (evs) => evs.find(mk('AuditConcluded', id)), 'the audit of Eve\'s job', 400_000);
  const evs = (await eventsSince(from)).filter((e) => e.event.section === 'marketplace' && e.event.data.job?.toString() === String(id));
  console.log(`Eve's job ${id}: ${evs.map((e) => e.event.method).join(', ')}`);
  const completedAt = evs.filter((e) => e.event.method === 'WorkAttested').pop().block;
  console.log(`audit overhead (${evs.filter((e) => e.event.method === 'AuditorAssigned').length} auditor(s)): ` +
    `settled ${concluded.block - completedAt} blocks after the completion attestation (the lease: ${DURATION} blocks)`);
  assert.ok(concluded.event.data.outcome.isMatched, concluded.event.data.outcome.toString());
  const ended = evs.find((e) => e.event.method === 'JobEnded');
  assert.equal(ended.event.data.end.toString(), 'Settled');
  const paid = evs.filter((e) => e.event.method === 'AuditorPaid').map((e) => nameOf(e.event.data.auditor.toString()));
  assert.equal(paid.length, 1, 'one auditor confirmed and was paid');
  // If Dave was drawn first, his wrong root lost to the tie-breaker and he was slashed.
  const daveAnswered = evs.find((e) => e.event.method === 'AuditAnswered' && nameOf(e.event.data.auditor.toString()) === 'dave');
  if (daveAnswered) assert.ok(evs.find((e) => e.event.method === 'AuditorSlashed'), 'the lying auditor slashed');

  // The receipt, from the runtime API and from a storage proof at the settlement's block.
  const receipt = (await api.call.marketplaceApi.receipt(id)).unwrap();
  assert.equal(receipt.result.toHex(), resultRoot(outputsOf('the answer is 42')));
  assert.ok(receipt.outcome.isMatched);
  assert.equal(receipt.image.toHex(), `0x${engine.app}`);
  assert.equal(receipt.manifest.toHex(), jobs.honest.spec.workload.manifest);
  const specHash = blake2AsHex(api.createType('CruciblePrimitivesMarketplaceJobSpec', jobs.honest.spec).toU8a(), 256);
  assert.equal(receipt.specHash.toHex(), specHash);
  const at = ended.hash;
  const key = api.query.marketplace.receipts.key(id);
  const proof = await api.rpc.state.getReadProof([key], at);
  const header = await api.rpc.chain.getHeader(at);
  const value = readProven(header.stateRoot.toU8a(), proof.proof.map((p) => p.toU8a(true)), key);
  assert.ok(value, 'the proof shows the receipt');
  const proven = api.createType('CruciblePrimitivesAuditReceipt', value);
  assert.equal(proven.toHex(), receipt.toHex(), 'the proven receipt is the API\'s');
  // A forged proof does not check out: a changed byte breaks the hashes.
  const forged = proof.proof.map((p) => new Uint8Array(p.toU8a(true)));
  const leaf = forged.findIndex((n) => Buffer.from(n).includes(Buffer.from(receipt.result.toU8a())));
  assert.ok(leaf >= 0);
  forged[leaf][forged[leaf].length - 1] ^= 1;
  assert.throws(() => readProven(header.stateRoot.toU8a(), forged, key), /lacks node/);
  // The proof proves nothing about another job's receipt: it is absent, or the proof cannot say.
  let other;
  try {
    other = readProven(header.stateRoot.toU8a(), proof.proof.map((p) => p.toU8a(true)),
      api.query.marketplace.receipts.key(id + 1000));
  } catch (e) {
    other = e.message;
  }
  assert.ok(other === null || /lacks node/.test(other), String(other));
});

test('an auditor whose node stops mid-audit is slashed lightly and replaced', { timeout: 480_000 }, async () => {
  // Dave's node again, honest and not bidding; Eve wins the job.
  await nodes.dave.stop();
  const args = nodes.dave.extraArgs;
  nodes.dave.extraArgs = args.filter((a) => a !== '--workload-lie').filter((a, i, all) => a !== '--bid-policy' && all[i - 1] !== '--bid-policy');
  await (await nodes.dave.start()).disconnect();
  const job = auditedJob('audit me');
  job.id = await post(job);
  const since = (await api.rpc.chain.getHeader()).number.toNumber() - 1;
  const assigned = await waitForEvents(since, (evs) => evs.find(mk('AuditorAssigned', job.id)), 'an auditor', 300_000);
  const first = nameOf(assigned.event.data.auditor.toString());
  assert.ok(['dave', 'ferdie'].includes(first), first);
  nodes[first].proc.kill('SIGKILL');
  await nodes[first].exited;
  const missed = await waitForEvents(since, (evs) => evs.find(mk('AuditorMissed', job.id)), 'the missed deadline', 300_000);
  assert.equal(nameOf(missed.event.data.auditor.toString()), first);
  assert.ok(missed.event.data.slashed.toBigInt() > 0n, 'slashed');
  assert.ok(missed.event.data.slashed.toBigInt() <= BOND / 100n, 'lightly: at most 1% of the bond');
  const concluded = await waitForEvents(since, (evs) => evs.find(mk('AuditConcluded', job.id)), 'the replacement\'s audit', 300_000);
  const evs = (await eventsSince(since)).filter((e) => e.event.section === 'marketplace' && e.event.data.job?.toString() === String(job.id));
  console.log(`job ${job.id}: ${evs.map((e) => e.event.method).join(', ')}`);
  const auditors = evs.filter((e) => e.event.method === 'AuditorAssigned').map((e) => nameOf(e.event.data.auditor.toString()));
  assert.equal(auditors.length, 2);
  assert.notEqual(auditors[1], first, 'another auditor replaced it');
  assert.ok(concluded.event.data.outcome.isMatched, concluded.event.data.outcome.toString());
});
