// The network: providers by GPU class, model and country; tokenomics — minted, burned and net
// issuance per era as a chart, supply against the cap; open referenda on the emissions track,
// with a link into polkadot.js Apps to vote.
import { connection, useStore, useChain, cru, endpoint } from '../lib/chain.js';
import { Chart } from '../ui.jsx';

/** The chain's GPU class of a GPU (as `GpuClass::of` in crucible_primitives::proof_of_compute). */
export function gpuClass(vendor, model) {
  if (vendor !== 'Nvidia') return 'Other';
  let cls = 'Other';
  for (const word of model.toUpperCase().split(/[ _-]/)) {
    if (['H100', 'H200', 'H800', 'GH200'].includes(word)) return 'H100';
    if (['A100', 'A800'].includes(word)) return 'A100';
    if (['4090', 'L40', 'L40S'].includes(word)) return 'Rtx4090';
    if (word === 'L4') cls = 'L4';
  }
  return cls;
}

const ANY = { minVramMib: 0, minGpuCount: 0, vendor: null, model: null, country: null };
const MAX_PROVIDERS = 500;
const ERAS = 30;

async function loadNetwork(api) {
  const providers = [];
  let after = null;
  while (providers.length < MAX_PROVIDERS) {
    const page = await api.call.providersApi.providersMatching(ANY, false, after, 100);
    providers.push(...page.providers);
    if (page.next.isNone) break;
    after = page.next.unwrap();
  }
  const views = await Promise.all(providers.map((a) => api.call.providersApi.provider(a)));
  const groups = new Map();
  for (const v of views) {
    if (v.isNone) continue;
    const p = v.unwrap();
    for (const g of p.profile.gpus) {
      const cls = gpuClass(g.vendor.toString(), g.model.toUtf8());
      const country = p.region.country.toUtf8?.() ?? '';
      const key = `${cls}|${g.model.toUtf8()}|${country}`;
      const row = groups.get(key) ?? { cls, model: g.model.toUtf8(), country, hosts: 0, gpus: 0, active: 0 };
      if (p.status.isActive) row.active += 1;
      row.hosts += 1;
      row.gpus += g.count.toNumber();
      groups.set(key, row);
    }
  }
  const t = await api.call.emissionsApi.tokenomics();
  const era = t.era.toNumber();
  const eras = [];
  for (let e = Math.max(0, era - ERAS); e <= era; e++) {
    const r = e === era ? t.current : (await api.call.emissionsApi.era(e)).unwrapOr(null);
    if (r) eras.push({ era: e, minted: Number(r.minted.toBigInt()) / 1e12, burned: Number(r.burned.toBigInt()) / 1e12 });
  }
  const referenda = [];
  if (api.query.referenda) {
    const tracks = api.consts.referenda.tracks.map(([id, info]) => [id.toNumber(), info.name.toString()]);
    const names = new Map(tracks);
    for (const [key, info] of await api.query.referenda.referendumInfoFor.entries()) {
      if (!info.isSome || !info.unwrap().isOngoing) continue;
      const ongoing = info.unwrap().asOngoing;
      const track = names.get(ongoing.track.toNumber()) ?? String(ongoing.track);
      referenda.push({ index: key.args[0].toNumber(), track, tally: ongoing.tally.toHuman() });
    }
  }
  const rows = [...groups.values()].sort((a, b) => a.cls.localeCompare(b.cls) || b.gpus - a.gpus);
  return { rows, total: providers.length, t, eras, referenda };
}

export function Network() {
  const { api } = useStore(connection);
  const [net, error] = useChain(loadNetwork, []);
  if (!api) return null;
  if (error) return <p class="warning">{error}</p>;
  if (!net) return <p>Reading the network…</p>;
  const { t } = net;
  const apps = `https://polkadot.js.org/apps/?rpc=${encodeURIComponent(endpoint())}#/referenda`;
  const supply = t.supply.toBigInt();
  const cap = t.maxSupply.toBigInt();
  return (
    <section class="network" data-testid="network">
      <h2>Network</h2>
      <h3>Providers ({net.total} registered)</h3>
      <table data-testid="providers-table">
        <thead><tr><th>Class</th><th>GPU</th><th>Country</th><th>Hosts</th><th>Proven</th><th>GPUs</th></tr></thead>
        <tbody>{net.rows.map((r) => <tr key={`${r.cls}|${r.model}|${r.country}`}><td>{r.cls}</td><td>{r.model}</td><td>{r.country}</td><td>{r.hosts}</td><td>{r.active}</td><td>{r.gpus}</td></tr>)}</tbody>
      </table>
      <h3>Tokenomics</h3>
      <p>Era {t.era.toString()} (from #{t.eraStart.toString()}, {t.eraLength.toString()} blocks) · next emission {cru(t.nextEmission)} ·
        minted {cru(t.minted)} · burned {cru(t.burned)} · slashed {cru(t.slashed)}</p>
      <p data-testid="supply">Supply {cru(supply, 0)} of a cap of {cru(cap, 0)} ({cap > 0n ? (Number((supply * 10_000n) / cap) / 100).toFixed(2) : '?'}%)</p>
      <p class="muted">Per era (the last one still running).</p>
      <Chart testid="eras-chart" xLabel="era" x={net.eras.map((e) => e.era)} series={[
        { label: 'minted', values: net.eras.map((e) => e.minted), color: '#2a6fdb', axis: 'CRU', width: 4 },
        { label: 'burned', values: net.eras.map((e) => e.burned), color: '#d9534f' },
        { label: 'net issuance', values: net.eras.map((e) => e.minted - e.burned), color: '#1a9e55', dash: [6, 4] },
      ]} />
      <h3>Open referenda</h3>
      {net.referenda.length === 0 ? <p class="muted">None open. Anyone can propose a change of the emission parameters on the emissions track.</p> : (
        <ul>{net.referenda.map((r) => <li key={r.index}>#{r.index} on {r.track}: ayes {r.tally.ayes}, nays {r.tally.nays} — <a href={apps} target="_blank" rel="noreferrer">vote in polkadot.js Apps</a></li>)}</ul>
      )}
      <p><a href={apps} target="_blank" rel="noreferrer">All referenda in polkadot.js Apps</a></p>
    </section>
  );
}
