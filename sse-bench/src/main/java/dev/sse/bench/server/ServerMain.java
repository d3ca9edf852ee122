package dev.sse.bench.server;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of a forked server JVM: {@code ServerMain <kind>}. Prints {@code READY <port> <pid>} on stdout, then
 * answers one command per stdin line, one reply line each (stdout is the control channel; logs go to stderr):
 * <pre>
 * B seq size   broadcast "seq xxx..." padded to size bytes  -&gt; b seq nanosTheCallTook
 * C            subscriber count                               -&gt; c n
 * G            full GC, heap used after                       -&gt; g bytes
 * Q            stop and exit                                  -&gt; q
 * T            this JVM's System.nanoTime()                   -&gt; t nanos
 * GO ms        start the waiting token producers, first tokens
 *              spread over ms                                 -&gt; go started
 * S            token streams and threads                      -&gt; s active produced completed cancelled threads peak
 * P            reset the peak thread count                    -&gt; p threads
 * R id,id,...  each stream's record (TokenStreams#record)     -&gt; r record (one line per id), then r end
 * </pre>
 * Broadcasts run in order on one publisher thread ({@code publisher}), the way an application thread calls its
 * server; the other commands are answered at once on the main thread, so a publisher stuck in a blocking write
 * does not hide what the heap does meanwhile.
 */
public final class ServerMain {

    /** System property: a Redis URI that ours puts its hub on (the cluster scenario). */
    public static final String REDIS_PROPERTY = "sse.bench.redis";
    /**
     * System property: our servlet's {@code writerThreads} init-param, when given (the cluster scenario's shared-box
     * settings, and experiments; the other tables run the default, one per core).
     */
    public static final String WRITER_THREADS_PROPERTY = "sse.bench.writerThreads";

    private static final Logger LOG = LoggerFactory.getLogger(ServerMain.class);

    private ServerMain() {
    }

    /**
     * @param args the server kind
     * @throws Exception if the server fails to start
     */
    public static void main(String[] args) throws Exception {
        ServerKind kind = ServerKind.parse(args[0]);
        BenchServer server = kind.create();
        int port = server.start();
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.US_ASCII);
        out.println("READY " + port + " " + ProcessHandle.current().pid());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        Map<Integer, String> pads = new HashMap<>();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        ExecutorService publisher = Executors.newSingleThreadExecutor(r -> new Thread(r, "publisher"));
        String line;
        while ((line = in.readLine()) != null) {
            String[] p = line.split(" ");
            switch (p[0]) {
                case "B": {
                    long seq = Long.parseLong(p[1]);
                    int size = Integer.parseInt(p[2]);
                    String head = seq + " ";
                    String pad = pads.computeIfAbsent(size, s -> "x".repeat(Math.max(0, s)));
                    String data = head + pad.substring(0, Math.max(0, Math.min(pad.length(), size - head.length())));
                    publisher.execute(() -> {
                        long t0 = System.nanoTime();
                        try {
                            server.broadcast(data);
                        } catch (Exception e) {
                            LOG.warn("broadcast {} failed", seq, e);
                        }
                        out.println("b " + seq + " " + (System.nanoTime() - t0));
                    });
                    break;
                }
                case "C":
                    out.println("c " + server.subscribers());
                    break;
                case "G":
                    for (int i = 0; i < 3; i++) {
                        System.gc();
                    }
                    out.println("g " + memory.getHeapMemoryUsage().getUsed());
                    break;
                case "T":
                    out.println("t " + System.nanoTime());
                    break;
                case "GO":
                    out.println("go " + (server.tokenStreams() == null ? -1 : server.tokenStreams().go(Long.parseLong(p[1]))));
                    break;
                case "S": {
                    TokenStreams ts = server.tokenStreams();
                    out.println("s " + (ts == null ? "-1 -1 -1 -1" : ts.stats()) + " " + threads.getThreadCount() + " "
                            + threads.getPeakThreadCount());
                    break;
                }
                case "P":
                    threads.resetPeakThreadCount();
                    out.println("p " + threads.getThreadCount());
                    break;
                case "R": {
                    TokenStreams ts = server.tokenStreams();
                    StringBuilder sb = new StringBuilder();
                    for (String id : p.length > 1 ? p[1].split(",") : new String[0]) {
                        if (!id.isEmpty() && ts != null) {
                            sb.append("r ").append(ts.record(Long.parseLong(id))).append('\n');
                        }
                    }
                    sb.append("r end");
                    out.println(sb);
                    break;
                }
                case "Q":
                    try {
                        server.stop();
                    } finally {
                        out.println("q");
                        System.exit(0);
                    }
                    break;
                default:
                    LOG.warn("unknown command {}", line);
            }
        }
        server.stop();
        System.exit(0);
    }
}
