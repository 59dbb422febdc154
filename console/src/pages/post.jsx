// Post a job: hardware, lease terms and the container manifest, with the chain's own estimate
// beside the form — who would bid (standing offers), at what price, and a plain warning when
// nobody can serve the job — before anything is paid.
import { useEffect, useState } from 'preact/hooks';
import { connection, cru, blockMs, duration, short, useStore, best, useChain } from '../lib/chain.js';
import { send } from '../lib/wallet.js';
import { newAccessKey } from '../lib/access.js';
import { EMPTY_FORM, jobOf, requirementOf } from '../lib/job.js';
import { Field, Failure } from '../ui.jsx';

const SAVED = 'crucible.postForm';

function loadForm() {
  try {
    return { ...EMPTY_FORM, ...JSON.parse(window.localStorage.getItem(SAVED) ?? '{}') };
  } catch {
    return { ...EMPTY_FORM };
  }
}

/** The live estimate for the form's requirement and duration (re-read every block). */
function useEstimate(api, form) {
  const block = useStore(best);
  const [estimate, setEstimate] = useState(null);
  const problems = [];
  const requirement = requirementOf(form, problems);
  const blocks = Number(form.duration) || 1;
  const key = JSON.stringify([requirement, blocks, problems.length]);
  useEffect(() => {
    if (!api || problems.length) return undefined;
    let live = true;
    api.call.marketplaceApi.estimate(requirement, blocks).then((e) => { if (live) setEstimate(e); }, () => {});
    return () => { live = false; };
  }, [api, key, block]);
  return problems.length ? null : estimate;
}

