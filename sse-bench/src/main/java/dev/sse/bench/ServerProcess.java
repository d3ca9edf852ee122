package dev.sse.bench;

import dev.sse.bench.load.LatencyHistogram;

import dev.sse.bench.server.ServerKind;
import dev.sse.bench.server.ServerMain;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server under test in its own JVM ({@link ServerMain}), driven over its stdin/stdout. Every server gets the same
 * {@code -Xmx}, so heap and RSS are measured per server.
 *
 * <h2>Threads</h2>
 * The caller's thread sends commands; a reader thread turns reply lines into the reply queue and the broadcast
 * counters.
 */
final class ServerProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ServerProcess.class);

    private final Process process;
    private final OutputStream stdin;
    private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
    private final AtomicLong broadcastsDone = new AtomicLong();
    private final AtomicLong maxBroadcastNanos = new AtomicLong();
    /** Every broadcast call's duration since the last reset; guarded by itself (the reply reader writes it). */
    private final LatencyHistogram broadcastCalls = new LatencyHistogram();
    private final int port;
    private final ServerKind kind;

    private ServerProcess(ServerKind kind, Process process) throws IOException, InterruptedException {
        this.kind = kind;
        this.process = process;
        this.stdin = process.getOutputStream();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
        Thread reader = new Thread(() -> readReplies(out), "server-replies-" + kind.cliName());
        reader.setDaemon(true);
        reader.start();
        String ready = replies.poll(60, TimeUnit.SECONDS);
        if (ready == null || !ready.startsWith("READY ")) {
            process.destroyForcibly();
            throw new IOException(kind + " did not start (got " + ready + "); see its log");
        }
        this.port = Integer.parseInt(ready.split(" ")[1]);
    }

    /** A JVM option that picks the garbage collector. */
    private static final String COLLECTOR = "-XX:\\+Use\\w+GC";

    /**
     * Forks a server JVM.
     *
     * @param kind which server
     * @param heap the {@code -Xmx} value, e.g. {@code 1g}
     * @param logDir where its stderr goes
     * @return the running server
     * @throws IOException if it cannot start
     * @throws InterruptedException if interrupted while waiting for it
     */
    static ServerProcess start(ServerKind kind, String heap, Path logDir) throws IOException, InterruptedException {
        return start(kind, heap, logDir, List.of(), kind.cliName());
    }

    /**
     * Forks a server JVM with extra JVM options (e.g. {@code -Dsse.bench.redis=...}).
     *
     * @param logName its log file's name, without {@code .log}
     */
    static ServerProcess start(ServerKind kind, String heap, Path logDir, List<String> jvmOptions, String logName)
            throws IOException, InterruptedException {
        Files.createDirectories(logDir);
        // For profiling a server, e.g. SSE_BENCH_SERVER_OPTS='-XX:StartFlightRecording=filename=/tmp/{kind}.jfr'.
        List<String> cmd = command(kind, heap, jvmOptions, System.getenv("SSE_BENCH_SERVER_OPTS"));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectError(ProcessBuilder.Redirect.appendTo(logDir.resolve(logName + ".log").toFile()));
        return new ServerProcess(kind, pb.start());
    }

    /**
     * The server JVM's command line: {@code jvmOptions} after the environment's {@code extra} options (or null), G1
     * unless either names another collector; where both name one, the environment's wins, so that one variable runs
     * every server on one collector.
     */
    static List<String> command(ServerKind kind, String heap, List<String> jvmOptions, String extra) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + heap);
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        boolean extraNamesCollector = extra != null && extra.matches("(?s).*" + COLLECTOR + ".*");
        if (!extraNamesCollector && jvmOptions.stream().noneMatch(o -> o.matches(COLLECTOR))) {
            cmd.add("-XX:+UseG1GC");
        }
        if (extra != null) {
            for (String opt : extra.trim().split("\\s+")) {
                if (!opt.isEmpty()) {
                    cmd.add(opt.replace("{kind}", kind.cliName() + "-" + System.nanoTime()));
                }
            }
        }
        for (String opt : jvmOptions) {
            if (!(extraNamesCollector && opt.matches(COLLECTOR))) {
                cmd.add(opt);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ServerMain.class.getName());
        cmd.add(kind.cliName());
        return cmd;
    }

    private void readReplies(BufferedReader out) {
        try {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("b ")) {
                    broadcastsDone.incrementAndGet();
                    long nanos = Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
                    maxBroadcastNanos.accumulateAndGet(nanos, Math::max);
                    synchronized (broadcastCalls) {
                        broadcastCalls.record(nanos);
                    }
                } else {
                    replies.add(line);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("reply reader ended: {}", e.toString());
        }
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    private synchronized void send(String command) throws IOException {
        stdin.write((command + "\n").getBytes(StandardCharsets.US_ASCII));
        stdin.flush();
    }

    /** Asks for a broadcast; the reply is counted by the reader thread. */
    void broadcast(long seq, int size) throws IOException {
        send("B " + seq + " " + size);
    }

    long broadcastsDone() {
        return broadcastsDone.get();
    }

    long maxBroadcastNanos() {
        return maxBroadcastNanos.get();
    }

    /** @return the broadcast call time at the quantile since the last reset, in nanoseconds */
    long broadcastCallNanos(double quantile) {
        synchronized (broadcastCalls) {
            return broadcastCalls.quantileNanos(quantile);
        }
    }

    void resetBroadcastStats() {
        maxBroadcastNanos.set(0);
        synchronized (broadcastCalls) {
            broadcastCalls.reset();
        }
    }

    private String ask(String command, String replyPrefix, long timeoutMillis) throws IOException, InterruptedException {
        replies.clear();
        send(command);
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (true) {
            long left = deadline - System.nanoTime();
            String r = left <= 0 ? null : replies.poll(left, TimeUnit.NANOSECONDS);
            if (r == null) {
                return null;
            }
            if (r.startsWith(replyPrefix)) {
                return r.substring(replyPrefix.length());
            }
        }
    }

    /** @return the server's subscriber count, or -1 if it did not answer in time */
    int subscribers() throws IOException, InterruptedException {
        String r = ask("C", "c ", 10_000);
        return r == null ? -1 : Integer.parseInt(r);
    }

    /** @return heap used after a full GC, or -1 if it did not answer in time */
    long heapAfterGc() throws IOException, InterruptedException {
        String r = ask("G", "g ", 60_000);
        return r == null ? -1 : Long.parseLong(r);
    }

    /**
     * Estimates the server JVM's {@code System.nanoTime()} against this JVM's: the round trip of a {@code T} command
     * with the least delay out of {@code samples}, the server's reading taken as the midpoint of that trip.
     *
     * @return {server minus local, half the round trip (the bound on the error)} in nanoseconds
     */
    long[] clockOffset(int samples) throws IOException, InterruptedException {
        long best = Long.MAX_VALUE;
        long offset = 0;
        for (int i = 0; i < samples; i++) {
            long t0 = System.nanoTime();
            String r = ask("T", "t ", 10_000);
            long t1 = System.nanoTime();
            if (r == null) {
                throw new IOException(kind.cliName() + " did not answer T");
            }
            if (t1 - t0 < best) {
                best = t1 - t0;
                offset = Long.parseLong(r) - (t0 + (t1 - t0) / 2);
            }
        }
        return new long[] {offset, best / 2};
    }

    /**
     * @param spreadMillis the window the first tokens are spread over
     * @return how many waiting token producers the server started, -1 if it has none
     */
    int go(long spreadMillis) throws IOException, InterruptedException {
        String r = ask("GO " + spreadMillis, "go ", 30_000);
        return r == null ? -1 : Integer.parseInt(r);
    }

    /**
     * @return {active streams, tokens produced, completed, cancelled, live threads, peak threads}; the first four are
     *         -1 for a server without per-request streams; {@code null} if it did not answer
     */
    long[] streamStats() throws IOException, InterruptedException {
        String r = ask("S", "s ", 10_000);
        if (r == null) {
            return null;
        }
        String[] p = r.split(" ");
        long[] v = new long[p.length];
        for (int i = 0; i < p.length; i++) {
            v[i] = Long.parseLong(p[i]);
        }
        return v;
    }

    /** Resets the server JVM's peak thread count to its live count. */
    void resetPeakThreads() throws IOException, InterruptedException {
        ask("P", "p ", 10_000);
    }

    /**
     * @param ids stream ids
     * @return each stream's record ({@code TokenStreams.record}): id, cancel time or -1, completed, produce times
     */
    List<long[]> streamRecords(List<Long> ids) throws IOException, InterruptedException {
        List<long[]> records = new ArrayList<>();
        for (int from = 0; from < ids.size(); from += 500) {
            StringBuilder cmd = new StringBuilder("R ");
            for (int i = from; i < Math.min(ids.size(), from + 500); i++) {
                cmd.append(ids.get(i)).append(',');
            }
            replies.clear();
            send(cmd.toString());
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (true) {
                long left = deadline - System.nanoTime();
                String r = left <= 0 ? null : replies.poll(left, TimeUnit.NANOSECONDS);
                if (r == null) {
                    throw new IOException(kind.cliName() + " did not answer R");
                }
                if (r.equals("r end")) {
                    break;
                }
                if (r.startsWith("r ")) {
                    String[] p = r.substring(2).split(" ");
                    long[] v = new long[p.length];
                    for (int i = 0; i < p.length; i++) {
                        v[i] = Long.parseLong(p[i]);
                    }
                    records.add(v);
                }
            }
        }
        return records;
    }

    /** @return the resident set size from /proc, or -1 where there is none */
    long rssBytes() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("no RSS: {}", e.toString());
        }
        return -1;
    }

    @Override
    public void close() {
        try {
            send("Q");
            // Ten seconds: SseServlet.destroy() drains its streams over a 5 s window by default, and a JFR
            // recording (SSE_BENCH_SERVER_OPTS) is written at exit.
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                LOG.info("{} did not stop in 10 s; killing it", kind.cliName());
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
