// An endpoint's traffic over time (accepted, duplicate, refused), on the shared uPlot chart.
import { type SeriesSpec, TimeChart } from './time-chart';

export interface TrafficBucket {
  t: string;
  accepted: number;
  duplicate: number;
  refused: Record<string, number>;
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

const SERIES: SeriesSpec<TrafficBucket>[] = [
  { label: 'Accepted', stroke: '#2f855a', value: (b) => b.accepted },
  { label: 'Duplicate', stroke: '#3182ce', value: (b) => b.duplicate },
  { label: 'Refused', stroke: '#c53030', value: (b) => sum(b.refused) },
];

export function TrafficChart({
  buckets,
  from,
  bucketSeconds,
}: {
  buckets: TrafficBucket[];
  from: string;
  bucketSeconds: number;
}) {
  return (
    <TimeChart
      buckets={buckets}
      series={SERIES}
      from={from}
      bucketSeconds={bucketSeconds}
      yLabel={bucketSeconds === 60 ? 'per minute' : 'per hour'}
      testId="traffic-chart"
    />
  );
}
