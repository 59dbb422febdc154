// A developer's own container on a provider's host, through @polkadot/api on a dev chain with a
// real engine: Podman's Docker-compatible API and a registry on loopback
// (scripts/container-engine.sh). Alice's node produces blocks; Eve's provider node (a cpu
// backend, the container runner under a workload policy, a bid policy) proves itself and wins
// Bob's jobs:
//  - a CPU-only job whose manifest runs busybox httpd with an environment variable and a
//    published port: the container runs with that env; Bob opens the sealed access details and
//    fetches a page from the port; reads the logs with a signed request (a stranger's is
//    refused); Eve's node is killed and restarted mid-lease and the lease goes on, paid, with
//    one container; at the end the result root is attested and the outputs download and hash
//    to it;
//  - three refusals, each refunded with its named reason: a registry outside the policy, a tag
//    that resolves to another digest, an image that does not exist.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Keyring } from '@polkadot/keyring';
import { stringToU8a, u8aToHex } from '@polkadot/util';
import { blake2AsHex } from '@polkadot/util-crypto';
import { withNodes, freePort, submit, sleep } from '../lib/node.js';
import { eventLog } from '../lib/events.js';
import { accessKeyPair, openSealed, sealTo } from '../lib/access.js';
import { resultRoot } from '../lib/outputs.js';
import { h100Host, nodeAttestationKey } from '../lib/providers.js';

const here = dirname(fileURLToPath(import.meta.url));
const ENGINE = join(here, '..', '..', 'container-engine.sh');
const ALICE_PEER = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp';
const CRU = 10n ** 12n;
const MILLI = CRU / 1000n;
const BOND = 1_000n * CRU;
const DEPOSITS = CRU + 3n * CRU; // the job deposit and the manifest deposit

const who = {};
const jobs = {};
const engine = {};
let api;
let eventsSince;
let waitForEvents;
let eve;
let endpointPort;
const access = accessKeyPair();
const accessKey = access.publicKey;
const openAccess = (sealed) => openSealed(access, sealed);



