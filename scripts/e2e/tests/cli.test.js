// The node's command line, as operators script it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, signatureVerify } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import {
  runCli, tempBasePath, cleanup, DevNode, waitForBlock,
} from '../lib/node.js';
import { readFileSync } from 'node:fs';
import { ownershipPayload } from '../lib/providers.js';

test('build-spec --chain local has four validators with BABE and GRANDPA keys', () => {
  const out = runCli(['build-spec', '--chain', 'local', '--disable-default-bootnode']);
  assert.equal(out.status, 0, out.stderr);
  const spec = JSON.parse(out.stdout);
  assert.equal(spec.id, 'crucible_local');
  assert.equal(spec.properties.tokenSymbol, 'CRU');
  const patch = spec.genesis.runtimeGenesis.patch;
  const keys = patch.session.keys;
  assert.equal(keys.length, 4);
  for (const [account, validator, sessionKeys] of keys) {
    assert.equal(account, validator);
    assert.ok(sessionKeys.babe && sessionKeys.grandpa, 'BABE and GRANDPA keys');
  }
  assert.equal(new Set(keys.map((k) => k[0])).size, 4, 'four distinct validators');
  assert.equal(patch.collatorSelection.invulnerables.length, 4);
  // Production-like: no fast unbonding (the runtime's week); only --dev unbonds in a minute.
  assert.ok(patch.providers?.unbondingPeriod == null, 'local networks unbond like production');
});

test('build-spec --raw encodes the genesis storage', () => {
  const out = runCli(['build-spec', '--chain', 'dev', '--raw', '--disable-default-bootnode']);
  assert.equal(out.status, 0, out.stderr);
  const spec = JSON.parse(out.stdout);
  assert.ok(Object.keys(spec.genesis.raw.top).length > 10);
});

test('an unknown --chain path is a clear error and a non-zero exit', () => {
  const out = runCli(['build-spec', '--chain', '/nonexistent/crucible-spec.json']);
  assert.notEqual(out.status, 0);
  assert.match(out.stderr, /unknown chain '\/nonexistent\/crucible-spec\.json'/);
});

test('provider attestation-key puts the given key into the keystore and proves it for the account', async () => {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  const account = keyring.addFromUri('//Bob').address;
  const key = keyring.addFromUri('//Bob//attestation');
  const basePath = tempBasePath();
  try {
    const out = runCli(['provider', 'attestation-key', '--chain', 'local', '--base-path', basePath,
      '--account', account, '--suri', '//Bob//attestation']);
    assert.equal(out.status, 0, out.stderr);
    const made = JSON.parse(out.stdout);
    assert.equal(made.attestationKey, u8aToHex(key.publicKey));
    assert.match(made.genesisHash, /^0x[0-9a-f]{64}$/);
    assert.equal(made.nonce, 0);
    const payload = ownershipPayload(made.genesisHash, account, 0);
    assert.ok(signatureVerify(payload, made.keyProof, made.attestationKey).isValid, 'a valid proof');
    const forAlice = ownershipPayload(made.genesisHash, keyring.addFromUri('//Alice').address, 0);
    assert.ok(!signatureVerify(forAlice, made.keyProof, made.attestationKey).isValid, 'for Bob only');
    const otherNonce = ownershipPayload(made.genesisHash, account, 1);
    assert.ok(!signatureVerify(otherNonce, made.keyProof, made.attestationKey).isValid, 'for nonce 0 only');
    // The dev chain is another chain: another genesis hash.
    const dev = JSON.parse(runCli(['provider', 'attestation-key', '--dev', '--base-path', basePath,
      '--account', account, '--suri', '//Bob//attestation']).stdout);
    assert.notEqual(dev.genesisHash, made.genesisHash);
    // The old spelling (`crucible-node attestation-key`) still answers, and says where it went.
    const old = runCli(['attestation-key', '--dev', '--base-path', basePath,
      '--account', account, '--suri', '//Bob//attestation']);
    assert.equal(old.status, 0, old.stderr);
    const { keyProof, ...rest } = JSON.parse(old.stdout);
    const { keyProof: _, ...devRest } = dev;
    assert.deepEqual(rest, devRest, 'the same key, chain and nonce');
    assert.ok(signatureVerify(ownershipPayload(dev.genesisHash, account, 0), keyProof, dev.attestationKey).isValid,
      'a valid proof (sr25519 signatures differ each time)');
    assert.match(old.stderr, /now `crucible-node provider attestation-key`/);
    // Stored under the Crucible key type `crat` (hex 63726174) in the chain's keystore.
    const files = readdirSync(join(basePath, 'chains', 'crucible_local', 'keystore'));
    assert.ok(files.includes(`63726174${made.attestationKey.slice(2)}`), files.join(','));
  } finally {
    cleanup(basePath);
  }
});

test('provider attestation-key refuses a malformed account with a clear error', () => {
  const basePath = tempBasePath();
  try {
    const out = runCli(['provider', 'attestation-key', '--dev', '--base-path', basePath, '--account', 'not-an-address']);
    assert.notEqual(out.status, 0);
    assert.match(out.stderr, /--account not-an-address/);
  } finally {
    cleanup(basePath);
  }
});

test('provider detect fails with a clear message and a non-zero exit on a host without an NVIDIA driver',
  () => {
    const out = runCli(['provider', 'detect']);
    if (out.status === 0) {
      // A GPU host: a profile ready for providers.register.
      const profile = JSON.parse(out.stdout);
      assert.ok(profile.gpus.length > 0 && profile.gpuUuids.length > 0);
      return;
    }
    assert.match(out.stderr, /no NVIDIA driver found/);
  });

test('provider bench computes, opens and verifies a challenge on the cpu and reports the costs', () => {
  const out = runCli(['provider', 'bench', '--backend', 'cpu', '--shape', '2x64x512x64',
    '--leaf', '16', '--samples', '8', '--json']);
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /provider overhead \(generate \+ hash \+ open\) \/ multiply: [\d.]+%/);
  assert.match(out.stdout, /chain check \(native\)/);
  const report = JSON.parse(out.stdout.trim().split('\n').at(-1));
  assert.equal(report.ops, String(2 * 2 * 64 * 512 * 64));
  assert.ok(report.opsRatio > 1000, 'the check does far less than the work');
  // Bad input is refused by name.
  const bad = runCli(['provider', 'bench', '--backend', 'cpu', '--shape', '1x63x512x64']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /Rows/);
});

test('a node asked for the cuda backend on a host without a driver starts, says why, and runs',
  { timeout: 180_000 }, async () => {
    const basePath = tempBasePath();
    const node = new DevNode(basePath, ['--compute-backend', 'cuda']);
    try {
      const api = await node.start();
      await waitForBlock(api, 2);
      await api.disconnect();
      const log = readFileSync(node.logPath, 'utf8');
      // Either the backend started (a GPU host) or the reason is in the log.
      assert.match(log, /cuda backend on |the cuda backend is unavailable: .*(NVIDIA|cuBLAS|NVRTC)/);
    } finally {
      await node.stop();
      cleanup(basePath);
    }
  });
