// My hosts: the chosen account as a provider — status, bond and unbonding, reputation, the
// challenge history by period, its standing offer, leases and what they earned, and the
// emissions it can claim, era by era, with a claim button.
import { useState } from 'preact/hooks';
import { connection, useStore, useChain, cru, short } from '../lib/chain.js';
import { send } from '../lib/wallet.js';
import { Failure } from '../ui.jsx';

async function loadHost(api, address) {
  const p = await api.call.providersApi.provider(address);
  if (p.isNone) return { provider: null };
  const [outcomes, leases, tokenomics, offer] = await Promise.all([
    api.call.proofOfComputeApi.recentOutcomes(address),
    api.call.marketplaceApi.leasesOf(address),
    api.call.emissionsApi.tokenomics(),
    api.query.marketplace.offers ? api.query.marketplace.offers(address) : Promise.resolve(null),
  ]);
  const views = await Promise.all(leases.map((id) => api.call.marketplaceApi.job(id)));
  const era = tokenomics.era.toNumber();
  const oldest = (await api.query.emissions.oldestEra()).toNumber();
  const claimable = [];
  for (let e = Math.max(oldest, era - 20); e < era; e++) {
    const amount = (await api.call.emissionsApi.claimable(address, e)).toBigInt();
    if (amount > 0n) claimable.push({ era: e, amount });
  }
  return { provider: p.unwrap(), outcomes, leases: views.filter((v) => v.isSome).map((v) => v.unwrap()), era, claimable, offer };
}

export function Hosts({ account }) {
  const { api } = useStore(connection);
  const [failure, setFailure] = useState(null);
  const [claimed, setClaimed] = useState([]);
  const [host, error] = useChain((a) => (account ? loadHost(a, account.address) : Promise.resolve(null)), [account?.address]);
  if (!api) return null;
  if (!account) return <p>Choose the provider's account (top right).</p>;
  if (error) return <p class="warning">{error}</p>;
  if (!host) return <p>Reading {short(account.address)}…</p>;
  if (!host.provider) return <p data-testid="not-provider">{account.name} is not a registered provider. Register a host with <code>crucible-node provider attestation-key</code> and <code>providers.register</code> (see the README).</p>;
  const p = host.provider;
  const tally = { Passed: 0, Failed: 0, Missed: 0 };
  for (const o of host.outcomes) tally[o.outcome.type] = (tally[o.outcome.type] ?? 0) + 1;

  async function claim(era) {
    setFailure(null);
    try {
      const { error: err, events } = await send(api, api.tx.emissions.claim(era), account);
      if (err) { setFailure(err); return; }
      const done = events.find(({ event }) => api.events.emissions.Claimed.is(event));
      setClaimed((c) => [...c, { era, amount: done ? done.event.data.amount.toBigInt() : 0n }]);
    } catch (e) {
      setFailure({ name: 'Not sent', docs: String(e?.message ?? e) });
    }
  }
  const offer = host.offer && host.offer.isSome ? host.offer.unwrap() : null;
  return (
    <section class="hosts" data-testid="host">
      <h2>{account.name} <span class="phase" data-testid="host-status">{p.status.type}</span></h2>
      <p>GPUs: {p.profile.gpus.map((g) => `${g.count}× ${g.model.toUtf8()}`).join(', ')} · region {p.region.country.toUtf8?.() ?? String(p.region.country)} ·
        reputation <b data-testid="reputation">{(p.reputation.toNumber() / 10_000).toFixed(1)}%</b></p>
      <p>Bond {cru(p.bond)} (all held: {cru(p.totalBonded)}){p.unbonding.length > 0 && <> · unbonding: {p.unbonding.map((c) => `${cru(c.amount)} at #${c.unlockAt}`).join(', ')}</>}</p>
      {offer && <p data-testid="offer">Standing offer: {cru(offer.offer.pricePerGpu)} per GPU per block, up to {offer.offer.maxLeases.toString()} leases{offer.offer.maxDuration.isSome ? `, leases of at most ${offer.offer.maxDuration.unwrap()} blocks` : ''} (published at #{offer.updatedAt.toString()}).</p>}
      <h3>Challenges ({tally.Passed} passed, {tally.Failed} failed, {tally.Missed} missed)</h3>
      <table data-testid="challenges">
        <thead><tr><th>Period</th><th>Settled at</th><th>Outcome</th></tr></thead>
        <tbody>{host.outcomes.map((o) => (
          <tr key={o.period.toString()} class={o.outcome.isPassed ? '' : 'warning'}><td>{o.period.toString()}</td><td>#{o.at.toString()}</td><td>{o.outcome.type}</td></tr>
        ))}</tbody>
      </table>
      <h3>Leases ({host.leases.length})</h3>
      <ul>{host.leases.map((v) => {
        const l = v.lease.unwrap();
        return <li key={v.id.toString()}><a href={`#/job/${v.id}`}>job {v.id.toString()}</a>: {v.phase.type}, {cru(l.pricePerBlock)} per block, accrued {cru(l.accrued)}, paid out {cru(l.claimed)}</li>;
      })}</ul>
      <h3>Emissions (era {host.era} running)</h3>
      {host.claimable.length === 0 && claimed.length === 0 && <p class="muted" data-testid="nothing-to-claim">Nothing to claim in the eras kept.</p>}
      <ul data-testid="claimable">
        {host.claimable.map((c) => (
          <li key={c.era}>era {c.era}: <b>{cru(c.amount)}</b> <button onClick={() => claim(c.era)} data-testid={`claim-${c.era}`}>Claim</button></li>
        ))}
      </ul>
      {claimed.map((c) => <p key={c.era} data-testid="claimed">Claimed {cru(c.amount)} for era {c.era}.</p>)}
      {failure && <Failure failure={failure} />}
    </section>
  );
}
