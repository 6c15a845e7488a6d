// The Messages page's volume over time for the current filter (messages.volume, which takes
// messages.search's own filter): per hour for a range of up to three days, else per day; without
// a date range, the last 30 days.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { formatCount } from '../lib/format';
import { dayAfterIso, dayStartIso, type MessageFilters } from '../lib/message-filters';
import { filterInput } from '../lib/message-search';
import { type RouterOutputs, useTRPC } from '../trpc';
import { type SeriesSpec, TimeChart } from './time-chart';
import { ErrorState, Loading } from './ui';

type VolumeBucket = RouterOutputs['messages']['volume']['buckets'][number];

const SERIES: SeriesSpec<VolumeBucket>[] = [
  { label: 'Archived', stroke: '#2f855a', value: (b) => b.archived },
  { label: 'In progress', stroke: '#3182ce', value: (b) => b.received + b.stored },
  { label: 'Failed', stroke: '#c53030', value: (b) => b.failed },
];

const HOURLY_UP_TO_MS = 3 * 86_400_000;

function bucketFor(f: MessageFilters): 'hour' | 'day' {
  const from = dayStartIso(f.from);
  const to = dayAfterIso(f.to);
  if (!from) return 'day';
  const span = (to ? Date.parse(to) : Date.now()) - Date.parse(from);
  return span <= HOURLY_UP_TO_MS ? 'hour' : 'day';
}

export function VolumePanel({ filters }: { filters: MessageFilters }) {
  const trpc = useTRPC();
  const volume = useQuery({
    ...trpc.messages.volume.queryOptions({
      ...filterInput(filters),
      bucket: bucketFor(filters),
      by: filters.dateField,
    }),
    placeholderData: keepPreviousData,
  });
  return (
    <section className="panel" aria-labelledby="volume-heading">
      <h2 id="volume-heading">Volume</h2>
      {volume.isPending ? (
        <Loading label="Loading volume…" />
      ) : volume.isError ? (
        <ErrorState error={volume.error} title="Could not load the volume" onRetry={() => volume.refetch()} />
      ) : (
        <>
          <p className="small muted" data-testid="volume-window">
            {filters.dateField === 'received' ? 'Received' : 'Occurred'}{' '}
            {new Date(volume.data.from).toLocaleString()} – {new Date(volume.data.to).toLocaleString()}, per{' '}
            {volume.data.bucket}
          </p>
          <dl className="stats stats-4" data-testid="volume-totals">
            <div>
              <dt>Messages</dt>
              <dd data-testid="volume-total">{formatCount(volume.data.totals.total)}</dd>
            </div>
            <div>
              <dt>Archived</dt>
              <dd data-testid="volume-archived">{formatCount(volume.data.totals.archived)}</dd>
            </div>
            <div>
              <dt>In progress</dt>
              <dd data-testid="volume-in-progress">
                {formatCount(volume.data.totals.received + volume.data.totals.stored)}
              </dd>
            </div>
            <div>
              <dt>Failed</dt>
              <dd data-testid="volume-failed">{formatCount(volume.data.totals.failed)}</dd>
            </div>
          </dl>
          <TimeChart
            buckets={volume.data.buckets}
            series={SERIES}
            from={volume.data.from}
            to={volume.data.to}
            bucketSeconds={volume.data.bucketSeconds}
            yLabel={`per ${volume.data.bucket}`}
            testId="volume-chart"
          />
        </>
      )}
    </section>
  );
}
