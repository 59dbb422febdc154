// A job: the auction's countdown, the bids with each provider's proven hardware and recent
// challenges, the lease with attested blocks and payment as a chart, escrow left and the chain's
// warnings, the container's logs and results (requests signed by the owner), the receipt with
// its audit outcome, and cancel / dispute.
import { useEffect, useRef, useState } from 'preact/hooks';
import { u8aToHex } from '@polkadot/util';
import { connection, best, useStore, cru, blockMs, duration, short } from '../lib/chain.js';
import { send, signedHeaders } from '../lib/wallet.js';
import { hasAccessKey, openSealed, parseAccess } from '../lib/access.js';
import { Chart, Failure } from '../ui.jsx';

const TRACKED = new Set(['BidPlaced', 'BidCommitted', 'BidRevealed', 'BidWithdrawn', 'LeaseStarted', 'AccessPublished', 'EscrowLow',
  'LeaseEnding', 'JobCompleted', 'JobDisputed', 'DisputeResolved', 'JobEnded', 'AuditDrawn', 'AuditorAssigned',
  'AuditAnswered', 'AuditConcluded', 'JobReceipt', 'JobCancelled', 'Paid']);

const planck = (v) => Number(v.toBigInt()) / 1e12;

/** A provider as a bidder: proven hardware, reputation and its last challenges. */
function Bidder({ api, address }) {
  const [info, setInfo] = useState(null);
  useEffect(() => {
    let live = true;
    Promise.all([api.call.providersApi.provider(address), api.call.proofOfComputeApi.recentOutcomes(address)])
      .then(([p, outcomes]) => { if (live) setInfo({ p: p.isSome ? p.unwrap() : null, outcomes }); }, () => {});
    return () => { live = false; };
  }, [address]);
  if (!info || !info.p) return <span>{short(address)}</span>;
  const gpus = info.p.profile.gpus.map((g) => `${g.count}× ${g.model.toUtf8()} (${Math.round(g.vramMib.toNumber() / 1024)} GiB)`).join(', ');
  const tally = { Passed: 0, Failed: 0, Missed: 0 };
  for (const o of info.outcomes) tally[o.outcome.type] = (tally[o.outcome.type] ?? 0) + 1;
  return (
    <span title={address}>
      {short(address)} · {info.p.status.type} · {gpus} · {info.p.region.country.toUtf8?.() ?? ''} · reputation {(info.p.reputation.toNumber() / 10_000).toFixed(1)}% ·
      challenges {tally.Passed} passed / {tally.Failed} failed / {tally.Missed} missed
    </span>
  );
}

function Countdown({ api, phase, now }) {
  if (!phase.isBidding && !phase.isRevealing) return null;
  const closes = (phase.isBidding ? phase.asBidding : phase.asRevealing).closesAt.toNumber();
  const left = Math.max(0, closes - now);
  return (
    <p class="countdown" data-testid="countdown">
      {phase.isBidding ? 'Bids close' : 'Reveals close'} at block #{closes}: in <b>{left}</b> block(s), about {duration(left * blockMs(api))}.
    </p>
  );
}

function Logs({ api, job, view, account }) {
  const [text, setText] = useState(null);
  const [error, setError] = useState(null);
  const [details, setDetails] = useState(null);
  const owner = view.owner.toString();
  const key = view.spec.workload.accessKey.toHex();
  const mine = account && account.address === owner;
  async function load(what) {
    setError(null);
    try {
      const sealed = await api.query.marketplace.access(job);
      if (sealed.isNone) throw new Error('the provider has not published the access details yet');
      const opened = parseAccess(await openSealed(key, sealed.unwrap().toU8a(true)));
      setDetails(opened);
      if (!opened.logs) throw new Error('the access details name no logs endpoint');
      const url = new URL(opened.logs);
      const path = what === 'logs' ? url.pathname : url.pathname.replace(/\/logs$/, '/outputs');
      const response = await fetch(`${url.origin}${path}`, { headers: await signedHeaders(account, 'GET', path) });
      if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);
      if (what === 'logs') {
        setText(await response.text());
      } else {
        const blob = await response.blob();
        const a = document.createElement('a');
        a.href = URL.createObjectURL(blob);
        a.download = `job-${job}-outputs.bin`;
        a.click();
      }
    } catch (e) {
      setError(String(e?.message ?? e));
    }
  }
  if (!mine) return <p class="muted">Logs and results: only the job's owner ({short(owner)}) can read them; choose that account.</p>;
  if (!hasAccessKey(key)) return <p class="muted">This browser does not hold the access key the job was posted with.</p>;
  return (
    <div class="logs">
      <button onClick={() => load('logs')} data-testid="read-logs">Read logs</button>{' '}
      <button onClick={() => load('outputs')} data-testid="download">Download results</button>
      {details && details.ports.length > 0 && <p>Published ports: {details.ports.map(([p, a]) => `${p} → ${a}`).join(', ')}</p>}
      {error && <p class="warning" data-testid="logs-error">{error}</p>}
      {text !== null && <pre data-testid="logs">{text || '(no output yet)'}</pre>}
    </div>
  );
}

