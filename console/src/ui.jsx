// Small shared pieces: a labelled field, a failed transaction, a uPlot time series.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export function Field({ label, children }) {
  return (
    <label class="field">
      <span>{label}</span>
      {children}
    </label>
  );
}

/** A rejected transaction: the pallet's error name and what its documentation says. */
export function Failure({ failure }) {
  return (
    <div class="failure" role="alert" data-testid="failure">
      <b data-testid="failure-name">{failure.name}</b>
      {failure.docs && <p data-testid="failure-docs">{failure.docs}</p>}
    </div>
  );
}

/**
 * A time series: `x` (block or era numbers, `xLabel`) against each of `series` (`{ label, values, color,
 * scale }`); redrawn when the data grows. `data-points` says how many points it holds.
 */
export function Chart({ x, series, height = 220, testid, xLabel = 'block' }) {
  const box = useRef(null);
  const plot = useRef(null);
  const shape = series.map((s) => `${s.label}:${s.scale ?? 'y'}`).join('|');
  useEffect(() => {
    const scales = { x: { time: false } };
    // Whole blocks (or eras) on the x axis.
    const axes = [{ label: xLabel, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000] }];
    const seen = new Set();
    for (const s of series) {
      const scale = s.scale ?? 'y';
      if (seen.has(scale)) continue;
      seen.add(scale);
      scales[scale] = {};
      axes.push({ scale, label: s.axis ?? s.label, side: seen.size === 1 ? 3 : 1, grid: { show: seen.size === 1 } });
    }
    const opts = {
      width: box.current.clientWidth || 600,
      height,
      scales,
      axes,
      series: [{ label: xLabel }, ...series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: s.width ?? 2,
        dash: s.dash,
        scale: s.scale ?? 'y',
        // What the chain counts moves in steps (an attestation covers many blocks at once).
        paths: s.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined,
        points: { show: x.length < 40 },
      }))],
    };
    plot.current = new uPlot(opts, [x, ...series.map((s) => s.values)], box.current);
    const resize = () => plot.current?.setSize({ width: box.current.clientWidth || 600, height });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape]);
  useEffect(() => {
    plot.current?.setData([x, ...series.map((s) => s.values)]);
  }, [x.length, x[x.length - 1], ...series.map((s) => s.values[s.values.length - 1])]);
  return <div class="chart" ref={box} data-testid={testid} data-points={x.length} />;
}
