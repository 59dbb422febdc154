// Prints each benchmarked call's worst-case weight relative to balances.transfer_keep_alive,
// from the raw results (`--json-file`) of one benchmark run on one machine.
//   execution: the measured wasm execution time (median), with all components at their minimum
//              and at their maximum (the worst case, which the weights charge up front);
//   total:     execution + the database weight the runtime charges (RocksDbWeight: 25 µs per
//              read, 100 µs per write), as the generated weights do.
// Usage: node ratios.mjs <pallet_balances.json> <pallet_x.json>...
import { readFileSync } from 'node:fs';

const READ_PS = 25_000_000;
const WRITE_PS = 100_000_000;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/**
 * One benchmark with every component at its maximum (`pick = Math.max`, the worst case) or at
 * its minimum (`Math.min`, the smallest input).
 */
function measure(batch, pick = Math.max) {
  const at = {};
  for (const r of batch.time_results) {
    for (const [name, value] of r.components) at[name] = name in at ? pick(at[name], value) : value;
  }
  const matches = (r) => r.components.every(([name, value]) => value === at[name]);
  const times = batch.time_results.filter(matches).map((r) => Number(r.extrinsic_time) * 1000);
  const db = batch.db_results.filter(matches);
  if (times.length === 0 || db.length === 0) throw new Error(`no results at ${JSON.stringify(at)} for ${batch.benchmark}`);
  const execution = median(times);
  const reads = Math.max(...db.map((r) => r.reads));
  const writes = Math.max(...db.map((r) => r.writes));
  return { execution, reads, writes, total: execution + reads * READ_PS + writes * WRITE_PS, at };
}

const load = (path) => JSON.parse(readFileSync(path, 'utf8'));

const [balancesPath, ...pallets] = process.argv.slice(2);
if (!balancesPath || pallets.length === 0) {
  console.error('usage: node ratios.mjs <pallet_balances.json> <pallet_x.json>...');
  process.exit(2);
}
const transferBatch = load(balancesPath).find((b) => b.benchmark === 'transfer_keep_alive');
if (!transferBatch) throw new Error(`no transfer_keep_alive in ${balancesPath}`);
const ref = measure(transferBatch);
const us = (ps) => (ps / 1e6).toFixed(1).padStart(8);
const x = (a, b) => `${(a / b).toFixed(2)}x`.padStart(7);
console.log('call (components)                               execution µs  ratio |  total µs  ratio (reads/writes)');
const row = (name, w) => console.log(
  `${name.padEnd(48)}${us(w.execution)}${x(w.execution, ref.execution)} |${us(w.total)}${x(w.total, ref.total)} (${w.reads}/${w.writes})`,
);
row('pallet_balances.transfer_keep_alive', ref);
for (const path of pallets) {
  for (const batch of load(path)) {
    const name = `${batch.pallet}.${batch.benchmark}`;
    const comps = (w) => Object.entries(w.at).map(([k, v]) => `${k}=${v}`).join(',');
    const worst = measure(batch, Math.max);
    // The CLI varies one component at a time with the others at their maximum, so an
    // all-minimum run exists only for single-component benchmarks.
    if (Object.keys(worst.at).length === 1) {
      const least = measure(batch, Math.min);
      row(`${name}(${comps(least)})`, least);
    }
    row(`${name}${Object.keys(worst.at).length > 0 ? `(${comps(worst)})` : ''}`, worst);
  }
}