function Receipt({ receipt }) {
  if (!receipt) return null;
  const r = receipt;
  const outcome = r.outcome;
  let said = outcome.type;
  if (outcome.isMatched) said = `Matched by ${outcome.asMatched.auditors.map(short).join(', ')}`;
  if (outcome.isMismatched) said = `Mismatched (chunks ${outcome.asMismatched.chunks.isSome ? outcome.asMismatched.chunks.unwrap().join(', ') : '?'})`;
  return (
    <div class="receipt" data-testid="receipt">
      <h3>Receipt</h3>
      <dl>
        <dt>Provider</dt><dd>{r.provider.toString()}</dd>
        <dt>Result root</dt><dd><code>{r.result.toHex()}</code></dd>
        <dt>Image</dt><dd><code>{r.image.toHex()}</code></dd>
        <dt>Verification</dt><dd>{r.verification.isAudited ? `audited at ${r.verification.asAudited.rate.toNumber() / 10_000}%` : 'none'}</dd>
        <dt>Audit outcome</dt><dd data-testid="audit-outcome">{said}</dd>
        <dt>Settled</dt><dd>block #{r.settledAt.toString()}</dd>
      </dl>
      <p class="muted">Anyone can check it: <code>state_getReadProof</code> of <code>marketplace.receipts({'{id}'})</code> against the settlement block's state root.</p>
    </div>
  );
}

