// An endpoint's traffic over time (accepted, duplicate, refused) drawn with uPlot on a canvas,
// so it works under our CSP (no inline styles or scripts). Empty buckets are filled with zeros.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface TrafficBucket {
  t: string;
  accepted: number;
  duplicate: number;
  refused: Record<string, number>;
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/** Series aligned on every bucket from `from` to now: [times, accepted, duplicate, refused]. */
export function alignBuckets(
  buckets: TrafficBucket[],
  from: string,
  bucketSeconds: number,
): uPlot.AlignedData {
  const start = Math.floor(new Date(from).getTime() / 1000 / bucketSeconds) * bucketSeconds;
  const end = Math.floor(Date.now() / 1000 / bucketSeconds) * bucketSeconds;
  const index = new Map(buckets.map((b) => [Math.floor(new Date(b.t).getTime() / 1000), b]));
  const xs: number[] = [];
  const acc: number[] = [];
  const dup: number[] = [];
  const ref: number[] = [];
  for (let t = start; t <= end; t += bucketSeconds) {
    const b = index.get(t);
    xs.push(t);
    acc.push(b?.accepted ?? 0);
    dup.push(b?.duplicate ?? 0);
    ref.push(b ? sum(b.refused) : 0);
  }
  return [xs, acc, dup, ref];
}

export function TrafficChart({
  buckets,
  from,
  bucketSeconds,
}: {
  buckets: TrafficBucket[];
  from: string;
  bucketSeconds: number;
}) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const host = el.current;
    if (!host) return;
    const data = alignBuckets(buckets, from, bucketSeconds);
    const plot = new uPlot(
      {
        width: Math.max(320, host.clientWidth),
        height: 220,
        scales: { x: { time: true } },
        series: [
          {},
          { label: 'Accepted', stroke: '#2f855a', width: 1.5 },
          { label: 'Duplicate', stroke: '#3182ce', width: 1.5 },
          { label: 'Refused', stroke: '#c53030', width: 1.5 },
        ],
        axes: [{}, { label: bucketSeconds === 60 ? 'per minute' : 'per hour' }],
      },
      data,
      host,
    );
    return () => plot.destroy();
  }, [buckets, from, bucketSeconds]);
  return <div ref={el} className="traffic-chart" data-testid="traffic-chart" />;
}
