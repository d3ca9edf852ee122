package dev.sse.bench;

import dev.sse.client.MessageEvent;
import dev.sse.client.RetryPolicy;
import dev.sse.client.SseClient;
import dev.sse.core.SseEncoder;
import dev.sse.core.SseEvent;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client throughput: how fast a client reads one fast local stream, and how much it allocates per event, for 64 B
 * and 4 KiB events. Ours (pull and listener) against a bare {@code java.net.http} line reader, which does the least
 * any client must (split lines, join data lines, make a String per event) and so is the floor. All in this JVM,
 * alternating, after a warm-up; allocation is the growth of every live thread's allocated-bytes counter (JDK
 * HttpClient threads included) over the run, divided by the events read.
 *
 * <p>{@code java -cp sse-bench.jar dev.sse.bench.ClientThroughput [--quick]}, or the {@code client} scenario of
 * {@link BenchMain}.
 */
public final class ClientThroughput {

    private static final Logger LOG = LoggerFactory.getLogger(ClientThroughput.class);

    private ClientThroughput() {
    }

    /**
     * Runs the comparison and prints its markdown.
     *
     * @param args {@code --quick} for a smoke run
     * @throws Exception if the local server or a client fails
     */
    public static void main(String[] args) throws Exception {
        boolean quick = Arrays.asList(args).contains("--quick");
        Report report = new Report();
        run(report, quick);
        System.out.println(report.markdown());
        System.exit(0);
    }

    interface Reader {
        /**
         * Reads {@code events} events from the URI and returns the bytes allocated since {@code start}, measured
         * before the client is closed (while its threads still live); the data lengths go into {@link #SINK} so that
         * nothing is optimised away.
         */
        long read(URI uri, int events, Map<Long, Long> start) throws Exception;
    }

    static final AtomicLong SINK = new AtomicLong();

