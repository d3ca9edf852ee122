package dev.sse.bench;

import dev.sse.bench.load.LatencyHistogram;
import dev.sse.bench.load.LoadGenerator;
import dev.sse.bench.server.ServerKind;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code sse-bench --scenarios=c100k}: one server JVM holding {@code --c100k-streams} live streams (100,000 unless
 * told), a 64 B broadcast to all of them a few times, then latency, loss, the broadcast call, and heap and RSS per
 * stream, ours beside the raw NIO floor in the same sitting.
 *
 * <p>One source address reaches one server port at most once per ephemeral port (28,232 here), so the streams are
 * spread over generators connecting from 127.0.0.2 and up, each its own selector thread. Where the open-files limit
 * of a process (which the servers inherit from the bench) cannot hold the streams asked for, the scenario runs the
 * most it can, says so in a note, and extrapolates heap and RSS to the count asked for, marked as such.
 *
 * <pre>
 * java -jar sse-bench.jar --scenarios=c100k --servers=ours,raw
 * java -jar sse-bench.jar --scenarios=c100k --c100k-streams=20000
 * </pre>
 */
final class HundredThousandStreams {

    private static final Logger LOG = LoggerFactory.getLogger(HundredThousandStreams.class);
    /** Streams per source address: below the 28,232 ports of Linux's default range, with room for TIME_WAIT. */
    static final int STREAMS_PER_SOURCE = 25_000;
    /** Below this, one generator thread reads every stream; above it, at least two share the reading. */
    static final int ONE_GENERATOR_UP_TO = 2_000;
    private static final int BROADCASTS = 5;
    private static final int RATE = 1;

    private HundredThousandStreams() {
    }

    /** One generator's part: where it connects from and how many streams it opens. */
    record Share(InetAddress source, int streams) {
    }

    /**
     * Spreads {@code streams} over source addresses 127.0.0.2 and up, at most {@code perSource} each, and over at
     * least two generators once there are more than {@link #ONE_GENERATOR_UP_TO}; the shares differ by one at most.
     *
     * @throws IllegalArgumentException if {@code streams} or {@code perSource} is not positive, or the addresses
     *         would run past 127.0.0.254
     */
    static List<Share> plan(int streams, int perSource) {
        return plan(streams, perSource, 0);
    }

