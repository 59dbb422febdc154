// Load: floods a dev node with proof-of-compute heartbeats from many registered providers and,
// in the same blocks, with balances.transferKeepAlive from as many accounts, then prints how many
// of each every block included. Run by scripts/load-test.sh against a release node.
//
//   node load/heartbeats.mjs [--providers N] [--transfers N] [--node PATH]
//
// Heartbeats are what providers' workers send: free general (v5) transactions, authorized by the
// attestation key's signature. They are built here byte by byte (polkadot.js signs only v4).
import { Keyring } from '@polkadot/keyring';
import { blake2AsU8a, cryptoWaitReady } from '@polkadot/util-crypto';
import { compactAddLength, compactToU8a, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { DevNode, tempBasePath, cleanup, sleep } from '../lib/node.js';
import { ownershipPayload } from '../lib/providers.js';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const PROVIDERS = Number(args.providers ?? 4000);
const TRANSFERS = Number(args.transfers ?? 4000);
if (args.node) process.env.CRUCIBLE_NODE = args.node;
const CRU = 10n ** 12n;

/** Runs `fn` over `items`, `width` at a time. */
async function pool(items, width, fn) {
  let next = 0;
  const results = new Array(items.length);
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  }));
  return results;
}

/** Waits until `check()` is truthy, polling each block. */
async function until(api, check, what, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(2_000);
  }
}

function profile(i) {
  const uuid = new Uint8Array(16);
  new DataView(uuid.buffer).setUint32(0, i + 1, true);
  uuid[15] = 0x77;
  return {
    gpus: [{
      vendor: 'Nvidia', model: 'NVIDIA L4', vramMib: 23_034, count: 1,
      computeCapability: { major: 8, minor: 9 }, interconnect: { Pcie: 4 },
    }],
    gpuUuids: [u8aToHex(uuid)],
    cpuCores: 8, ramMib: 32_768, storageGib: 500, bandwidthMbps: 1_000,
  };
}

/** A heartbeat as a raw general extrinsic: version 5 | general, extension version 0, the
 * extensions' explicit data (immortal era, nonce 0, tip 0), then the call. */
function heartbeatExtrinsic(api, pair, period, specVersion) {
  const payload = api.createType('PalletProofOfComputeHeartbeatPayload', {
    provider: pair.address, period, report: { backend: 'Cpu', specVersion },
  });
  const signing = u8aConcat(
    compactAddLength(stringToU8a('crucible:poc:v1')), // SCALE of a byte slice: length, bytes
    compactAddLength(api.genesisHash.toU8a()),
    new Uint8Array([2]), // Phase::Heartbeat (Commit 0, Open 1, Heartbeat 2)
    payload.toU8a(),
  );
  const call = api.tx.proofOfCompute.heartbeat(payload, pair.sign(signing)).method.toU8a();
  const body = u8aConcat(new Uint8Array([0x45, 0x00, 0x00, 0x00, 0x00]), call);
  return u8aToHex(u8aConcat(compactToU8a(body.length), body));
}