export function JobPage({ id, account }) {
  const { api } = useStore(connection);
  const now = useStore(best);
  const [view, setView] = useState(null);
  const [gone, setGone] = useState(false);
  const [receipt, setReceipt] = useState(null);
  const [timeline, setTimeline] = useState([]);
  const [history, setHistory] = useState({ x: [], attested: [], paid: [] });
  const [failure, setFailure] = useState(null);
  const [busy, setBusy] = useState(false);
  const backfilled = useRef(false);
  const seenBlocks = useRef(new Set());

  useEffect(() => {
    backfilled.current = false;
    seenBlocks.current = new Set();
    setView(null); setGone(false); setReceipt(null); setTimeline([]); setHistory({ x: [], attested: [], paid: [] });
  }, [id]);

  // The job, its receipt and this block's events, at every new block.
  useEffect(() => {
    if (!api || !now) return undefined;
    let live = true;
    (async () => {
      const hash = await api.rpc.chain.getBlockHash(now);
      const [job, rec, events] = await Promise.all([
        api.call.marketplaceApi.job(id), api.call.marketplaceApi.receipt(id), api.query.system.events.at(hash),
      ]);
      // Every block's events are kept, even when a newer block arrived meanwhile.
      if (!seenBlocks.current.has(now)) {
        seenBlocks.current.add(now);
        const mine = events.filter(({ event }) => event.section === 'marketplace' && TRACKED.has(event.method)
          && event.data.job?.toString() === String(id));
        if (mine.length) {
          const entries = mine.map(({ event }) => ({ block: now, what: event.method, data: event.data.toHuman() }));
          setTimeline((t) => [...t, ...entries].sort((a, b) => a.block - b.block));
        }
      }
      if (!live) return;
      if (job.isSome) setView(job.unwrap()); else setGone(true);
      if (rec.isSome) setReceipt(rec.unwrap());
      if (job.isSome && job.unwrap().lease.isSome) {
        const lease = job.unwrap().lease.unwrap();
        if (!backfilled.current) {
          backfilled.current = true;
          const from = lease.start.toNumber();
          const step = Math.max(1, Math.ceil((now - from) / 30));
          const xs = [];
          for (let b = from; b < now; b += step) xs.push(b);
          const points = await Promise.all(xs.map(async (b) => {
            const at = await api.rpc.chain.getBlockHash(b);
            const l = await api.query.marketplace.leases.at(at, id);
            return l.isSome ? [b, l.unwrap()] : null;
          }));
          if (!live) return;
          const past = points.filter(Boolean);
          setHistory((h) => merge(h, past));
        }
        setHistory((h) => merge(h, [[now, lease]]));
      }
    })().catch(() => {});
    return () => { live = false; };
  }, [api, now, id]);

  if (!api) return null;
  if (!view && !gone) return <p>Reading job {id}…</p>;
  if (!view && gone && !receipt) return <p data-testid="no-job">There is no job {id} on this chain (or it ended before the receipts kept).</p>;

  const mine = account && view && account.address === view.owner.toString();
  async function act(tx) {
    setFailure(null); setBusy(true);
    try {
      const { error } = await send(api, tx, account);
      if (error) setFailure(error);
    } catch (e) {
      setFailure({ name: 'Not sent', docs: String(e?.message ?? e) });
    } finally { setBusy(false); }
  }
  const phase = view?.phase;
  const lease = view?.lease?.isSome ? view.lease.unwrap() : null;
  const ended = timeline.find((t) => t.what === 'JobEnded');
  const endOf = (end) => (typeof end === 'string' ? end : Object.keys(end ?? {})[0] ?? '');
  const status = gone ? `Ended${ended ? `: ${endOf(ended.data.end)}` : ''}` : phase.type;

  return (
    <section class="job" data-testid="job">
      <h2>Job {id} <span class="phase" data-testid="phase">{status}</span></h2>
      {view && (
        <div class="summary">
          <p>Posted by {short(view.owner)} · {view.spec.duration.toString()} blocks at most {cru(view.spec.maxPricePerBlock)} per block ·
            {view.spec.auction.isOpen ? ' open auction' : ' sealed auction'} · {view.spec.verification.isAudited ? `audited at ${view.spec.verification.asAudited.rate.toNumber() / 10_000}%` : 'not audited'}</p>
          <p>Image <code>{view.spec.workload.image.toHex().slice(0, 18)}…</code>{view.manifest.isSome ? ` from ${view.manifest.unwrap().repository.toUtf8()}` : ''}</p>
          {!gone && <Countdown api={api} phase={phase} now={now} />}
          {gone
            ? <p data-testid="escrow">Ended: the chain has paid out or returned the escrow and the deposits.</p>
            : <p data-testid="escrow">Escrow left: <b>{cru(view.escrow)}</b> · deposits held {cru(view.deposit)}</p>}
        </div>
      )}
      {view && !lease && !gone && (
        <div class="bids">
          <h3>Bids ({view.bids.length}{view.sealedBids.toNumber() ? `, ${view.sealedBids} sealed` : ''})</h3>
          {view.bids.length === 0 ? <p class="muted" data-testid="no-bids">No bids yet.</p> : (
            <ol data-testid="bids">
              {view.bids.map((b) => <li key={b.provider.toString()}><b>{cru(b.price)}</b> per block — <Bidder api={api} address={b.provider.toString()} /></li>)}
            </ol>
          )}
        </div>
      )}
      {lease && (
        <div class="lease" data-testid="lease">
          <h3>Lease</h3>
          <p>Won by <Bidder api={api} address={lease.provider.toString()} /> at <b>{cru(lease.pricePerBlock)}</b> per block.</p>
          <p>Blocks #{lease.start.toString()}–#{lease.end.toString()} · attested through #{lease.attestedThrough.toString()} ·
            <span data-testid="attested"> {lease.paidBlocks.toNumber() + lease.unpaidBlocks.toNumber()} attested blocks</span> ·
            accrued {cru(lease.accrued)} · paid out {cru(lease.claimed)}{lease.collateral.toBigInt() > 0n ? ` · collateral ${cru(lease.collateral)}` : ''}</p>
          <Chart testid="lease-chart" x={history.x} series={[
            { label: 'attested blocks', values: history.attested, color: '#2a6fdb', axis: 'blocks', stepped: true, width: 4 },
            { label: 'payment (CRU)', values: history.paid, color: '#1a9e55', scale: 'cru', axis: 'CRU', stepped: true, dash: [6, 4] },
          ]} />
          <Logs api={api} job={id} view={view} account={account} />
        </div>
      )}
      {gone && !view && <p>The job has settled; its record is gone from the chain and its receipt stays.</p>}
      <Receipt receipt={receipt} />
      {view && mine && !gone && (
        <div class="actions">
          {(phase.isBidding || phase.isRunning) && <button disabled={busy} onClick={() => act(api.tx.marketplace.cancelJob(id))} data-testid="cancel">Cancel job</button>}
          {phase.isCompleted && <button disabled={busy} onClick={() => act(api.tx.marketplace.dispute(id, u8aToHex(new TextEncoder().encode('result disputed from the console'))))} data-testid="dispute">Dispute the result</button>}
        </div>
      )}
      {failure && <Failure failure={failure} />}
      <div class="timeline">
        <h3>What happened (since this page opened)</h3>
        <ul data-testid="timeline">
          {timeline.map((t, i) => <li key={i} class={t.what === 'EscrowLow' || t.what === 'LeaseEnding' ? 'warning' : ''}>#{t.block} {t.what}</li>)}
        </ul>
      </div>
    </section>
  );
}

function merge(h, points) {
  const map = new Map(h.x.map((b, i) => [b, [h.attested[i], h.paid[i]]]));
  for (const [b, l] of points) {
    map.set(b, [l.paidBlocks.toNumber() + l.unpaidBlocks.toNumber(), planck(l.accrued) + planck(l.claimed)]);
  }
  const xs = [...map.keys()].sort((a, b) => a - b);
  return { x: xs, attested: xs.map((b) => map.get(b)[0]), paid: xs.map((b) => map.get(b)[1]) };
}