    /**
     * As {@link #plan(int, int)}, the addresses starting {@code skip} after 127.0.0.2 and wrapping past 127.0.0.254,
     * so that each server of a run connects from addresses the one before left untouched.
     */
    static List<Share> plan(int streams, int perSource, int skip) {
        if (streams < 1) {
            throw new IllegalArgumentException("streams must be positive (was " + streams + ")");
        }
        if (perSource < 1) {
            throw new IllegalArgumentException("perSource must be positive (was " + perSource + ")");
        }
        int generators = Math.max((streams + perSource - 1) / perSource, streams > ONE_GENERATOR_UP_TO ? 2 : 1);
        if (generators > 253) {
            throw new IllegalArgumentException(streams + " streams need " + generators
                    + " source addresses; 127.0.0.2 to 127.0.0.254 hold " + 253 * (long) perSource);
        }
        List<Share> plan = new ArrayList<>();
        for (int i = 0; i < generators; i++) {
            byte[] a = {127, 0, 0, (byte) (2 + (skip + i) % 253)};
            try {
                plan.add(new Share(InetAddress.getByAddress(a), streams / generators + (i < streams % generators ? 1 : 0)));
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
        return plan;
    }

    /**
     * The streams one server can hold of {@code asked} under an open-files limit of {@code limit} (or no limit when
     * it is not positive): ours sheds streams past the limit less a tenth of it, at least 1,000, kept for the rest of
     * the process (sse-servlet's FileLimit), and {@code margin} more stay free for the bench's own sockets and files.
     */
    static int held(int asked, long limit, int margin) {
        if (limit <= 0) {
            return asked;
        }
        long bound = limit - Math.max(1_000, limit / 10) - margin;
        return (int) Math.max(1, Math.min(asked, bound));
    }

    static void run(BenchConfig cfg, Report report) throws Exception {
        int asked = cfg.c100kStreams;
        List<ServerKind> kinds = new ArrayList<>();
        for (ServerKind k : cfg.servers) {
            if (k == ServerKind.OURS || k == ServerKind.RAW) {
                kinds.add(k);
            }
        }
        String at = Report.num(asked);
        Report.Table table = report.table(String.format(Locale.ROOT, "c100k: %s streams asked of one server JVM "
                + "(-Xmx%s), %d B events, %d broadcasts at %d/s to all; heap after full GC and RSS from /proc, minus the "
                + "same server with no streams", at, cfg.heap, cfg.fanOutSize, BROADCASTS, RATE), "server",
                ServerKind.OURS.label(), new String[] {"p99", "heap B/stream", "RSS B/stream"}, true, "streams held",
                "p50 ms", "p99 ms", "max ms", "expected", "received", "loss", "broadcast call p99 ms",
                "heap B/stream", "RSS B/stream", "heap MiB", "RSS MiB", "heap MiB at " + at, "RSS MiB at " + at);
        if (kinds.isEmpty()) {
            table.note("Skipped: c100k runs ours and the raw NIO floor; --servers named neither.");
            return;
        }
        table.note("Only ours and the raw NIO floor run this scenario; the peers are measured up to 10,000 streams in "
                + "the fan-out tables.");
        Set<Integer> capNoted = new HashSet<>();
        // Each row connects from addresses the rows before it left alone: their sockets linger in TIME_WAIT.
        int sourcesUsed = 0;
        for (ServerKind kind : kinds) {
            sourcesUsed += row(cfg, kind, asked, table, capNoted, sourcesUsed);
        }
    }

    /** Measures one server; returns how many source addresses it took, starting {@code skip} after 127.0.0.2. */
    private static int row(BenchConfig cfg, ServerKind kind, int asked, Report.Table table, Set<Integer> capNoted,
            int skip) throws Exception {
        try (ServerProcess server = ServerProcess.start(kind, cfg.heap, cfg.logDir); LoadGroup loads = new LoadGroup()) {
            long serverLimit = openFilesLimit(server.pid());
            long ownLimit = BenchMain.maxFileDescriptors();
            long limit = serverLimit <= 0 ? ownLimit : ownLimit <= 0 ? serverLimit : Math.min(serverLimit, ownLimit);
            int n = held(asked, limit, 500);
            if (n < asked && capNoted.add(n)) {
                table.note(String.format(Locale.ROOT, "The servers here may open %s files (`ulimit -n`, which "
                        + "run.sh raises to the hard limit `ulimit -Hn`; past that only CAP_SYS_RESOURCE raises it), so "
                        + "one server holds at most %s of the %s streams asked for. The last two columns take heap and "
                        + "RSS per stream to %s: an extrapolation, not a measurement.", Report.num(limit),
                        Report.num(n), Report.num(asked), Report.num(asked)));
            }
            LOG.info("c100k: {} holding {} streams (asked {}; open-files limit {})", kind.cliName(), n, asked, limit);
            long heap0 = server.heapAfterGc();
            long rss0 = settledRss(server);
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
            List<Share> plan = plan(n, STREAMS_PER_SOURCE, skip);
            for (Share share : plan) {
                loads.add(new LoadGenerator(address, kind.path(), share.source()), share.streams());
            }
            long connectMillis = 120_000 + n / 100 * 10L;
            // A refused or reset connect will not come back: stop waiting at the first one instead of at the deadline.
            boolean up = LoadGenerator.await(() -> {
                try {
                    return loads.failedCount() > 0 || loads.established() && server.subscribers() >= n;
                } catch (IOException | InterruptedException e) {
                    return false;
                }
            }, connectMillis) && loads.failedCount() == 0;
            long seq = 1;
            if (up) {
                loads.trigger(seq);
                server.broadcast(seq, cfg.fanOutSize);
                up = LoadGenerator.await(() -> loads.allReceived(1), 60_000);
            }
            if (!up) {
                LOG.warn("c100k: {} established {} of {} ({} failed)", kind.cliName(), loads.establishedCount(), n,
                        loads.failedCount());
                String failed = "setup failed: " + Report.num(loads.failedCount()) + " connects failed";
                table.row(kind.label(), new double[] {Double.NaN, Double.NaN, Double.NaN},
                        Report.num(loads.establishedCount()), "-", "-", "-", Report.num((long) n * BROADCASTS), "-",
                        failed);
                return plan.size();
            }
            long heapAll = server.heapAfterGc();
            long rssAll = settledRss(server);
            // A reading the server could not give (-1) makes its per-stream figures n/a, not a negative number.
            long heap = heap0 < 0 || heapAll < 0 ? -1 : heapAll - heap0;
            long rss = rss0 < 0 || rssAll < 0 ? -1 : rssAll - rss0;
            server.resetBroadcastStats();
            loads.beginWindow(seq + 1);
            Pacer pacer = new Pacer(RATE);
            for (int i = 0; i < BROADCASTS; i++) {
                pacer.awaitTurn(i);
                loads.trigger(++seq);
                server.broadcast(seq, cfg.fanOutSize);
            }
            long expected = (long) n * BROADCASTS;
            LoadGenerator.await(() -> loads.windowReceived() >= expected, cfg.drainMillis + n / 10);
            long received = loads.windowReceived();
            LatencyHistogram h = loads.windowHistogram();
            double heapPer = heap < 0 ? Double.NaN : (double) heap / n;
            double rssPer = rss < 0 ? Double.NaN : (double) rss / n;
            String marked = n < asked ? " (extrapolated)" : "";
            table.row(kind.label(), new double[] {h.quantileNanos(0.99) / 1e6, heapPer, rssPer}, Report.num(n),
                    Report.ms(h.quantileNanos(0.5)), Report.ms(h.quantileNanos(0.99)), Report.ms(h.maxNanos()),
                    Report.num(expected), Report.num(received), Report.num(expected - received),
                    Report.ms(server.broadcastCallNanos(0.99)), perStream(heapPer), perStream(rssPer),
                    Report.mib(heapAll), Report.mib(rssAll), atAsked(heap0, heapPer, asked, marked),
                    atAsked(rss0, rssPer, asked, marked));
            return plan.size();
        }
    }

    private static String perStream(double bytes) {
        return Double.isNaN(bytes) ? "n/a" : Report.num(Math.round(bytes));
    }

    /** The empty server's reading plus {@code perStream} times the count asked for, or n/a. */
    private static String atAsked(long base, double perStream, int asked, String marked) {
        return Double.isNaN(perStream) ? "n/a" : Report.mib(base + Math.round(perStream * asked)) + marked;
    }

    /**
     * The server's RSS once it stops moving: after a full GC, G1 gives memory back to the system on a thread of its
     * own (JDK 17), so a reading taken at once can be tens of MiB above the one a moment later, and a baseline taken
     * that way made small runs show negative bytes per stream. At most about 3 s.
     */
    private static long settledRss(ServerProcess server) throws InterruptedException {
        long last = server.rssBytes();
        for (int i = 0; i < 30; i++) {
            Thread.sleep(100);
            long now = server.rssBytes();
            if (Math.abs(now - last) < (1 << 20)) {
                return now;
            }
            last = now;
        }
        return last;
    }

    /** The soft open-files limit of process {@code pid} from /proc, or -1 where it cannot be read or is unlimited. */
    static long openFilesLimit(long pid) {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc", Long.toString(pid), "limits"))) {
                if (line.startsWith("Max open files")) {
                    String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                    return soft.equals("unlimited") ? -1 : Long.parseLong(soft);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("no open-files limit for {}: {}", pid, e.toString());
        }
        return -1;
    }
}
