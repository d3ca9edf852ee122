package dev.sse.bench;

import dev.sse.bench.load.LatencyHistogram;
import dev.sse.bench.load.LoadGenerator;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Several load generators read as one: each its own selector thread, its own server or source address, and its own
 * share of the streams. Used where one generator is not enough: one per node of a cluster, or one per loopback source
 * address past the ephemeral port range. Used from the orchestrating thread only; the generators own their sockets.
 *
 * <pre>
 * LoadGroup group = new LoadGroup();
 * group.add(new LoadGenerator(server, "/events", source), 25_000);
 * </pre>
 */
final class LoadGroup implements AutoCloseable {

    private final List<LoadGenerator> generators = new ArrayList<>();
    private final List<Integer> shares = new ArrayList<>();

    /** Takes {@code generator} into the group and opens its {@code share} of streams. */
    void add(LoadGenerator generator, int share) {
        generators.add(generator);
        shares.add(share);
        generator.open(share, false);
    }

    int size() {
        return generators.size();
    }

    /** The streams generator {@code i} was asked to open. */
    int share(int i) {
        return shares.get(i);
    }

    /** Whether every generator has its whole share established. */
    boolean established() {
        for (int i = 0; i < generators.size(); i++) {
            if (generators.get(i).established() < shares.get(i)) {
                return false;
            }
        }
        return true;
    }

    /** Established streams over all generators. */
    long establishedCount() {
        return sum(LoadGenerator::established);
    }

    /** Failed connects over all generators. */
    long failedCount() {
        return sum(LoadGenerator::failed);
    }

    /** Marks {@code seq}'s start on every generator, just before its broadcast is sent. */
    void trigger(long seq) {
        for (LoadGenerator g : generators) {
            g.trigger(seq);
        }
    }

    /** Whether every stream of every generator has received {@code seq} or later. */
    boolean allReceived(long seq) {
        for (int i = 0; i < generators.size(); i++) {
            if (generators.get(i).receivedAtLeast(seq, true) < shares.get(i)) {
                return false;
            }
        }
        return true;
    }

    void beginWindow(long fromSeq) {
        for (LoadGenerator g : generators) {
            g.beginWindow(fromSeq);
        }
    }

    long windowReceived() {
        return sum(LoadGenerator::windowReceived);
    }

    private long sum(ToLongFunction<LoadGenerator> figure) {
        long sum = 0;
        for (LoadGenerator g : generators) {
            sum += figure.applyAsLong(g);
        }
        return sum;
    }

    /** The window's latencies of all generators together. */
    LatencyHistogram windowHistogram() {
        LatencyHistogram h = new LatencyHistogram();
        for (LoadGenerator g : generators) {
            h.add(g.windowHistogram());
        }
        return h;
    }

    @Override
    public void close() {
        for (LoadGenerator g : generators) {
            g.close();
        }
    }
}
