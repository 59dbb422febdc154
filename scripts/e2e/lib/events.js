// Reading a dev chain's events block by block (blocks are final enough on a one-validator dev
// chain): what the multi-block e2e flows wait on.
import { sleep } from './node.js';

/** An event reader for `api`, caching each block's events. */
export function eventLog(api) {
  const seen = new Map();

  /** Every event from block `from` on, with its block number and hash. */
  async function eventsSince(from) {
    const best = (await api.rpc.chain.getHeader()).number.toNumber();
    const out = [];
    for (let n = from; n <= best; n++) {
      if (!seen.has(n)) {
        const hash = await api.rpc.chain.getBlockHash(n);
        const records = await (await api.at(hash)).query.system.events();
        seen.set(n, records.map((r) => ({ block: n, hash, phase: r.phase, event: r.event })));
      }
      out.push(...seen.get(n));
    }
    return out;
  }

  /** Waits until `predicate(events since block from)` holds; returns its (truthy) result. */
  async function waitForEvents(from, predicate, what, timeoutMs = 240_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = predicate(await eventsSince(from));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(3_000);
    }
  }

  return { eventsSince, waitForEvents };
}