function Estimate({ api, estimate, form, maxPrice }) {
  if (!estimate) return <aside class="estimate" data-testid="estimate">Asking the chain…</aside>;
  const matching = estimate.matching.toNumber();
  const offers = estimate.offers ? estimate.offers.toArray() : [];
  const gpus = BigInt(Math.max(1, Number(form.minGpuCount) || 1));
  const within = offers.filter((o) => maxPrice !== null && o.pricePerBlock.toBigInt() <= maxPrice);
  const ms = blockMs(api);
  let warning = null;
  if (matching === 0) {
    warning = 'Nobody can serve this job right now: no proven (Active) provider has this hardware. '
      + 'If you post it, the auction will close without bids and your escrow comes back — but you pay the transaction fee and wait the bid window for nothing.';
  } else if (offers.length === 0) {
    warning = `${matching} provider(s) have this hardware, but none publishes a standing offer for it: they may not bid.`;
  } else if (within.length === 0) {
    const cheapest = offers.map((o) => o.pricePerBlock.toBigInt()).reduce((a, b) => (a < b ? a : b));
    warning = `No standing offer is at or below your maximum price: the cheapest is ${cru(cheapest)} per block for ${gpus} GPU(s). Raise the price or nobody will bid.`;
  }
  return (
    <aside class="estimate" data-testid="estimate">
      <h3>Who would serve it</h3>
      <p data-testid="matching"><b>{matching}</b> proven provider(s) match{estimate.complete.isTrue ? '' : ` (of the first ${estimate.scanned} looked at)`}.</p>
      {warning && <p class="warning" role="alert" data-testid="no-bidders">{warning}</p>}
      {offers.length > 0 && (
        <table data-testid="offers">
          <thead><tr><th>Provider</th><th>GPU</th><th>Price / block</th><th>Free GPUs</th><th>Longest lease</th></tr></thead>
          <tbody>
            {offers.map((o) => (
              <tr key={o.provider.toString()} class={within.includes(o) ? '' : 'muted'}>
                <td title={o.provider.toString()}>{short(o.provider)}</td>
                <td>{o.class.toString()}</td>
                <td>{cru(o.pricePerBlock)}</td>
                <td>{o.freeGpus.toString()}</td>
                <td>{o.maxDuration.isSome ? `${o.maxDuration.unwrap()} blocks` : 'any'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {estimate.prices.length > 0 && (
        <div>
          <h4>Recent lease prices (per block, per GPU)</h4>
          <ul>
            {estimate.prices.map((p) => (
              <li key={p.class.toString()}>{p.class.toString()}: {cru(p.min)} – {cru(p.max)} ({p.leases.toString()} leases)</li>
            ))}
          </ul>
        </div>
      )}
      <p class="muted">A lease of {form.duration} blocks lasts about {duration((Number(form.duration) || 0) * ms)}.</p>
    </aside>
  );
}

export function PostJob({ account }) {
  const { api } = useStore(connection);
  const [form, setForm] = useState(loadForm);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState(null);
  const estimate = useEstimate(api, form);
  const [balance] = useChain(async (a) => (account ? (await a.query.system.account(account.address)).data.free.toBigInt() : null), [account?.address]);
  useEffect(() => { window.localStorage.setItem(SAVED, JSON.stringify(form)); }, [form]);
  if (!api) return null;

  const set = (name) => (e) => setForm({ ...form, [name]: e.currentTarget.type === 'checkbox' ? e.currentTarget.checked : e.currentTarget.value });
  const preview = jobOf(api, form, '0x' + '00'.repeat(32));
  const deposits = api.consts.marketplace.jobDeposit.toBigInt() + api.consts.marketplace.manifestDeposit.toBigInt();
  const maxPrice = preview.problems.some((p) => p.startsWith('Max price')) ? null : preview.spec.maxPricePerBlock;

  async function post(e) {
    e.preventDefault();
    setFailure(null);
    if (!account) { setFailure({ name: 'No account', docs: 'Choose an account (top right) to post from.' }); return; }
    if (preview.problems.length) return;
    setBusy(true);
    try {
      const accessKey = await newAccessKey();
      const { spec, manifest } = jobOf(api, form, accessKey);
      const { events, error } = await send(api, api.tx.marketplace.postJob(spec, manifest), account);
      if (error) { setFailure(error); return; }
      const posted = events.find(({ event }) => api.events.marketplace.JobPosted.is(event));
      window.location.hash = `#/job/${posted.event.data.job.toString()}`;
    } catch (err) {
      // The pool's refusal (its first line: the node's reason).
      setFailure({ name: 'Not sent', docs: String(err?.message ?? err).split('\n')[0] });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="post">
      <h2>Post a job</h2>
      <div class="columns">
        <form onSubmit={post} data-testid="post-form">
          <fieldset>
            <legend>Hardware</legend>
            <Field label="GPU vendor"><select name="vendor" value={form.vendor} onChange={set('vendor')}>
              <option value="">any</option><option>Nvidia</option><option>Amd</option><option>Intel</option>
            </select></Field>
            <Field label="GPU model (exact, empty for any)"><input name="model" value={form.model} onInput={set('model')} placeholder="NVIDIA H100 80GB HBM3" /></Field>
            <Field label="GPUs"><input name="minGpuCount" value={form.minGpuCount} onInput={set('minGpuCount')} inputMode="numeric" /></Field>
            <Field label="VRAM per GPU (MiB)"><input name="minVramMib" value={form.minVramMib} onInput={set('minVramMib')} inputMode="numeric" /></Field>
            <Field label="Country (ISO code, empty for anywhere)"><input name="country" value={form.country} onInput={set('country')} maxLength={2} /></Field>
            <Field label="Minimum reputation (%)"><input name="minReputation" value={form.minReputation} onInput={set('minReputation')} /></Field>
          </fieldset>
          <fieldset>
            <legend>Lease</legend>
            <Field label="Duration (blocks)"><input name="duration" value={form.duration} onInput={set('duration')} inputMode="numeric" /></Field>
            <Field label="Max price per block (CRU)"><input name="maxPrice" value={form.maxPrice} onInput={set('maxPrice')} /></Field>
            <Field label="Bid window (blocks)"><input name="bidWindow" value={form.bidWindow} onInput={set('bidWindow')} inputMode="numeric" /></Field>
            <Field label="Auction"><select name="auction" value={form.auction} onChange={set('auction')}>
              <option value="Open">open (bids public, best wins)</option><option value="Sealed">sealed (commit, then reveal)</option>
            </select></Field>
            {form.auction === 'Sealed' && <Field label="Reveal window (blocks)"><input name="revealWindow" value={form.revealWindow} onInput={set('revealWindow')} /></Field>}
            <Field label="Verification"><select name="verification" value={form.verification} onChange={set('verification')}>
              <option value="None">none</option><option value="Audited">audited (a random provider re-runs it)</option>
            </select></Field>
            {form.verification === 'Audited' && <Field label="Audit rate (%)"><input name="auditRate" value={form.auditRate} onInput={set('auditRate')} /></Field>}
          </fieldset>
          <fieldset>
            <legend>Container</legend>
            <Field label="Image repository"><input name="repository" value={form.repository} onInput={set('repository')} placeholder="registry.example.com/team/trainer" /></Field>
            <Field label="Image digest"><input name="digest" value={form.digest} onInput={set('digest')} placeholder="sha256:…" /></Field>
            <Field label="Command (one word per line)"><textarea name="command" rows={3} value={form.command} onInput={set('command')} /></Field>
            <Field label="Environment (NAME=value per line)"><textarea name="env" rows={2} value={form.env} onInput={set('env')} /></Field>
            <Field label="Ports (comma separated)"><input name="ports" value={form.ports} onInput={set('ports')} /></Field>
            <Field label="Memory (MiB)"><input name="memoryMib" value={form.memoryMib} onInput={set('memoryMib')} /></Field>
            <Field label="Disk for /out (MiB)"><input name="diskMib" value={form.diskMib} onInput={set('diskMib')} /></Field>
            <label class="check"><input type="checkbox" name="egress" checked={form.egress} onChange={set('egress')} /> network egress</label>
            <label class="check"><input type="checkbox" name="deterministic" checked={form.deterministic} onChange={set('deterministic')} /> deterministic (same outputs on every honest run)</label>
          </fieldset>
          {preview.problems.length > 0 && (
            <ul class="problems" data-testid="problems">{preview.problems.map((p) => <li key={p}>{p}</li>)}</ul>
          )}
          <p data-testid="cost">Escrow held: <b>{cru(preview.escrow)}</b> (the lease at its maximum price{form.verification === 'Audited' ? ' and one audit fee' : ''}), plus {cru(deposits)} of deposits returned at the end. The winning bid's price is what is paid; the rest comes back.</p>
          {balance !== undefined && balance !== null && balance < preview.escrow + deposits && (
            <p class="warning" data-testid="low-balance">{account.name} has {cru(balance)} free: less than the {cru(preview.escrow + deposits)} posting holds. The chain will refuse it.</p>
          )}
          <button type="submit" disabled={busy || preview.problems.length > 0} data-testid="post">{busy ? 'Posting…' : 'Post job'}</button>
          {failure && <Failure failure={failure} />}
        </form>
        <Estimate api={api} estimate={estimate} form={form} maxPrice={maxPrice} />
      </div>
    </section>
  );
}