function engineCmd(...args) {
  const r = spawnSync('bash', [ENGINE, ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `container-engine.sh ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The containers of `job` on the engine (its Docker-compatible API, through curl). */
function containersOf(job) {
  const filters = encodeURIComponent(JSON.stringify({ label: [`crucible.job=${job}`] }));
  const r = spawnSync('curl', ['-sf', '--unix-socket', engine.socket.replace('unix://', ''),
    `http://engine/v1.41/containers/json?all=true&filters=${filters}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** The job's manifest and its spec (the manifest's hash in `workload.manifest`). */
function job({ repository, digest, command = [], env = [], ports = [], duration = 30, secrets = [] }) {
  const manifest = {
    repository, command, env, ports, memoryMib: 64, shmMib: 0, diskMib: 16, egress: false,
    secrets, privateRegistry: false,
  };
  const hash = blake2AsHex(api.createType('CruciblePrimitivesMarketplaceManifest', manifest).toU8a(), 256);
  const spec = {
    requirement: { minVramMib: 0, minGpuCount: 0, vendor: null, model: null, country: null },
    minReputation: 0,
    workload: { image: `0x${digest}`, manifest: hash, accessKey: u8aToHex(accessKey) },
    duration,
    maxPricePerBlock: 20n * MILLI,
    bidWindow: 3,
    auction: 'Open',
  };
  return { spec, manifest };
}

async function post({ spec, manifest }) {
  const { events, error, blockHash } = await submit(api, api.tx.marketplace.postJob(spec, manifest), who.bob);
  assert.equal(error, null);
  const id = events.find(({ event }) => api.events.marketplace.JobPosted.is(event)).event.data.job.toNumber();
  const block = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
  return { id, block };
}

/** A GET to Eve's workload endpoint signed by `signer` (or unsigned). */
async function signedGet(path, signer) {
  const headers = {};
  if (signer) {
    const time = Date.now();
    const message = stringToU8a(`crucible:workload:v1 GET ${path} ${time}`);
    headers['x-crucible-account'] = u8aToHex(signer.publicKey);
    headers['x-crucible-time'] = String(time);
    headers['x-crucible-signature'] = u8aToHex(signer.sign(message));
  }
  const response = await fetch(`http://127.0.0.1:${endpointPort}${path}`, { headers });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

const mk = (method, id) => (e) => e.event.section === 'marketplace' && e.event.method === method &&
  (id === undefined || e.event.data.job.toString() === String(id));

const net = withNodes(async () => {
  const keyring = new Keyring({ type: 'sr25519' });
  for (const name of ['alice', 'bob', 'charlie', 'eve']) {
    who[name] = keyring.addFromUri(`//${name[0].toUpperCase()}${name.slice(1)}`);
  }
  // The engine and the registry, and the two images the tests push: in a directory of their own
  // (not a node's base path, which is removed before this file's own cleanup runs).
  engine.dir = mkdtempSync(join(tmpdir(), 'crucible-engine-'));
  const started = engineCmd('start', engine.dir);
  engine.socket = started.match(/socket=(\S+)/)[1];
  engine.registry = started.match(/registry=(\S+)/)[1];
  engine.app = engineCmd('image', engine.dir, 'app').replace('sha256:', '');
  engine.other = engineCmd('image', engine.dir, 'other').replace('sha256:', '');

  const alicePort = await freePort();
  const alice = net.node(['--node-key', '01'.padStart(64, '0')], ['--dev']);
  alice.p2pPort = alicePort;
  api = await net.start(alice);
  ({ eventsSince, waitForEvents } = eventLog(api));

  const basePath = net.path();
  who.eve.made = nodeAttestationKey(basePath, who.eve.address);
  const policy = join(basePath, 'workload-policy.json');
  writeFileSync(policy, JSON.stringify({
    registries: [engine.registry], maxMemoryMib: 256, maxDiskMib: 64, egress: false, publicHost: '127.0.0.1',
  }));
  const bids = join(basePath, 'bid-policy.json');
  writeFileSync(bids, JSON.stringify({ minPricePerGpu: { H100: (5n * MILLI).toString() }, maxLeases: 8 }));
  endpointPort = await freePort();
  eve = net.node(['--bootnodes', `/ip4/127.0.0.1/tcp/${alicePort}/p2p/${ALICE_PEER}`,
    '--offchain-worker', 'always', '--compute-backend', 'cpu',
    '--workload-policy', policy, '--container-engine', engine.socket,
    '--workload-listen', `127.0.0.1:${endpointPort}`, '--bid-policy', bids], ['--chain', 'dev'], basePath);
  await (await eve.start()).disconnect();
});

after(() => {
  if (engine.dir) spawnSync('bash', [ENGINE, 'stop', engine.dir]);
});

test('Eve\'s host registers and proves itself', { timeout: 400_000 }, async () => {
  const from = (await api.rpc.chain.getHeader()).number.toNumber();
  const uuid = (i) => u8aToHex(new Uint8Array([0xc0, 7, i, ...new Array(13).fill(0x33)]));
  const { error } = await submit(api, api.tx.providers.register(h100Host(uuid, 2),
    who.eve.made.attestationKey, who.eve.made.keyProof, 'https://gpu.example.net', { country: 'DE', metro: null }, BOND), who.eve);
  assert.equal(error, null);
  await waitForEvents(from, (evs) => evs.find((e) => e.event.section === 'providers' &&
    e.event.method === 'StatusChanged' && e.event.data.to.toString() === 'Active'), 'Eve Active');
  assert.match(readFileSync(eve.logPath, 'utf8'), /container engine at unix:.*\(API 1\.41\)/);
});

test('the developer\'s container runs its manifest and answers on its published port', { timeout: 300_000 }, async () => {
  const script = 'echo "$GREETING" > /out/greeting; echo "started $CRUCIBLE_JOB"; exec httpd -f -p 8080 -h /www';
  jobs.main = job({
    repository: `${engine.registry}/app`,
    digest: engine.app,
    command: ['sh', '-c', script],
    env: [{ name: 'GREETING', value: 'hello tenant' }],
    ports: [8080],
    duration: 40,
  });
  // The refusals go in beside it.
  jobs.refusals = [
    ['PolicyDenied', job({ repository: '127.0.0.2:5000/app', digest: engine.app, command: ['true'] })],
    ['DigestMismatch', job({ repository: `${engine.registry}/app:latest`, digest: engine.other, command: ['true'] })],
    ['ImageNotFound', job({ repository: `${engine.registry}/nothing`, digest: engine.app, command: ['true'] })],
  ];
  // And one whose container waits for a secret, sealed to the winning node after the award.
  jobs.secret = job({
    repository: `${engine.registry}/app`,
    digest: engine.app,
    command: ['sh', '-c', 'echo "token=$API_TOKEN" > /out/token; exec sleep 900'],
    secrets: ['API_TOKEN'],
    duration: 30,
  });
  const t0 = Date.now();
  const posted = await post(jobs.main);
  jobs.id = posted.id;
  jobs.from = posted.block;
  for (const r of jobs.refusals) r.push((await post(r[1])).id);
  jobs.secretId = (await post(jobs.secret)).id;
  // Order to running: from post_job's block to the block at which the engine runs the
  // container (the goal: the bid window and at most 2 blocks more).
  let running = null;
  for (let i = 0; i < 400 && !running; i++) {
    running = containersOf(jobs.id).find((c) => c.State === 'running');
    if (!running) await sleep(250);
  }
  assert.ok(running, 'the container runs');
  const runningAt = (await api.rpc.chain.getHeader()).number.toNumber();
  const seconds = (Date.now() - t0) / 1000;
  const leased = await waitForEvents(jobs.from, (evs) => evs.find(mk('LeaseStarted', jobs.id)), 'the lease');
  console.log(`order to running: posted in block ${jobs.from}, leased in ${leased.block}, running at ` +
    `block ${runningAt}: ${runningAt - jobs.from} blocks (bid window 3), ${seconds.toFixed(1)} s after post_job was sent`);
  assert.ok(runningAt - jobs.from <= 3 + 2, 'running within the bid window and 2 blocks');
  assert.equal(leased.event.data.provider.toString(), who.eve.address);
  // The access details, sealed to Bob's key: the port's address, the logs, a credential.
  const published = await waitForEvents(jobs.from, (evs) => evs.find(mk('AccessPublished', jobs.id)), 'the access details');
  const text = openAccess(Buffer.from((await api.query.marketplace.access(jobs.id)).unwrap().toU8a(true)));
  const port = text.match(/^port 8080: 127\.0\.0\.1:(\d+)$/m)[1];
  assert.match(text, new RegExp(`^logs: http://127\\.0\\.0\\.1:${endpointPort}/v1/jobs/${jobs.id}/logs$`, 'm'));
  assert.match(text, /^token: [0-9a-f]{32}$/m);
  let page = null;
  for (let i = 0; i < 40 && page === null; i++) {
    page = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text()).catch(() => null);
    if (page === null) await sleep(250);
  }
  assert.equal(page, 'hello from app\n');
  jobs.port = port;
  const log = readFileSync(eve.logPath, 'utf8');
  const overhead = log.match(new RegExp(`job ${jobs.id}: container running \\(0 GPU\\(s\\)\\), (\\S+) from the request`));
  assert.ok(overhead, 'the runner logged the container\'s start');
  console.log(`the runner's overhead for this lease (pull, create, start, inspect): ${overhead[1]}`);
  console.log(`access details published in block ${published.block} (an attestation of no blocks, at once)`);
  assert.equal(containersOf(jobs.id).length, 1);
});

test('a secret reaches the container sealed to the winning node, never readable on chain', { timeout: 240_000 }, async () => {
  const id = jobs.secretId;
  await waitForEvents(jobs.from, (evs) => evs.find(mk('AccessPublished', id)), 'its access details');
  assert.equal(containersOf(id).length, 0, 'nothing runs before the secret');
  const text = openAccess(Buffer.from((await api.query.marketplace.access(id)).unwrap().toU8a(true)));
  const nodeKey = Buffer.from(text.match(/^secrets to: 0x([0-9a-f]{64})$/m)[1], 'hex');
  const sealed = sealTo(nodeKey, JSON.stringify({ env: { API_TOKEN: 's3cr3t-e2e' } }));
  const r = await submit(api, api.tx.marketplace.provideSecrets(id, u8aToHex(sealed)), who.bob);
  assert.equal(r.error, null);
  // On chain only sealed: the value is nowhere in the stored bytes.
  const stored = Buffer.from((await api.query.marketplace.secrets(id)).unwrap().toU8a(true));
  assert.ok(!stored.includes(Buffer.from('s3cr3t-e2e')));
  // Nobody else can give them, nor can they be given twice.
  assert.equal((await submit(api, api.tx.marketplace.provideSecrets(id, u8aToHex(sealed)), who.charlie)).error, 'marketplace.NotOwner');
  assert.equal((await submit(api, api.tx.marketplace.provideSecrets(id, u8aToHex(sealed)), who.bob)).error, 'marketplace.SecretsAlreadyProvided');
  let running = null;
  for (let i = 0; i < 120 && !running; i++) {
    running = containersOf(id).find((c) => c.State === 'running');
    if (!running) await sleep(500);
  }
  assert.ok(running, 'the container starts once the node read the secret');
  const logs = await signedGet(`/v1/jobs/${id}/logs`, who.bob);
  assert.equal(logs.status, 200);
});

test('the developer reads the logs with a signed request; a stranger cannot', { timeout: 60_000 }, async () => {
  const path = `/v1/jobs/${jobs.id}/logs`;
  const mine = await signedGet(path, who.bob);
  assert.equal(mine.status, 200);
  assert.match(mine.body.toString(), new RegExp(`started ${jobs.id}`));
  assert.equal((await signedGet(path, who.charlie)).status, 403);
  assert.equal((await signedGet(path, null)).status, 401);
  // No outputs before the lease's end.
  assert.equal((await signedGet(`/v1/jobs/${jobs.id}/outputs`, who.bob)).status, 409);
});

test('Eve\'s node is killed and restarted mid-lease: one container, re-adopted, the lease paid on', { timeout: 300_000 }, async () => {
  const before = containersOf(jobs.id);
  assert.equal(before.length, 1);
  eve.proc.kill('SIGKILL');
  await eve.exited;
  const killedAt = (await api.rpc.chain.getHeader()).number.toNumber();
  await (await eve.start()).disconnect();
  assert.match(readFileSync(eve.logPath, 'utf8'), new RegExp(`job ${jobs.id}: re-adopted container`));
  const after2 = containersOf(jobs.id);
  assert.equal(after2.length, 1, 'no second copy');
  assert.equal(after2[0].Id, before[0].Id);
  assert.equal(await fetch(`http://127.0.0.1:${jobs.port}/`).then((r) => r.text()), 'hello from app\n');
  const attested = await waitForEvents(killedAt, (evs) => evs.find((e) => mk('WorkAttested', jobs.id)(e) &&
    e.event.data.to.toNumber() > e.event.data.from.toNumber()), 'an attestation after the restart');
  assert.ok(attested.event.data.earned.toBigInt() > 0n);
  const ended = (await eventsSince(jobs.from)).find(mk('JobEnded', jobs.id));
  assert.equal(ended, undefined, 'the lease was not abandoned');
});

test('at the end the result root is attested and the outputs download and hash to it', { timeout: 400_000 }, async () => {
  const completed = await waitForEvents(jobs.from, (evs) => evs.find(mk('JobCompleted', jobs.id)), 'the completion');
  const result = completed.event.data.result.toHex();
  const outputs = await signedGet(`/v1/jobs/${jobs.id}/outputs`, who.bob);
  assert.equal(outputs.status, 200);
  assert.equal(resultRoot(new Uint8Array(outputs.body)), result);
  assert.ok(outputs.body.includes(Buffer.from('hello tenant\n')), 'the container ran with its env');
  assert.equal((await signedGet(`/v1/jobs/${jobs.id}/outputs`, who.charlie)).status, 403);
  assert.equal(containersOf(jobs.id).length, 0, 'the container is gone');
  // The secret job's outputs: its container had the secret in its environment.
  await waitForEvents(jobs.from, (evs) => evs.find(mk('JobCompleted', jobs.secretId)), 'the secret job\'s completion');
  const secretOut = await signedGet(`/v1/jobs/${jobs.secretId}/outputs`, who.bob);
  assert.ok(secretOut.body.includes(Buffer.from('token=s3cr3t-e2e\n')));
});

test('a registry outside the policy, a tag of another digest, an image that does not exist: refused by name, refunded', { timeout: 300_000 }, async () => {
  for (const [reason, , id] of jobs.refusals) {
    const ended = await waitForEvents(jobs.from, (evs) => evs.find(mk('JobEnded', id)), `job ${id}'s end`);
    const { end } = ended.event.data;
    assert.ok(end.isRefused, end.toString());
    assert.equal(end.asRefused.reason.type, reason);
    const leased = (await eventsSince(jobs.from)).find(mk('LeaseStarted', id)).event.data;
    assert.equal(ended.event.data.refunded.toBigInt(), leased.escrow.toBigInt() + DEPOSITS);
  }
});
