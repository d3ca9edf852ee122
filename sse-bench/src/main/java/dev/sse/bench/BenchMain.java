package dev.sse.bench;

import dev.sse.bench.load.LatencyHistogram;
import dev.sse.bench.load.LoadGenerator;
import dev.sse.bench.server.BenchServer;
import dev.sse.bench.server.ServerKind;
import dev.sse.bench.server.ServerMain;
import dev.sse.bench.server.TokenStreams;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs every scenario against every server, each server in its own JVM, and prints the markdown tables.
 * {@code java -jar sse-bench.jar [--quick] [--servers=...] [--scenarios=...]}; see {@link BenchConfig#parse}.
 */
public final class BenchMain {

    private static final Logger LOG = LoggerFactory.getLogger(BenchMain.class);
    private static final long SECOND = 1_000_000_000L;
    /** The demo's publishers: 16 keep-alive {@code POST} connections, as issue 19 measured it. */
    private static final int HTTP_PUBLISHERS = 16;

    private BenchMain() {
    }

    /**
     * @param args see {@link BenchConfig#parse}
     * @throws Exception if a server cannot be started
     */
    public static void main(String[] args) throws Exception {
        BenchConfig cfg = BenchConfig.parse(args);
        String md = run(cfg);
        System.out.println(md);
        System.exit(0);
    }

    /**
     * Runs the configured scenarios.
     *
     * @param cfg the run's sizes
     * @return the report as markdown, headed by the machine and run sizes
     * @throws Exception if a server cannot be started
     */
    static String run(BenchConfig cfg) throws Exception {
        long t0 = System.nanoTime();
        Report report = new Report();
        int[] levels = new TreeSet<Integer>() {
            private static final long serialVersionUID = 1L;
            {
                for (int l : cfg.memoryLevels) {
                    add(l);
                }
                for (int l : cfg.fanOutLevels) {
                    add(l);
                }
            }
        }.stream().mapToInt(Integer::intValue).toArray();

        Report.Table memory = null;
        if (cfg.scenarios.contains("memory")) {
            String[] cols = new String[cfg.memoryLevels.length * 2 + 1];
            int i = 0;
            for (int l : cfg.memoryLevels) {
                cols[i++] = "heap B/conn @" + Report.num(l);
                cols[i++] = "RSS B/conn @" + Report.num(l);
            }
            cols[i] = "RSS MiB @" + Report.num(cfg.memoryLevels[cfg.memoryLevels.length - 1]);
            memory = report.table("Idle memory: per connection after one event each (heap after full GC, RSS from "
                    + "/proc; minus the same server with no connections)", "RSS B/conn @"
                    + Report.num(cfg.memoryLevels[cfg.memoryLevels.length - 1]), true, cols);
        }
        Report.Table[] fanOut = new Report.Table[cfg.fanOutLevels.length];
        if (cfg.scenarios.contains("fanout")) {
            for (int i = 0; i < fanOut.length; i++) {
                fanOut[i] = report.table(String.format(Locale.ROOT, "Fan-out: %s connections, %d B events, "
                        + "%d broadcasts at %d/s%s", Report.num(cfg.fanOutLevels[i]), cfg.fanOutSize,
                        cfg.fanOutBroadcasts, cfg.fanOutRate, warmUpNote(cfg)),
                        "p99", true, "p50 ms", "p99 ms", "max ms", "expected", "received", "loss", "broadcast call p50 ms",
                        "broadcast call p99 ms", "slowest broadcast call ms", "server CPU s", "server threads max");
            }
        }
        Report.Table throughput = cfg.scenarios.contains("throughput") ? report.table(String.format(Locale.ROOT,
                "Throughput: %s connections, %d B events, rate rising each %d ms until p99 > 1 s or loss",
                Report.num(cfg.throughputConnections), cfg.throughputSize, cfg.throughputStepMillis),
                "max delivered/s", false, "max delivered events/s", "at broadcasts/s", "p99 ms there", "stopped by")
                : null;
        Report.Table slow = cfg.scenarios.contains("slow") ? report.table(String.format(Locale.ROOT,
                "Slow clients: %s connections, %d stalled (SO_RCVBUF 4 KiB, stop reading), %d B events at %d/s for %d s",
                Report.num(cfg.slowConnections), cfg.slowStalled, cfg.slowSize, cfg.slowRate, cfg.slowMillis / 1000),
                "healthy p99", true, "no-stall p99 ms", "no-stall loss", "healthy p50 ms", "healthy p99 ms",
                "healthy max ms", "healthy loss", "healthy p99 ÷ no-stall p99", "heap growth MiB", "broadcast calls done", "slowest call ms", "stalled: closed by server",
                "stalled: events got (avg)") : null;

        for (ServerKind kind : cfg.servers) {
            if (memory != null || fanOut[0] != null) {
                runMemoryAndFanOut(cfg, kind, levels, memory, fanOut);
            }
            if (kind.publishesOverHttp()) {
                // The demo's HTTP API is measured for memory and fan-out only; the other scenarios drive the
                // servers' control channel.
                continue;
            }
            if (throughput != null) {
                runThroughput(cfg, kind, throughput);
            }
            if (slow != null) {
                runSlow(cfg, kind, slow);
            }
        }
        if (cfg.scenarios.contains("cluster")) {
            runCluster(cfg, report.table(clusterTitle(cfg), "setup", clusterLabel(cfg.clusterNodes),
                    new String[] {"p99"}, true, "p50 ms", "p99 ms", "max ms", "expected", "received", "loss",
                    "publish calls/s (one thread)", "servers' CPU s in the window", "redis-server CPU s"));
        }
        if (cfg.scenarios.contains("streams")) {
            runStreams(cfg, report);
        }
        if (cfg.scenarios.contains("c100k")) {
            HundredThousandStreams.run(cfg, report);
        }
        if (cfg.scenarios.contains("encoder")) {
            if (cfg.jmh) {
                LOG.info("encoder: JMH, {}", cfg.jmhSettings);
                EncoderJmh.run(report, cfg.jmhSettings);
            } else {
                report.text("### Encoder (JMH)\n\nskipped (--no-jmh)\n");
            }
        }
        if (cfg.scenarios.contains("client")) {
            LOG.info("client: throughput of one local stream, ours against okhttp-eventsource and a bare HttpClient line reader");
            ClientThroughput.run(report, cfg.quick);
        }
        StringBuilder sb = new StringBuilder();
        sb.append("## sse-bench results").append(cfg.quick ? " (--quick smoke: tiny counts, figures not meaningful)" : "")
                .append("\n\n");
        sb.append(String.format(Locale.ROOT, "Machine: %d cores, %s; %s %s; each server in its own JVM with -Xmx%s; "
                + "all traffic on 127.0.0.1; run took %d s.%n%n", Runtime.getRuntime().availableProcessors(),
                memTotal(), System.getProperty("java.vm.name"), System.getProperty("java.version"), cfg.heap,
                (System.nanoTime() - t0) / SECOND));
        sb.append(report.markdown());
        return sb.toString();
    }

    private static String memTotal() {
        try {
            for (String l : Files.readAllLines(Paths.get("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(l.replaceAll("[^0-9]", ""));
                    return String.format(Locale.ROOT, "%.0f GiB RAM", kb / 1048576.0);
                }
            }
        } catch (IOException e) {
            LOG.debug("no meminfo", e);
        }
        return "unknown RAM";
    }

    /** Per-server state shared by the phases of one server JVM. */
    private static final class Session implements AutoCloseable {
        final ServerProcess server;
        final LoadGenerator load;
        /** The demo's 16 keep-alive POST connections, or null where broadcasts go over the control channel. */
        final HttpPublisher http;
        long seq;

        Session(BenchConfig cfg, ServerKind kind) throws Exception {
            this(cfg, kind, List.of());
        }

        Session(BenchConfig cfg, ServerKind kind, List<String> jvmOptions) throws Exception {
            server = ServerProcess.start(kind, cfg.heap, cfg.logDir, jvmOptions, kind.cliName());
            LoadGenerator lg;
            HttpPublisher hp = null;
            try {
                InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
                lg = new LoadGenerator(address, kind.path());
                if (kind.publishesOverHttp()) {
                    hp = new HttpPublisher(address, kind.path(), HTTP_PUBLISHERS);
                }
            } catch (IOException e) {
                server.close();
                throw e;
            }
            load = lg;
            http = hp;
        }

        /** Triggers {@code s} just before its broadcast leaves: the control command, or the POST's first byte. */
        void broadcast(long s, int size) throws IOException {
            if (http != null) {
                http.publish(s, size, load::trigger);
            } else {
                load.trigger(s);
                server.broadcast(s, size);
            }
        }

        /** Opens {@code count} more connections and waits until the server holds {@code total}. */
        boolean connect(int count, boolean stalled, int total) throws Exception {
            load.open(count, stalled);
            long deadline = System.nanoTime() + 120 * SECOND;
            while (System.nanoTime() < deadline) {
                if (load.established() >= total && server.subscribers() >= total) {
                    return true;
                }
                Thread.sleep(50);
            }
            LOG.warn("only {} of {} connections established ({} at the server, {} failed)", load.established(), total,
                    server.subscribers(), load.failed());
            return false;
        }

        /** One broadcast everyone (stalled included) must receive before measuring. */
        boolean warmUp(int size, int expectAll) throws Exception {
            long s = ++seq;
            broadcast(s, size);
            return LoadGenerator.await(() -> load.receivedAtLeast(s, true) >= expectAll, 60_000);
        }

        /**
         * {@code n} unmeasured broadcasts at {@code rate}/s, awaited on every healthy stream: what a server that has
         * been up for a while has behind it (its JIT compiler's work, mostly).
         */
        boolean warmUpRounds(int n, int rate, int size, int drainMillis) throws Exception {
            if (n == 0) {
                return true;
            }
            long last = seq + n;
            publish(n, rate, size);
            int open = load.healthyOpen();
            return LoadGenerator.await(() -> load.receivedAtLeast(last, false) >= open, drainMillis);
        }

        /** Sends {@code n} broadcasts at {@code rate}/s, each triggered just before it is requested. */
        void publish(int n, int rate, int size) throws IOException {
            Pacer pacer = new Pacer(rate);
            for (int i = 0; i < n; i++) {
                pacer.awaitTurn(i);
                broadcast(++seq, size);
            }
        }

        @Override
        public void close() {
            if (http != null) {
                http.close();
            }
            load.close();
            server.close();
        }
    }

    private static void runMemoryAndFanOut(BenchConfig cfg, ServerKind kind, int[] levels, Report.Table memory,
            Report.Table[] fanOut) throws Exception {
        LOG.info("{}: memory and fan-out", kind.cliName());
        String[] memCells = new String[cfg.memoryLevels.length * 2 + 1];
        Arrays.fill(memCells, "n/a");
        double memKey = Double.NaN;
        try (Session s = new Session(cfg, kind)) {
            long heap0 = s.server.heapAfterGc();
            long rss0 = s.server.rssBytes();
            int open = 0;
            for (int level : levels) {
                if (!s.connect(level - open, false, level)) {
                    LOG.warn("{}: could not hold {} connections", kind.cliName(), level);
                    break;
                }
                open = level;
                if (!s.warmUp(cfg.fanOutSize, level)) {
                    LOG.warn("{}: warm-up event did not reach all {} connections", kind.cliName(), level);
                }
                int mi = indexOf(cfg.memoryLevels, level);
                if (memory != null && mi >= 0) {
                    long heap = s.server.heapAfterGc();
                    long rss = s.server.rssBytes();
                    memCells[mi * 2] = Report.num((heap - heap0) / level);
                    memCells[mi * 2 + 1] = Report.num((rss - rss0) / level);
                    if (mi == cfg.memoryLevels.length - 1) {
                        memCells[memCells.length - 1] = Report.mib(rss);
                        memKey = (double) (rss - rss0) / level;
                    }
                }
                int fi = indexOf(cfg.fanOutLevels, level);
                if (fanOut[0] != null && fi >= 0) {
                    fanOutRow(cfg, kind, s, fanOut[fi]);
                }
            }
        }
        if (memory != null) {
            memory.row(kind, memKey, memCells);
        }
    }

    private static void fanOutRow(BenchConfig cfg, ServerKind kind, Session s, Report.Table table) throws Exception {
        if (!s.warmUpRounds(cfg.warmUpBroadcasts, cfg.fanOutRate, cfg.fanOutSize, cfg.drainMillis)) {
            LOG.warn("{}: the warm-up broadcasts did not reach every stream", kind.cliName());
        }
        // The streams just opened are still in the young generation: without this, the window's first young
        // collections copy every server's connection setup (20-28 ms pauses at 1,000), which a server that has been
        // up for a while has long behind it. Every server gets the same full GC, as the memory column does anyway.
        s.server.heapAfterGc();
        int healthy = s.load.healthyOpen();
        s.server.resetBroadcastStats();
        if (s.http != null) {
            s.http.resetStats();
        }
        s.server.resetPeakThreads();
        long cpu0 = ProcStats.cpuNanos(s.server.pid());
        s.load.beginWindow(s.seq + 1);
        s.publish(cfg.fanOutBroadcasts, cfg.fanOutRate, cfg.fanOutSize);
        long expected = (long) healthy * cfg.fanOutBroadcasts;
        LoadGenerator.await(() -> s.load.windowReceived() >= expected, cfg.drainMillis);
        long cpu = ProcStats.between(cpu0, ProcStats.cpuNanos(s.server.pid()));
        long[] threads = s.server.streamStats();
        LatencyHistogram h = s.load.windowHistogram();
        long received = s.load.windowReceived();
        // For the demo the "broadcast call" is the POST's round trip: first byte out to the 202 read.
        boolean http = s.http != null;
        table.row(kind, h.quantileNanos(0.99) / 1e6, Report.ms(h.quantileNanos(0.5)), Report.ms(h.quantileNanos(0.99)),
                Report.ms(h.maxNanos()), Report.num(expected), Report.num(received), Report.num(expected - received),
                Report.ms(http ? s.http.roundTripNanos(0.5) : s.server.broadcastCallNanos(0.5)),
                Report.ms(http ? s.http.roundTripNanos(0.99) : s.server.broadcastCallNanos(0.99)),
                Report.ms(http ? s.http.maxRoundTripNanos() : s.server.maxBroadcastNanos()),
                seconds(cpu),
                threads == null ? "n/a" : Report.num(threads[threads.length - 1]));
    }

    private static void runThroughput(BenchConfig cfg, ServerKind kind, Report.Table table) throws Exception {
        LOG.info("{}: throughput", kind.cliName());
        try (Session s = new Session(cfg, kind)) {
            int n = cfg.throughputConnections;
            if (!s.connect(n, false, n) || !s.warmUp(cfg.throughputSize, n)) {
                table.row(kind, Double.NaN, "setup failed");
                return;
            }
            double best = 0;
            String bestRate = "-";
            String bestP99 = "-";
            String stop = "reached the top rate";
            for (int rate : cfg.throughputRates) {
                int healthy = s.load.healthyOpen();
                int count = (int) ((long) rate * cfg.throughputStepMillis / 1000);
                s.load.beginWindow(s.seq + 1);
                long start = System.nanoTime();
                s.publish(count, rate, cfg.throughputSize);
                long expected = (long) healthy * count;
                // A step that has not drained in 3 s has a p99 over 1 s anyway.
                LoadGenerator.await(() -> s.load.windowReceived() >= expected, Math.min(cfg.drainMillis, 3000));
                long elapsed = System.nanoTime() - start;
                long received = s.load.windowReceived();
                LatencyHistogram h = s.load.windowHistogram();
                double perSecond = received * 1e9 / elapsed;
                long p99 = h.quantileNanos(0.99);
                if (p99 > SECOND || received < expected) {
                    stop = String.format(Locale.ROOT, "%d/s: p99 %s ms, loss %s", rate, Report.ms(p99),
                            Report.num(expected - received));
                    break;
                }
                if (perSecond > best) {
                    best = perSecond;
                    bestRate = Report.num(rate);
                    bestP99 = Report.ms(p99);
                }
            }
            table.row(kind, best, Report.num(Math.round(best)), bestRate, bestP99, stop);
        }
    }

    private static void runSlow(BenchConfig cfg, ServerKind kind, Report.Table table) throws Exception {
        LOG.info("{}: slow clients", kind.cliName());
        try (Session s = new Session(cfg, kind)) {
            int total = cfg.slowConnections;
            int stalled = cfg.slowStalled;
            int healthy = total - stalled;
            int count = cfg.slowRate * cfg.slowMillis / 1000;
            if (!s.connect(healthy, false, healthy) || !s.warmUp(cfg.slowSize, healthy)) {
                table.row(kind, Double.NaN, "setup failed");
                return;
            }
            // The same load with no stalled client first: the baseline the healthy clients' latency is judged by.
            // A quarter of it unmeasured before, so that the baseline is not the JIT's warm-up.
            int warm = Math.max(1, count / 4);
            long warmLast = s.seq + warm;
            s.publish(warm, cfg.slowRate, cfg.slowSize);
            LoadGenerator.await(() -> s.load.receivedAtLeast(warmLast, false) >= healthy, cfg.drainMillis);
            int baselineOpen = s.load.healthyOpen();
            s.load.beginWindow(s.seq + 1);
            s.publish(count, cfg.slowRate, cfg.slowSize);
            long baselineExpected = (long) baselineOpen * count;
            LoadGenerator.await(() -> s.load.windowReceived() >= baselineExpected, cfg.drainMillis);
            long baselineLoss = baselineExpected - s.load.windowReceived();
            double baselineP99 = s.load.windowHistogram().quantileNanos(0.99);
            if (!s.connect(stalled, true, total) || !s.warmUp(cfg.slowSize, total)) {
                table.row(kind, Double.NaN, "setup failed");
                return;
            }
            long heapBefore = s.server.heapAfterGc();
            long doneBefore = s.server.broadcastsDone();
            s.server.resetBroadcastStats();
            int healthyNow = s.load.healthyOpen();
            s.load.beginWindow(s.seq + 1);
            s.publish(count, cfg.slowRate, cfg.slowSize);
            long expected = (long) healthyNow * count;
            LoadGenerator.await(() -> s.load.windowReceived() >= expected, cfg.drainMillis);
            long received = s.load.windowReceived();
            LatencyHistogram h = s.load.windowHistogram();
            long heapAfter = s.server.heapAfterGc();
            long done = s.server.broadcastsDone() - doneBefore;
            long slowest = s.server.maxBroadcastNanos();
            s.load.resumeStalled();
            Thread.sleep(cfg.quick ? 300 : 1500);
            int stalledClosed = s.load.stalledClosed();
            double avgGot = (double) s.load.stalledEvents() / Math.max(1, stalled) - 1;
            double p99 = h.quantileNanos(0.99);
            table.row(kind, p99 / 1e6, Report.ms((long) baselineP99), Report.num(baselineLoss),
                    Report.ms(h.quantileNanos(0.5)), Report.ms((long) p99), Report.ms(h.maxNanos()),
                    Report.num(expected - received), String.format(Locale.ROOT, "%.2f", p99 / baselineP99),
                    Report.mib(heapAfter - heapBefore),
                    done + " of " + count, Report.ms(slowest), stalledClosed + " of " + stalled,
                    String.format(Locale.ROOT, "%.0f of %d", avgGot, count));
        }
    }

    static String clusterLabel(int nodes) {
        return nodes + " nodes on one redis-server, streams split, broadcasts from all";
    }

    private static final String ONE_NODE_MEMORY = "one node, in-memory hub";
    private static final String ONE_NODE_REDIS = "one node on redis-server";
    /** Streams fewer than the server's own bound (the file limit less its reserve; see sse-servlet's FileLimit). */
    private static final int BELOW_BOUND = 500;

    /**
     * Ours on one node holding every stream (in-memory hub, then on a {@code redis-server}), then on
     * {@code --cluster-nodes} server JVMs whose hubs share a stream on a {@code redis-server}, the streams split evenly
     * and the broadcasts sent to the nodes in turn, so each node's readers get events published on the others.
     * Latency is from the trigger, taken just before the broadcast call, to the receipt on every stream.
     */
    private static void runCluster(BenchConfig cfg, Report.Table table) throws Exception {
        if (!RedisProcess.available()) {
            table.note("Skipped: no redis-server here (Debian: apt-get install redis-server).");
            return;
        }
        int n = clusterStreams(cfg.clusterConnections);
        if (n < cfg.clusterConnections) {
            table.note(String.format(Locale.ROOT, "This box limits a process to %s open files (hard limit, "
                    + "`ulimit -Hn`), and a node of ours keeps a tenth of them for the rest of the process, so one node "
                    + "cannot hold %s streams here: every row ran %s. A box with a higher limit runs the number asked "
                    + "for.", Report.num(maxFileDescriptors()), Report.num(cfg.clusterConnections), Report.num(n)));
        }
        LOG.info("cluster: one node, no Redis, {} streams", n);
        try (Session s = new Session(cfg, ServerKind.OURS, cfg.clusterJvmOptions())) {
            double rate = publishRate(s.server, cfg.clusterPublishes, cfg.fanOutSize);
            s.seq = cfg.clusterPublishes;
            if (s.connect(n, false, n) && s.warmUp(cfg.fanOutSize, n)
                    && s.warmUpRounds(cfg.warmUpBroadcasts, cfg.clusterRate, cfg.fanOutSize, cfg.drainMillis)) {
                // Settled as in the fan-out tables: the window does not measure the copying of streams just opened.
                s.server.heapAfterGc();
                long cpu0 = ProcStats.cpuNanos(s.server.pid());
                s.load.beginWindow(s.seq + 1);
                s.publish(cfg.fanOutBroadcasts, cfg.clusterRate, cfg.fanOutSize);
                long expected = (long) n * cfg.fanOutBroadcasts;
                LoadGenerator.await(() -> s.load.windowReceived() >= expected, cfg.drainMillis);
                long cpu = ProcStats.between(cpu0, ProcStats.cpuNanos(s.server.pid()));
                clusterRow(table, ONE_NODE_MEMORY, s.load.windowHistogram(), expected, s.load.windowReceived(), rate,
                        cpu, -1);
            } else {
                table.row(ONE_NODE_MEMORY, new double[] {Double.NaN}, "setup failed");
            }
        }
        onRedis(cfg, table, ONE_NODE_REDIS, 1, n);
        onRedis(cfg, table, clusterLabel(cfg.clusterNodes), cfg.clusterNodes, n);
    }

    /**
     * The streams the cluster scenario can hold here: {@code asked}, or fewer where the open-files limit, which the
     * servers inherit from this process, would not let one node hold them all: ours sheds streams beyond the limit
     * less a tenth (at least 1,000) kept for the rest of the process, and this process holds every client socket.
     */
    static int clusterStreams(int asked) {
        return HundredThousandStreams.held(asked, maxFileDescriptors(), BELOW_BOUND);
    }

    /** {@code nodes} server JVMs on a fresh {@code redis-server}, {@code n} streams split among them. */
    private static void onRedis(BenchConfig cfg, Report.Table table, String label, int nodes, int n)
            throws Exception {
        LOG.info("cluster: {} ({} streams)", label, n);
        List<ServerProcess> servers = new ArrayList<>();
        try (RedisProcess redis = RedisProcess.start(cfg.logDir.resolve("redis-" + nodes));
                LoadGroup loads = new LoadGroup()) {
            List<String> opts = new ArrayList<>(cfg.clusterJvmOptions());
            opts.add("-D" + ServerMain.REDIS_PROPERTY + "=" + redis.uri());
            for (int i = 0; i < nodes; i++) {
                servers.add(ServerProcess.start(ServerKind.OURS, cfg.heap, cfg.logDir, opts,
                        "cluster-" + nodes + "-" + i));
            }
            double rate = publishRate(servers.get(0), cfg.clusterPublishes, cfg.fanOutSize);
            long seq = cfg.clusterPublishes;
            // As many generators (selector threads) in every row, whatever the number of nodes: generator i reads
            // from node i mod nodes, so the rows differ in their servers alone, not in the client's threads.
            int generators = Math.max(nodes, cfg.clusterNodes);
            for (int i = 0; i < generators; i++) {
                loads.add(new LoadGenerator(new InetSocketAddress("127.0.0.1", servers.get(i % nodes).port()),
                        BenchServer.PATH), n / generators + (i < n % generators ? 1 : 0));
            }
            long[] held = new long[nodes];
            for (int i = 0; i < generators; i++) {
                held[i % nodes] += loads.share(i);
            }
            boolean up = LoadGenerator.await(() -> {
                try {
                    for (int i = 0; i < nodes; i++) {
                        if (servers.get(i).subscribers() < held[i]) {
                            return false;
                        }
                    }
                    return loads.established();
                } catch (IOException | InterruptedException e) {
                    return false;
                }
            }, 180_000);
            // One warm-up event from each node in turn, each awaited everywhere: a node's first broadcast opens its
            // publishing connection to Redis and runs its publish path cold, which the window would otherwise
            // measure on every node but the first.
            for (int i = 0; i < nodes && up; i++) {
                long warm = ++seq;
                loads.trigger(warm);
                servers.get(i).broadcast(warm, cfg.fanOutSize);
                up = LoadGenerator.await(() -> loads.allReceived(warm), 60_000);
            }
            // Then the rounds every row gets (see BenchConfig.warmUpBroadcasts), from the nodes in turn as measured.
            if (up && cfg.warmUpBroadcasts > 0) {
                long last = inTurn(cfg, servers, loads, seq, cfg.warmUpBroadcasts);
                seq = last;
                up = LoadGenerator.await(() -> loads.allReceived(last), cfg.drainMillis);
            }
            if (!up) {
                table.row(label, new double[] {Double.NaN}, "setup failed");
                return;
            }
            for (ServerProcess server : servers) {
                server.heapAfterGc();
            }
            long cpu0 = cpuNanos(servers);
            long redisCpu0 = ProcStats.cpuNanos(redis.pid());
            loads.beginWindow(seq + 1);
            inTurn(cfg, servers, loads, seq, cfg.fanOutBroadcasts);
            long expected = (long) n * cfg.fanOutBroadcasts;
            LoadGenerator.await(() -> loads.windowReceived() >= expected, cfg.drainMillis);
            long cpu = ProcStats.between(cpu0, cpuNanos(servers));
            long redisCpu = ProcStats.between(redisCpu0, ProcStats.cpuNanos(redis.pid()));
            clusterRow(table, label, loads.windowHistogram(), expected, loads.windowReceived(), rate, cpu, redisCpu);
        } finally {
            for (ServerProcess server : servers) {
                server.close();
            }
        }
    }

    /**
     * Broadcasts {@code count} events at the cluster rate from the nodes in turn, each triggered just before it is
     * requested, numbered after {@code seq}; returns the last number sent.
     */
    private static long inTurn(BenchConfig cfg, List<ServerProcess> servers, LoadGroup loads, long seq, int count)
            throws IOException {
        Pacer pacer = new Pacer(cfg.clusterRate);
        long next = seq;
        for (int i = 0; i < count; i++) {
            pacer.awaitTurn(i);
            loads.trigger(++next);
            servers.get(i % servers.size()).broadcast(next, cfg.fanOutSize);
        }
        return next;
    }

    private static String clusterTitle(BenchConfig cfg) {
        return String.format(Locale.ROOT, "Cluster: %s streams, %d B events, %d broadcasts at %d/s, from the nodes in "
                + "turn%s; publish calls/s measured before any stream opens; every server JVM %s",
                Report.num(clusterStreams(cfg.clusterConnections)), cfg.fanOutSize, cfg.fanOutBroadcasts,
                cfg.clusterRate, warmUpNote(cfg), cfg.clusterSharedBox
                        ? "with the parallel collector and one writer thread (--cluster-settings=shared-box)"
                        : "with the JVM's and the servlet's defaults (--cluster-settings=defaults)");
    }

    /** How the fan-out and cluster tables' titles say what came before their window. */
    private static String warmUpNote(BenchConfig cfg) {
        return cfg.warmUpBroadcasts == 0 ? ", on a cold server (one event before)"
                : String.format(Locale.ROOT, ", after %d unmeasured at the same rate", cfg.warmUpBroadcasts);
    }

    /** Broadcasts {@code count} events as fast as the server's publisher thread takes them; returns calls/s. */
    private static double publishRate(ServerProcess server, int count, int size) throws Exception {
        long before = server.broadcastsDone();
        long start = System.nanoTime();
        for (int i = 1; i <= count; i++) {
            server.broadcast(i, size);
        }
        LoadGenerator.await(() -> server.broadcastsDone() - before >= count, 120_000);
        return (server.broadcastsDone() - before) * 1e9 / (System.nanoTime() - start);
    }

    /** The CPU time of every server JVM together, or -1 where one cannot be read. */
    private static long cpuNanos(List<ServerProcess> servers) {
        long sum = 0;
        for (ServerProcess server : servers) {
            long cpu = ProcStats.cpuNanos(server.pid());
            if (cpu < 0) {
                return -1;
            }
            sum += cpu;
        }
        return sum;
    }

    private static void clusterRow(Report.Table table, String label, LatencyHistogram h, long expected,
            long received, double publishRate, long serversCpuNanos, long redisCpuNanos) {
        table.row(label, new double[] {h.quantileNanos(0.99) / 1e6}, Report.ms(h.quantileNanos(0.5)),
                Report.ms(h.quantileNanos(0.99)), Report.ms(h.maxNanos()), Report.num(expected),
                Report.num(received), Report.num(expected - received), Report.num(Math.round(publishRate)),
                seconds(serversCpuNanos), seconds(redisCpuNanos));
    }

    private static String seconds(long nanos) {
        return nanos < 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", nanos / 1e9);
    }

    /** The row label of ours in the streams tables: the per-request entry point, not the broadcast servlet. */
    static final String OURS_STREAMS = "ours (SseStreams)";

    private static String streamsLabel(ServerKind kind) {
        return kind == ServerKind.OURS ? OURS_STREAMS : kind.label();
    }

    /**
     * Per-request {@code POST} streams, each server kind in two fresh JVMs: first {@code streamsCount} streams held
     * open after their first token (memory and threads), then the same number run to the end with tokens
     * {@code streamsIntervalMillis} apart, every tenth of them reset by the client after token
     * {@code streamsResetAt}.
     */
    private static void runStreams(BenchConfig cfg, Report report) throws Exception {
        int n = cfg.streamsCount;
        Report.Table main = report.table(String.format(Locale.ROOT, "Streams: %s concurrent POST streams, %d tokens "
                + "%d ms apart, %s of them reset by the client after token %d", Report.num(n), cfg.streamsTokens,
                cfg.streamsIntervalMillis, Report.num(cfg.streamsResets), cfg.streamsResetAt), "server", OURS_STREAMS,
                new String[] {"heap B/stream", "RSS B/stream", "token p99"}, true, "tokens/s delivered",
                "token p50 ms", "token p99 ms", "token max ms", "healthy tokens expected",
                "healthy lost (not read " + cfg.drainMillis * 3 / 1000 + " s after the last was due)",
                "healthy streams ended after [DONE]", "heap B/stream", "RSS B/stream",
                "threads: idle / " + Report.num(n) + " held / peak in run");
        Report.Table resets = report.table(String.format(Locale.ROOT, "Streams: %s of them reset (TCP RST) after "
                + "reading token %d: from the reset to the application's cancellation, and tokens produced after the "
                + "reset", Report.num(cfg.streamsResets), cfg.streamsResetAt), "server", OURS_STREAMS,
                new String[] {"cancel p99"}, true, "reset", "cancelled", "all produced before the reset",
                "cancel p50 ms", "cancel p99 ms",
                "cancel max ms", "tokens produced after reset (total)", "most after one reset",
                "clock offset error ± µs", "target: p99 ≤ " + (cfg.streamsIntervalMillis + 50) + " ms");
        long maxFds = maxFileDescriptors();
        if (maxFds > 0 && maxFds < n + 200L) {
            LOG.warn("streams: this JVM may open {} files; {} streams need more (run.sh raises ulimit -n)", maxFds, n);
        }
        for (ServerKind kind : cfg.servers) {
            if (kind.publishesOverHttp()) {
                continue;
            }
            if (kind == ServerKind.JERSEY) {
                main.note("Jersey is not in this comparison (the issue compares ours, Spring's SseEmitter and the "
                        + "floor).");
                continue;
            }
            String label = streamsLabel(kind);
            LOG.info("{}: streams, {} held for memory", kind.cliName(), n);
            String[] memory = streamsMemory(cfg, kind);
            LOG.info("{}: streams, {} at {} ms", kind.cliName(), n, cfg.streamsIntervalMillis);
            streamsLoad(cfg, kind, label, memory, main, resets);
        }
        main.note("Token latency is from the producer's `System.nanoTime()` in the server JVM (the token's `data`), "
                + "moved onto the generator's clock by an offset measured over the control channel, to the selector "
                + "pass that read it; heap and RSS per stream as in the idle-memory table, with every stream open "
                + "after its first token (the next due in " + cfg.streamsHoldIntervalMillis / 1000 + " s).");
    }

    private static String target(BenchConfig cfg, int intervalMillis) {
        return TokenStreams.PATH + "?tokens=" + cfg.streamsTokens + "&interval=" + intervalMillis;
    }

    /** @return {heap B/stream, RSS B/stream, "idle / held" threads, heap, rss keys as strings} or n/a cells */
    private static String[] streamsMemory(BenchConfig cfg, ServerKind kind) throws Exception {
        int n = cfg.streamsCount;
        try (Session s = new Session(cfg, kind)) {
            long heap0 = s.server.heapAfterGc();
            long rss0 = s.server.rssBytes();
            long threads0 = s.server.streamStats()[4];
            for (int i = 0; i < n; i++) {
                s.load.openStream(target(cfg, cfg.streamsHoldIntervalMillis), i, -1);
            }
            if (!awaitActive(s, n) || s.server.go(cfg.streamsIntervalMillis) < n
                    || !LoadGenerator.await(() -> s.load.streamsWithTokens(1) >= n, 120_000)) {
                LOG.warn("{}: only {} of {} streams read their first token", kind.cliName(),
                        s.load.streamsWithTokens(1), n);
                return new String[] {"n/a", "n/a", threads0 + " / n/a"};
            }
            long heap = s.server.heapAfterGc();
            long rss = s.server.rssBytes();
            long threads = s.server.streamStats()[4];
            return new String[] {Long.toString((heap - heap0) / n), Long.toString((rss - rss0) / n),
                threads0 + " / " + threads};
        }
    }

    private static boolean awaitActive(Session s, int n) throws InterruptedException {
        boolean up = LoadGenerator.await(() -> {
            try {
                long[] st = s.server.streamStats();
                return st != null && st[0] >= n && s.load.established() >= n;
            } catch (IOException | InterruptedException e) {
                return false;
            }
        }, 120_000);
        if (!up) {
            LOG.warn("only {} streams established ({} failed)", s.load.established(), s.load.failed());
        }
        return up;
    }

    private static void streamsLoad(BenchConfig cfg, ServerKind kind, String label, String[] memory,
            Report.Table main, Report.Table resets) throws Exception {
        int n = cfg.streamsCount;
        int every = Math.max(1, n / Math.max(1, cfg.streamsResets));
        try (Session s = new Session(cfg, kind)) {
            long[] clock = s.server.clockOffset(50);
            LOG.info("{}: server clock offset {} ns, +- {} ns", kind.cliName(), clock[0], clock[1]);
            s.load.clockOffset(clock[0]);
            List<Long> resetIds = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                boolean reset = resetIds.size() < cfg.streamsResets && i % every == every - 1;
                if (reset) {
                    resetIds.add((long) i);
                }
                s.load.openStream(target(cfg, cfg.streamsIntervalMillis), i, reset ? cfg.streamsResetAt : -1);
            }
            int healthy = n - resetIds.size();
            if (!awaitActive(s, n)) {
                main.row(label, new double[] {Double.NaN, Double.NaN, Double.NaN}, "setup failed");
                return;
            }
            s.server.resetPeakThreads();
            long go = System.nanoTime();
            s.server.go(cfg.streamsIntervalMillis);
            long runMillis = (long) cfg.streamsTokens * cfg.streamsIntervalMillis;
            LoadGenerator.await(() -> s.load.streamsDone() >= healthy, runMillis + 3L * cfg.drainMillis);
            // The reset streams' close callbacks: they may come long after the producer queued its last token (a
            // writer behind, or the write timeout), so wait for all of them, or until none has come for a while.
            long quiet = cfg.quick ? 1000 : 5000;
            long waitUntil = System.nanoTime() + 3L * cfg.drainMillis * 1_000_000L;
            long lastCount = -1;
            long lastChange = System.nanoTime();
            while (System.nanoTime() < waitUntil) {
                long[] st = s.server.streamStats();
                long count = st == null ? -1 : st[3];
                if (count >= resetIds.size()) {
                    break;
                }
                if (count != lastCount) {
                    lastCount = count;
                    lastChange = System.nanoTime();
                } else if (System.nanoTime() - lastChange > quiet * 1_000_000L) {
                    break;
                }
                Thread.sleep(50);
            }
            long[] stats = s.server.streamStats();
            long lastToken = s.load.lastTokenAt();
            long read = s.load.tokensRead();
            double perSecond = lastToken > go ? read * 1e9 / (lastToken - go) : Double.NaN;
            LatencyHistogram h = s.load.tokenLatency();
            long healthyRead = 0;
            int gaps = 0;
            int cut = 0;
            Map<Long, LoadGenerator.StreamResult> byId = new HashMap<>();
            for (LoadGenerator.StreamResult r : s.load.streamResults()) {
                byId.put(r.id, r);
                if (r.resetAt < 0) {
                    healthyRead += r.tokens;
                    gaps += r.gaps;
                    if (r.closed && !r.gotDone) {
                        cut++;
                    }
                }
            }
            long expected = (long) healthy * cfg.streamsTokens;
            String lost = Report.num(expected - healthyRead) + (gaps > 0 ? ", " + gaps + " out of order" : "")
                    + (cut > 0 ? ", " + Report.num(cut) + " streams cut" : "");
            main.row(label, new double[] {parse(memory[0]), parse(memory[1]), h.quantileNanos(0.99) / 1e6},
                    Report.num(Math.round(perSecond)), Report.ms(h.quantileNanos(0.5)),
                    Report.ms(h.quantileNanos(0.99)), Report.ms(h.maxNanos()), Report.num(expected), lost,
                    Report.num(s.load.streamsDone()) + " of " + Report.num(healthy), num(memory[0]), num(memory[1]),
                    memory[2] + " / " + stats[5]);

            LatencyHistogram cancel = new LatencyHistogram();
            int wasReset = 0;
            int cancelled = 0;
            int finishedFirst = 0;
            long after = 0;
            long mostAfter = 0;
            for (long[] rec : s.server.streamRecords(resetIds)) {
                LoadGenerator.StreamResult r = byId.get(rec[0]);
                if (r == null || r.resetNanos == 0 || rec.length < 3) {
                    continue;
                }
                wasReset++;
                long lastProduced = rec.length > 3 ? rec[rec.length - 1] - clock[0] : Long.MIN_VALUE;
                if (rec[1] >= 0) {
                    cancelled++;
                    cancel.record(rec[1] - clock[0] - r.resetNanos);
                } else if (rec[2] == 1 && lastProduced <= r.resetNanos) {
                    // The client read so late that the server had produced every token before the reset.
                    finishedFirst++;
                }
                long producedAfter = 0;
                for (int i = 3; i < rec.length; i++) {
                    if (rec[i] - clock[0] > r.resetNanos) {
                        producedAfter++;
                    }
                }
                after += producedAfter;
                mostAfter = Math.max(mostAfter, producedAfter);
            }
            boolean met = wasReset == resetIds.size() && cancelled + finishedFirst == wasReset
                    && cancel.quantileNanos(0.99) <= (cfg.streamsIntervalMillis + 50) * 1_000_000L;
            resets.row(label, new double[] {cancel.quantileNanos(0.99) / 1e6}, Report.num(wasReset) + " of "
                    + Report.num(resetIds.size()), Report.num(cancelled), Report.num(finishedFirst),
                    Report.ms(cancel.quantileNanos(0.5)), Report.ms(cancel.quantileNanos(0.99)),
                    Report.ms(cancel.maxNanos()), Report.num(after), Report.num(mostAfter),
                    Report.num(Math.round(clock[1] / 1e3)), met ? "yes" : "no");
        }
    }

    private static double parse(String v) {
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static String num(String v) {
        double d = parse(v);
        return Double.isNaN(d) ? v : Report.num(d);
    }

    static long maxFileDescriptors() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory
                .getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean) {
            return ((com.sun.management.UnixOperatingSystemMXBean) os).getMaxFileDescriptorCount();
        }
        return -1;
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        return -1;
    }
}
