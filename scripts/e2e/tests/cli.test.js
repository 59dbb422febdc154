// The node's command line, as operators script it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../lib/node.js';

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
