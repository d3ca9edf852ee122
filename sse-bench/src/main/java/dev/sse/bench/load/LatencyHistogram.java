package dev.sse.bench.load;

/**
 * A log-linear histogram of nanosecond latencies with about 1% relative precision (64 sub-buckets per power of
 * two), from 1 microsecond up. Fixed size, no allocation on record. Single writer (the generator's selector thread);
 * readers call the query methods after the run, once the writer is idle.
 */
public final class LatencyHistogram {

    private static final int SUB_BITS = 6;
    private static final int SUB = 1 << SUB_BITS;
    private static final int HALF = SUB / 2;
    private static final int SLOTS = SUB + 40 * HALF;

    private final long[] counts = new long[SLOTS];
    private long count;
    private long max;

    /** @param nanos a latency; negative values count as zero */
    public void record(long nanos) {
        long v = Math.max(0, nanos) / 1000;
        counts[index(v)]++;
        count++;
        if (nanos > max) {
            max = nanos;
        }
    }

    /** Forgets everything recorded. */
    public void reset() {
        java.util.Arrays.fill(counts, 0);
        count = 0;
        max = 0;
    }

    private static int index(long micros) {
        if (micros < SUB) {
            return (int) micros;
        }
        int shift = 63 - Long.numberOfLeadingZeros(micros) - SUB_BITS + 1;
        int sub = (int) (micros >>> shift);
        return Math.min(SUB + (shift - 1) * HALF + (sub - HALF), SLOTS - 1);
    }

    private static long lowerBoundMicros(int index) {
        if (index < SUB) {
            return index;
        }
        int shift = (index - SUB) / HALF + 1;
        int sub = (index - SUB) % HALF + HALF;
        return ((long) sub) << shift;
    }

    /** @return how many latencies were recorded */
    public long count() {
        return count;
    }

    /** @return the largest latency in nanoseconds, 0 if none */
    public long maxNanos() {
        return max;
    }

    /**
     * @param quantile between 0 and 1
     * @return the latency at that quantile in nanoseconds (bucket lower bound), 0 if none recorded
     */
    public long quantileNanos(double quantile) {
        if (count == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(quantile * count);
        rank = Math.max(1, Math.min(count, rank));
        if (rank == count) {
            return max;
        }
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(lowerBoundMicros(i) * 1000, max);
            }
        }
        return max;
    }

    /** Adds another histogram's counts to this one. @param other the other */
    public void add(LatencyHistogram other) {
        for (int i = 0; i < counts.length; i++) {
            counts[i] += other.counts[i];
        }
        count += other.count;
        max = Math.max(max, other.max);
    }
}
