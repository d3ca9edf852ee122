package dev.sse.bench;

import com.launchdarkly.eventsource.ErrorStrategy;
import com.launchdarkly.eventsource.EventSource;
import com.launchdarkly.eventsource.background.BackgroundEventHandler;
import com.launchdarkly.eventsource.background.BackgroundEventSource;
import com.launchdarkly.eventsource.background.ConnectionErrorHandler;
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
 * and 4 KiB events. Ours (pull and listener) against launchdarkly's okhttp-eventsource 4.x (its pull API
 * {@code EventSource.readMessage()} and its {@code BackgroundEventSource} handler, both with its defaults and no
 * reconnect) and against a bare {@code java.net.http} line reader, which does the least any client must (split lines,
 * join data lines, make a String per event) and so is the floor. All in this JVM, alternating, after a warm-up;
 * allocation is the growth of every live thread's allocated-bytes counter (JDK HttpClient and OkHttp threads
 * included) over the run, divided by the events read. Every round checks that its reader got every event once:
 * count, data length and, where the reader sees ids, the last id (a reconnect would restart the stream at id 0).
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
         * Reads {@code events} events from the URI and returns what it read and the bytes allocated since
         * {@code start}, measured before the client is closed (while its threads still live); the data lengths go
         * into {@link #SINK} so that nothing is optimised away.
         */
        Read read(URI uri, int events, Map<Long, Long> start) throws Exception;
    }

    /**
     * What one reader got in one round.
     *
     * @param allocated bytes allocated by all live threads since the round began
     * @param events events delivered to the reader's code
     * @param dataChars total length of their data
     * @param lastId the last event's id, or null for a reader that does not parse ids
     */
    record Read(long allocated, long events, long dataChars, String lastId) {

        /** Fails unless this is exactly the {@code expected} events of {@code size} chars that the server sent. */
        void check(String reader, int expected, int size) {
            if (events != expected || dataChars != (long) expected * size
                    || (lastId != null && !lastId.equals(Integer.toString(expected - 1)))) {
                throw new IllegalStateException(String.format(Locale.ROOT,
                        "%s read %d events, %d data chars, last id %s; the server sent %d events of %d chars, ids 0-%d",
                        reader, events, dataChars, lastId, expected, size, expected - 1));
            }
        }
    }

    static final AtomicLong SINK = new AtomicLong();

    private static final String OKHTTP_PULL = "okhttp-eventsource 4.3: EventSource.readMessage()";
    private static final String OKHTTP_BACKGROUND = "okhttp-eventsource 4.3: BackgroundEventSource";

    static void run(Report report, boolean quick) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String[] names = {"ours: SseClient.next()", "ours: SseListener", OKHTTP_PULL, OKHTTP_BACKGROUND,
            "bare HttpClient line reader"};
        Reader[] readers = {
            (uri, n, start) -> ours(http, uri, n, start),
            (uri, n, start) -> oursListener(http, uri, n, start),
            ClientThroughput::okhttpPull,
            ClientThroughput::okhttpBackground,
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
                        Read read = readers[i].read(server.uri(), events, a0);
                        long t = System.nanoTime() - t0;
                        read.check(names[i], events, size);
                        if (r >= 0) {
                            best[i] = Math.max(best[i], events * 1e9 / t);
                            alloc[i] = Math.min(alloc[i], (double) read.allocated() / events);
                        }
                    }
                }
                for (int i = 0; i < readers.length; i++) {
                    table.row(names[i], new double[] {best[i]}, Report.num(Math.round(best[i])),
                            Report.num(Math.round(alloc[i])), String.format(Locale.ROOT, "%.2f", alloc[0] / alloc[i]));
                    LOG.info("client {} B: {}: {} events/s, {} B/event", size, names[i], Math.round(best[i]),
                            Math.round(alloc[i]));
                }
                table.note("Ratios are ours (SseClient.next()) ÷ row. Like for like against okhttp-eventsource "
                        + "(events/s, higher is better; B/event, lower is better): "
                        + pair("SseListener ÷ readMessage() (each reads and delivers on one thread)", best[1], best[2],
                                alloc[1], alloc[2])
                        + "; " + pair("next() ÷ BackgroundEventSource (each hands events to another thread)", best[0],
                                best[3], alloc[0], alloc[3])
                        + "; " + pair("best of ours ÷ best of okhttp-eventsource", Math.max(best[0], best[1]),
                                Math.max(best[2], best[3]), Math.min(alloc[0], alloc[1]), Math.min(alloc[2], alloc[3]))
                        + ".");
            }
        }
    }

    private static String pair(String what, double oursRate, double theirRate, double oursAlloc, double theirAlloc) {
        return String.format(Locale.ROOT, "%s %.2f× events/s, %.2f× B/event", what, oursRate / theirRate,
                oursAlloc / theirAlloc);
    }

    private static Read ours(HttpClient http, URI uri, int events, Map<Long, Long> start) throws Exception {
        long sum = 0;
        MessageEvent last = null;
        try (SseClient client = SseClient.builder(uri).httpClient(http).retryPolicy(RetryPolicy.none()).open()) {
            for (int i = 0; i < events; i++) {
                last = client.next();
                sum += last.data().length();
            }
            SINK.addAndGet(sum);
            return new Read(allocatedSince(start), events, sum, last == null ? "" : last.lastEventId());
        }
    }

    private static Read oursListener(HttpClient http, URI uri, int events, Map<Long, Long> start)
            throws Exception {
        Counter counter = new Counter(events);
        try (SseClient client = SseClient.builder(uri).httpClient(http).retryPolicy(RetryPolicy.none())
                .start(e -> counter.event(e.data(), e.lastEventId()))) {
            return counter.await(start);
        }
    }

    /**
     * okhttp-eventsource's pull API: {@code readMessage()} reads and parses on the calling thread. Its defaults
     * (its own OkHttpClient, 1,000-char read buffer, whole data as a String), with {@code alwaysThrow} so that an
     * error ends the round instead of reconnecting (the server never ends the stream first, so it does not arise).
     */
    static Read okhttpPull(URI uri, int events, Map<Long, Long> start) throws Exception {
        long sum = 0;
        com.launchdarkly.eventsource.MessageEvent last = null;
        try (EventSource source = new EventSource.Builder(uri).errorStrategy(ErrorStrategy.alwaysThrow()).build()) {
            for (int i = 0; i < events; i++) {
                last = source.readMessage();
                sum += last.getData().length();
            }
            SINK.addAndGet(sum);
            return new Read(allocatedSince(start), events, sum, last == null ? "" : last.getLastEventId());
        }
    }

    /**
     * okhttp-eventsource's push API: a {@code BackgroundEventSource} reads on its stream thread and calls the
     * handler on its events thread. Its defaults otherwise; a connection error shuts it down instead of
     * reconnecting.
     */
    static Read okhttpBackground(URI uri, int events, Map<Long, Long> start) throws Exception {
        Counter counter = new Counter(events);
        BackgroundEventHandler handler = new BackgroundEventHandler() {
            @Override
            public void onOpen() {
            }

            @Override
            public void onClosed() {
            }

            @Override
            public void onMessage(String event, com.launchdarkly.eventsource.MessageEvent e) {
                counter.event(e.getData(), e.getLastEventId());
            }

            @Override
            public void onComment(String comment) {
            }

            @Override
            public void onError(Throwable t) {
                counter.fail(t);
            }
        };
        try (BackgroundEventSource source = new BackgroundEventSource.Builder(handler,
                new EventSource.Builder(uri).errorStrategy(ErrorStrategy.alwaysThrow()))
                .connectionErrorHandler(t -> ConnectionErrorHandler.Action.SHUTDOWN).build()) {
            source.start();
            return counter.await(start);
        }
    }

    /**
     * Counts the events a push reader delivers. {@link #event} runs on the reader's delivery thread, {@link #await}
     * on the bench thread; the latch orders the fields' last writes before their read.
     */
    private static final class Counter {
        private final CountDownLatch done;
        private long events;
        private long dataChars;
        private String lastId;
        private volatile Throwable failure;

        Counter(int expected) {
            done = new CountDownLatch(expected);
        }

        void event(String data, String id) {
            events++;
            dataChars += data.length();
            lastId = id;
            done.countDown();
        }

        void fail(Throwable t) {
            failure = t;
            while (done.getCount() > 0) {
                done.countDown();
            }
        }

        Read await(Map<Long, Long> start) throws InterruptedException {
            done.await();
            if (failure != null) {
                throw new IllegalStateException("reader failed after " + events + " events", failure);
            }
            SINK.addAndGet(dataChars);
            return new Read(allocatedSince(start), events, dataChars, lastId);
        }
    }

    /** The floor: readLine, join data lines, one String per event. */
    private static Read bare(HttpClient http, URI uri, int events, Map<Long, Long> start) throws Exception {
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
            return new Read(allocatedSince(start), seen, sum, null);
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
    static final class StreamServer implements AutoCloseable {
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
