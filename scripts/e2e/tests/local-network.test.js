// The `--chain local` network: four validator nodes (Alice, Bob, Charlie, Dave) find each other,
// take turns producing blocks with BABE and finalize them with GRANDPA.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withNodes, freePort, waitForFinalized, sleep } from '../lib/node.js';

// Alice's node key is fixed (0x…01), so her peer id is known and the others can dial her.
const ALICE_PEER = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp';
const apis = [];

withNodes(async (net) => {
  const alicePort = await freePort();
  const who = ['alice', 'bob', 'charlie', 'dave'];
  for (const [i, name] of who.entries()) {
    const extra = ['--node-key', (i + 1).toString(16).padStart(64, '0')];
    if (name !== 'alice') extra.push('--bootnodes', `/ip4/127.0.0.1/tcp/${alicePort}/p2p/${ALICE_PEER}`);
    const node = net.node(extra, ['--chain', 'local', `--${name}`, '--validator']);
    if (name === 'alice') node.p2pPort = alicePort;
  }
  for (const node of net.nodes) apis.push(await net.start(node));
});

test('four validators connect, author in turn and finalize', { timeout: 300_000 }, async () => {
  // Everyone sees the three others.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const peers = await Promise.all(apis.map(async (api) => (await api.rpc.system.health()).peers.toNumber()));
    if (peers.every((p) => p === 3)) break;
    assert.ok(Date.now() < deadline, `peers: ${peers}`);
    await sleep(1_000);
  }

  // Blocks are finalized on every node, and more than one validator authored them.
  await Promise.all(apis.map((api) => waitForFinalized(api, 6, 180_000)));
  const api = apis[0];
  const validators = (await api.query.session.validators()).map(String);
  assert.equal(validators.length, 4);
  // polkadot.js derives each block's author from BABE's pre-digest and the session validators.
  const authors = new Set();
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  for (let n = 1; n <= best; n++) {
    const header = await api.derive.chain.getHeader(await api.rpc.chain.getBlockHash(n));
    if (header.author) authors.add(header.author.toString());
  }
  assert.ok(authors.size >= 2, `authors: ${[...authors]}`);
  for (const a of authors) assert.ok(validators.includes(a), `${a} is a session validator`);
});
