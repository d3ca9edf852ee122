package dev.sse.bench;

import dev.sse.bench.server.ServerKind;
import dev.sse.bench.server.ServerMain;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The sizes of one run: {@link #full()} for the README figures, {@link #quick()} for CI smoke. Immutable. */
final class BenchConfig {

    /** Every scenario's name, in the order the report shows them. */
    static final List<String> SCENARIOS = List.of("memory", "fanout", "throughput", "slow", "encoder", "client",
            "cluster", "streams", "c100k");

    final boolean quick;
    final List<ServerKind> servers;
    final Set<String> scenarios;
    final String heap;
    final Path logDir;

    final int[] memoryLevels;
    final int[] fanOutLevels;
    final int fanOutBroadcasts;
    final int fanOutRate;
    final int fanOutSize;

    final int throughputConnections;
    final int[] throughputRates;
    final int throughputStepMillis;
    final int throughputSize;

    final int slowConnections;
    final int slowStalled;
    final int slowSize;
    final int slowRate;
    final int slowMillis;

    final int clusterConnections;
    final int clusterNodes;
    final int clusterPublishes;
    /** Broadcasts per second in the cluster scenario's windows; the fan-out rate unless {@code --cluster-rate}. */
    final int clusterRate;
    /**
     * Whether every server JVM of the cluster scenario, in every row, runs the settings for JVMs sharing a small box
     * ({@code --cluster-settings=shared-box}, the default): the parallel collector and one writer thread. With
     * {@code defaults} they run the JVM's and the servlet's defaults (G1, a writer per core).
     */
    final boolean clusterSharedBox;

    final int c100kStreams;

    /**
     * Broadcasts sent unmeasured, at the window's rate, before each fan-out and cluster window ({@code --warmup}):
     * the window then measures a server that has been up for a while, not its JIT compiler at work. 0 measures a
     * cold server (one awaited event, as before).
     */
    final int warmUpBroadcasts;

    final int streamsCount;
    final int streamsTokens;
    final int streamsIntervalMillis;
    final int streamsResets;
    final int streamsResetAt;
    final int streamsHoldIntervalMillis;

    final int drainMillis;
    final boolean jmh;
    final EncoderJmh.Settings jmhSettings;

    private BenchConfig(boolean quick, List<ServerKind> servers, Set<String> scenarios, String heap, Path logDir,
            boolean jmh, Integer clusterConnections, Integer clusterNodes, Integer c100kStreams, Integer clusterRate,
            Integer warmUp, boolean clusterSharedBox) {
        this.quick = quick;
        this.servers = servers;
        this.scenarios = scenarios;
        this.heap = heap;
        this.logDir = logDir;
        this.jmh = jmh;
        this.jmhSettings = quick ? EncoderJmh.Settings.QUICK : EncoderJmh.Settings.FULL;
        if (quick) {
            memoryLevels = new int[] {50, 200};
            fanOutLevels = new int[] {50, 200};
            fanOutBroadcasts = 5;
            fanOutRate = 20;
            throughputConnections = 50;
            throughputRates = new int[] {50, 100};
            throughputStepMillis = 400;
            slowConnections = 100;
            slowStalled = 5;
            slowMillis = 1000;
            drainMillis = 3000;
            this.clusterConnections = clusterConnections != null ? clusterConnections : 200;
            this.clusterNodes = clusterNodes != null ? clusterNodes : 2;
            clusterPublishes = 500;
            this.c100kStreams = c100kStreams != null ? c100kStreams : 300;
            streamsCount = 40;
            // Five tokens after the reset: room for a generator that reads late on a busy machine.
            streamsTokens = 10;
            streamsResets = 4;
        } else {
            memoryLevels = new int[] {1000, 5000, 10_000};
            fanOutLevels = new int[] {1000, 10_000};
            fanOutBroadcasts = 20;
            fanOutRate = 5;
            throughputConnections = 1000;
            throughputRates = new int[] {20, 50, 100, 200, 400, 800, 1600};
            throughputStepMillis = 2000;
            slowConnections = 1000;
            slowStalled = 10;
            slowMillis = 20_000;
            drainMillis = 10_000;
            this.clusterConnections = clusterConnections != null ? clusterConnections : 20_000;
            this.clusterNodes = clusterNodes != null ? clusterNodes : 4;
            clusterPublishes = 20_000;
            this.c100kStreams = c100kStreams != null ? c100kStreams : 100_000;
            streamsCount = 10_000;
            streamsTokens = 20;
            streamsResets = 1000;
        }
        this.clusterRate = clusterRate != null ? clusterRate : fanOutRate;
        this.clusterSharedBox = clusterSharedBox;
        // Full: 8 s at the fan-out rate, after which a server's CPU per window stops falling (see sse-bench/README).
        this.warmUpBroadcasts = warmUp != null ? warmUp : quick ? 5 : 40;
        streamsIntervalMillis = 50;
        // Mid-stream: the client reads tokens 0..resetAt, then resets.
        streamsResetAt = streamsTokens / 2 - 1;
        // Long enough that no second token comes while memory is measured: a stream caught mid-flight.
        streamsHoldIntervalMillis = 600_000;
        fanOutSize = 64;
        throughputSize = 1024;
        slowSize = 4096;
        slowRate = 50;
    }

    static BenchConfig full() {
        return parse(new String[0]);
    }

    static BenchConfig quick() {
        return parse(new String[] {"--quick"});
    }

    /**
     * {@code [--quick] [--servers=ours,webflux,vertx,spring,spring_flux,jersey,raw]
     * [--scenarios=memory,fanout,throughput,slow,encoder,client,cluster,streams,c100k]
     * [--heap=1g] [--logs=DIR] [--jmh | --no-jmh] [--cluster-connections=20000] [--cluster-nodes=4]
     * [--cluster-settings=shared-box] [--c100k-streams=100000] [--warmup=40]}; {@code --jmh} runs the encoder JMH
     * alone (the same as {@code --scenarios=encoder}), {@code --no-jmh} leaves it out. {@code cluster} (ours only,
     * {@code --cluster-nodes} server JVMs on a {@code redis-server} the bench starts, {@code --cluster-connections}
     * streams split among them) and {@code streams} (per-request {@code POST} streams: ours, Spring and raw NIO) and
     * {@code c100k} (ours and raw NIO, {@code --c100k-streams} on one server) run only when named.
     *
     * @throws IllegalArgumentException naming an unknown argument, scenario or server, or a bad number
     */
    static BenchConfig parse(String[] args) {
        boolean quick = false;
        boolean jmh = true;
        List<ServerKind> servers = new ArrayList<>(List.of(ServerKind.values()));
        Set<String> scenarios = Set.of("memory", "fanout", "throughput", "slow", "encoder", "client");
        String heap = "1g";
        Path logs = Paths.get("target", "bench-logs");
        Integer clusterConnections = null;
        Integer clusterNodes = null;
        Integer c100kStreams = null;
        Integer clusterRate = null;
        Integer warmUp = null;
        boolean sharedBox = true;
        for (String a : args) {
            if (a.equals("--quick")) {
                quick = true;
            } else if (a.equals("--no-jmh")) {
                jmh = false;
            } else if (a.equals("--jmh")) {
                jmh = true;
                scenarios = Set.of("encoder");
            } else if (a.startsWith("--servers=")) {
                servers.clear();
                for (String s : a.substring(10).split(",")) {
                    servers.add(ServerKind.parse(s));
                }
            } else if (a.startsWith("--scenarios=")) {
                scenarios = new LinkedHashSet<>(List.of(a.substring(12).split(",")));
                for (String name : scenarios) {
                    if (!SCENARIOS.contains(name)) {
                        throw new IllegalArgumentException("--scenarios: unknown scenario '" + name + "'; known: "
                                + String.join(",", SCENARIOS));
                    }
                }
            } else if (a.startsWith("--heap=")) {
                heap = a.substring(7);
            } else if (a.startsWith("--logs=")) {
                logs = Paths.get(a.substring(7));
            } else if (a.startsWith("--cluster-connections=")) {
                clusterConnections = positive(a, "--cluster-connections=".length());
            } else if (a.startsWith("--cluster-nodes=")) {
                clusterNodes = positive(a, "--cluster-nodes=".length());
            } else if (a.startsWith("--cluster-rate=")) {
                clusterRate = positive(a, "--cluster-rate=".length());
            } else if (a.startsWith("--cluster-settings=")) {
                String v = a.substring("--cluster-settings=".length());
                if (!v.equals("shared-box") && !v.equals("defaults")) {
                    throw new IllegalArgumentException("cluster-settings must be shared-box or defaults, got '" + v
                            + "'");
                }
                sharedBox = v.equals("shared-box");
            } else if (a.startsWith("--warmup=")) {
                warmUp = atLeast(0, a, "--warmup=".length());
            } else if (a.startsWith("--c100k-streams=")) {
                c100kStreams = positive(a, "--c100k-streams=".length());
            } else {
                throw new IllegalArgumentException("unknown argument " + a + "; usage: [--quick] "
                        + "[--servers=ours,spring,jersey,raw] "
                        + "[--scenarios=" + String.join(",", SCENARIOS) + "] "
                        + "[--heap=1g] [--logs=DIR] [--jmh | --no-jmh] [--cluster-connections=N] [--cluster-nodes=N] "
                        + "[--cluster-rate=N] [--cluster-settings=shared-box|defaults] [--c100k-streams=N] "
                        + "[--warmup=N]");
            }
        }
        EnumSet<ServerKind> ordered = EnumSet.copyOf(servers);
        return new BenchConfig(quick, new ArrayList<>(ordered), scenarios, heap, logs, jmh, clusterConnections,
                clusterNodes, c100kStreams, clusterRate, warmUp, sharedBox);
    }

    /** The JVM options of every server JVM the cluster scenario starts, in every row. */
    List<String> clusterJvmOptions() {
        // Four JVMs sized each for the whole box run eight writers and four G1s' concurrent refinement on two cores:
        // sse-bench/README.md, "Four JVMs on one small box", has the figures.
        return clusterSharedBox ? List.of("-XX:+UseParallelGC", "-D" + ServerMain.WRITER_THREADS_PROPERTY + "=1")
                : List.of();
    }

    private static int positive(String arg, int valueAt) {
        return atLeast(1, arg, valueAt);
    }

    private static int atLeast(int min, String arg, int valueAt) {
        String name = arg.substring(2, valueAt - 1);
        try {
            int v = Integer.parseInt(arg.substring(valueAt));
            if (v >= min) {
                return v;
            }
        } catch (NumberFormatException e) {
            // named below
        }
        String what = min == 1 ? "a positive integer" : "an integer of at least " + min;
        throw new IllegalArgumentException(name + " must be " + what + ", got '" + arg.substring(valueAt) + "'");
    }
}
