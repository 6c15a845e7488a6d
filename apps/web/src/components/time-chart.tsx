// Counts per time bucket drawn with uPlot on a canvas, so it works under our CSP (no inline
// styles or scripts). The one charting setup of the UI: the endpoint page's traffic and the
// Messages page's volume are both this chart with their own series.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface SeriesSpec<B> {
  label: string;
  stroke: string;
  value: (bucket: B) => number;
}

/**
 * Aligns sparse buckets (`t`: ISO start) on every bucket from `from` to `to` (default now),
 * missing ones as zeros: [times (unix seconds), one array per series].
 */
export function alignSeries<B extends { t: string }>(
  buckets: B[],
  series: SeriesSpec<B>[],
  from: string,
  bucketSeconds: number,
  to?: string,
): uPlot.AlignedData {
  const floor = (ms: number) => Math.floor(ms / 1000 / bucketSeconds) * bucketSeconds;
  const start = floor(new Date(from).getTime());
  // `to` is exclusive: the last bucket is the one holding the instant just before it.
  const end = floor((to ? new Date(to).getTime() : Date.now()) - (to ? 1 : 0));
  const index = new Map(buckets.map((b) => [Math.floor(new Date(b.t).getTime() / 1000), b]));
  const xs: number[] = [];
  const ys = series.map(() => [] as number[]);
  for (let t = start; t <= end; t += bucketSeconds) {
    const b = index.get(t);
    xs.push(t);
    for (const [i, s] of series.entries()) ys[i]!.push(b ? s.value(b) : 0);
  }
  return [xs, ...ys];
}

export function TimeChart<B extends { t: string }>({
  buckets,
  series,
  from,
  to,
  bucketSeconds,
  yLabel,
  testId,
}: {
  buckets: B[];
  series: SeriesSpec<B>[];
  from: string;
  to?: string;
  bucketSeconds: number;
  yLabel: string;
  testId: string;
}) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const host = el.current;
    if (!host) return;
    const plot = new uPlot(
      {
        width: Math.max(320, host.clientWidth),
        height: 220,
        scales: { x: { time: true } },
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 1.5 }))],
        axes: [{}, { label: yLabel }],
      },
      alignSeries(buckets, series, from, bucketSeconds, to),
      host,
    );
    return () => plot.destroy();
  }, [buckets, series, from, to, bucketSeconds, yLabel]);
  return <div ref={el} className="traffic-chart" data-testid={testId} />;
}