    static void run(Report report, boolean quick) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String[] names = {"ours: SseClient.next()", "ours: SseListener", "bare HttpClient line reader"};
        Reader[] readers = {
            (uri, n, start) -> ours(http, uri, n, start),
            (uri, n, start) -> oursListener(http, uri, n, start),
            (uri, n, start) -> bare(http, uri, n, start),
        };
        for (int size : new int[] {64, 4096}) {
            int events = quick ? 2_000 : (size == 64 ? 400_000 : 40_000);
            int rounds = quick ? 1 : 5;
            Report.Table table = report.table(String.format(Locale.ROOT,
                    "Client throughput: one local HTTP/1.1 stream of %s events of %d B data, %d rounds each",
                    Report.num(events), size, rounds), "client", names[0], new String[] {"events/s"}, false,
                    "events/s (best round)", "allocated B/event (least round)", "B/event ours ÷ row");
            try (StreamServer server = new StreamServer(size, events)) {
                double[] best = new double[readers.length];
                double[] alloc = new double[readers.length];
                Arrays.fill(alloc, Double.MAX_VALUE);
                for (int r = -2; r < rounds; r++) { // two warm-up rounds
                    for (int i = 0; i < readers.length; i++) {
                        Map<Long, Long> a0 = allocatedBytes();
                        long t0 = System.nanoTime();
                        long a = readers[i].read(server.uri(), events, a0);
                        long t = System.nanoTime() - t0;
                        if (r >= 0) {
                            best[i] = Math.max(best[i], events * 1e9 / t);
                            alloc[i] = Math.min(alloc[i], (double) a / events);
                        }
                    }
                }
                for (int i = 0; i < readers.length; i++) {
                    table.row(names[i], new double[] {best[i]}, Report.num(Math.round(best[i])),
                            Report.num(Math.round(alloc[i])), String.format(Locale.ROOT, "%.2f", alloc[0] / alloc[i]));
                    LOG.info("client {} B: {}: {} events/s, {} B/event", size, names[i], Math.round(best[i]),
                            Math.round(alloc[i]));
                }
            }
            table.note("Ratios are ours (SseClient.next()) ÷ row. launchdarkly okhttp-eventsource is not in this workplace's package list, "
                    + "so it is not measured.");
        }
    }

    private static long ours(HttpClient http, URI uri, int events, Map<Long, Long> start) throws Exception {
        long sum = 0;
        try (SseClient client = SseClient.builder(uri).httpClient(http).retryPolicy(RetryPolicy.none()).open()) {
            for (int i = 0; i < events; i++) {
                MessageEvent e = client.next();
                sum += e.data().length();
            }
            SINK.addAndGet(sum);
            return allocatedSince(start);
        }
    }

    private static long oursListener(HttpClient http, URI uri, int events, Map<Long, Long> start)
            throws Exception {
        AtomicLong sum = new AtomicLong();
        CountDownLatch done = new CountDownLatch(events);
        try (SseClient client = SseClient.builder(uri).httpClient(http).retryPolicy(RetryPolicy.none())
                .start(e -> {
                    sum.addAndGet(e.data().length());
                    done.countDown();
                })) {
            done.await();
            SINK.addAndGet(sum.get());
            return allocatedSince(start);
        }
    }

    /** The floor: readLine, join data lines, one String per event. */
    private static long bare(HttpClient http, URI uri, int events, Map<Long, Long> start) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").build();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        long sum = 0;
        int seen = 0;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(),
                StandardCharsets.UTF_8))) {
            StringBuilder data = new StringBuilder();
            String line;
            while (seen < events && (line = reader.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        String event = data.substring(0, data.length() - 1);
                        sum += event.length();
                        seen++;
                        data.setLength(0);
                    }
                } else if (line.startsWith("data:")) {
                    data.append(line, line.startsWith("data: ") ? 6 : 5, line.length()).append('\n');
                }
            }
            SINK.addAndGet(sum);
            return allocatedSince(start);
        }
    }

    /** Every live thread's allocated-bytes counter, by thread id. */
    static Map<Long, Long> allocatedBytes() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] ids = threads.getAllThreadIds();
        long[] bytes = threads.getThreadAllocatedBytes(ids);
        Map<Long, Long> byThread = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            if (bytes[i] >= 0) {
                byThread.put(ids[i], bytes[i]);
            }
        }
        return byThread;
    }

    /** What the threads alive now allocated since {@code start} (all of it for threads started since). */
    static long allocatedSince(Map<Long, Long> start) {
        long total = 0;
        for (Map.Entry<Long, Long> e : allocatedBytes().entrySet()) {
            total += e.getValue() - start.getOrDefault(e.getKey(), 0L);
        }
        return total;
    }

    /** Writes the same stream of numbered events to every connection as fast as the socket takes it. */
    private static final class StreamServer implements AutoCloseable {
        private final ServerSocket server;
        private final byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        private final byte[] body;

        StreamServer(int size, int events) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            String data = "x".repeat(size);
            for (int i = 0; i < events; i++) {
                out.writeBytes(SseEncoder.encode(SseEvent.builder().id(Integer.toString(i)).event("tick").data(data)
                        .build()));
            }
            body = out.toByteArray();
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(this::accept, "client-bench-server");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/events");
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread t = new Thread(() -> serve(s), "client-bench-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try (s) {
                InputStream in = s.getInputStream();
                int state = 0;
                while (state < 4) {
                    int b = in.read();
                    if (b < 0) {
                        return;
                    }
                    state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3))
                            ? state + 1 : (b == '\r' ? 1 : 0);
                }
                OutputStream out = s.getOutputStream();
                out.write(head);
                for (int off = 0; off < body.length; off += 64 * 1024) {
                    out.write(body, off, Math.min(64 * 1024, body.length - off));
                }
                out.flush();
                // Hold the stream open until the client leaves, so that its reader thread is still alive (and its
                // allocation counter readable) when the count is taken.
                while (in.read() >= 0) {
                    // discard
                }
            } catch (IOException e) {
                // the client stopped reading after its count: normal
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