async function main() {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  // Keys from seeds, before the node starts: deriving thousands of `//a//b` URIs takes minutes
  // of the event loop, long enough for the API's RPC subscriptions to time out.
  const account = (kind, i) => keyring.addFromSeed(blake2AsU8a(`crucible:load:${kind}:${i}`));
  const providers = Array.from({ length: PROVIDERS }, (_, i) => account('provider', i));
  const senders = Array.from({ length: TRANSFERS }, (_, i) => account('sender', i));
  const basePath = tempBasePath();
  const node = new DevNode(basePath, [
    '--pool-limit', String(4 * (PROVIDERS + TRANSFERS)),
    '--pool-kbytes', '200000',
    '--rpc-max-connections', '200',
  ]);
  let api = await node.start();
  try {
    const rawSubmit = (hex) => api.rawRpc('author_submitExtrinsic', [hex]);
    console.log(`node ${process.env.CRUCIBLE_NODE ?? '(debug)'}; ${PROVIDERS} providers, ${TRANSFERS} transfer senders`);

    // 1. Fund everyone from Alice, in batches.
    const minBond = api.consts.providers.minBond.toBigInt() + api.consts.providers.bondPerGpu.toBigInt(); // one GPU
    const funding = [
      ...providers.map((p) => api.tx.balances.transferKeepAlive(p.address, minBond + 10n * CRU)),
      ...senders.map((s) => api.tx.balances.transferKeepAlive(s.address, 10n * CRU)),
    ];
    let nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
    for (let i = 0; i < funding.length; i += 400) {
      const batch = api.tx.utility.batchAll(funding.slice(i, i + 400));
      await batch.signAndSend(alice, { nonce: nonce++ });
    }
    const last = senders.at(-1) ?? providers.at(-1);
    await until(api, async () => (await api.query.system.account(last.address)).data.free.toBigInt() > 0n, 'funding');
    console.log('funded');

    // 2. Every provider registers (its account key doubles as its attestation key).
    const genesis = api.genesisHash;
    const registrations = await pool(providers, 32, async (p, i) => {
      const proof = p.sign(ownershipPayload(genesis, p.address, 0));
      const tx = api.tx.providers.register(profile(i), u8aToHex(p.publicKey), u8aToHex(proof),
        'https://load.example.net', { country: 'DE', metro: null }, minBond);
      const signed = await tx.signAsync(p, { nonce: 0 });
      return rawSubmit(signed.toHex()).then(() => null, (e) => String(e.message));
    });
    const refused = registrations.filter(Boolean);
    if (refused.length) console.log(`${refused.length} registrations refused, e.g. ${refused[0]}`);
    await until(api, async () => (await api.query.providers.counterForProviders()).toNumber() >= PROVIDERS,
      'registrations');
    console.log(`${PROVIDERS} providers registered`);

    // 3. At the start of a fresh period, everything at once.
    const specVersion = api.runtimeVersion.specVersion.toNumber();
    const start = (await api.query.proofOfCompute.currentPeriod()).unwrap()[0].toNumber();
    const period = await until(api, async () => {
      const p = (await api.query.proofOfCompute.currentPeriod()).unwrap()[0].toNumber();
      return p > start ? p : null;
    }, 'a fresh period');
    const heartbeats = providers.map((p) => heartbeatExtrinsic(api, p, period, specVersion));
    const transfers = await pool(senders, 32, async (s) =>
      (await api.tx.balances.transferKeepAlive(alice.address, CRU).signAsync(s, { nonce: 0 })).toHex());
    const firstBlock = (await api.rpc.chain.getHeader()).number.toNumber() + 1;
    const t0 = Date.now();
    const both = heartbeats.map((h, i) => [h, transfers[i]]).flat().filter(Boolean);
    const submitted = await pool(both, 64, (hex) => rawSubmit(hex).then(() => null, (e) => String(e.message)));
    const failed = submitted.filter(Boolean);
    console.log(`submitted ${both.length} in ${Date.now() - t0} ms; refused ${failed.length}${failed.length ? `, e.g. ${failed[0]}` : ''}`);

    // 4. Count what each block included until everything is in (or the period ends).
    let hbTotal = 0;
    let trTotal = 0;
    let n = firstBlock;
    const rows = [];
    while ((hbTotal < heartbeats.length || trTotal < transfers.length) && n < firstBlock + 9) {
      await until(api, async () => (await api.rpc.chain.getHeader()).number.toNumber() >= n, `block ${n}`);
      const hash = await api.rpc.chain.getBlockHash(n);
      const block = await api.rpc.chain.getBlock(hash);
      const weight = (await (await api.at(hash)).query.system.blockWeight()).normal.refTime.toBigInt();
      let hb = 0;
      let tr = 0;
      for (const xt of block.block.extrinsics) {
        const name = `${xt.method.section}.${xt.method.method}`;
        if (name === 'proofOfCompute.heartbeat') hb++;
        if (name === 'balances.transferKeepAlive') tr++;
      }
      hbTotal += hb;
      trTotal += tr;
      rows.push({ block: n, heartbeats: hb, transfers: tr, normalWeightMs: Number(weight / 1_000_000_000n) });
      console.log(`block ${n}: ${hb} heartbeats, ${tr} transfers, normal weight ${Number(weight) / 1e9} ms`);
      n++;
    }
    // Goal: a block holds at least 3,000 heartbeats, and heartbeats are never crowded out by
    // transfers: every block that left heartbeats waiting included no fewer of them than of
    // transfers (the block that takes the last heartbeats fills up with transfers, as it should).
    const best = rows.reduce((m, r) => (r.heartbeats > m.heartbeats ? r : m), rows[0]);
    let included = 0;
    const crowded = rows.filter((r) => {
      included += r.heartbeats;
      return included < heartbeats.length && r.heartbeats < r.transfers;
    });
    const maxTransfers = Math.max(...rows.map((r) => r.transfers));
    const ok = best.heartbeats >= 3000 && best.heartbeats >= maxTransfers && crowded.length === 0;
    console.log(`most in a block: ${best.heartbeats} heartbeats, ${maxTransfers} transfers`);
    console.log(JSON.stringify({ providers: PROVIDERS, transfers: TRANSFERS, period, rows,
      bestBlockHeartbeats: best.heartbeats, bestBlockTransfers: maxTransfers, goalMet: ok }));
    if (!ok) process.exitCode = 1;
  } finally {
    await api.disconnect();
    await node.stop();
    cleanup(basePath);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
