package dev.sse.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.CloseReason;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.HubListener;
import dev.sse.core.InMemoryHistory;
import dev.sse.core.SlowClientPolicy;
import dev.sse.core.SseEvent;
import jakarta.servlet.http.HttpServlet;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What only SseServlet offers (its init-params, file and per-client limits, write timeout, request hook...), on every
 * container; subclasses supply the container. What every runtime adapter must do is in the sse-tck kit, run by
 * {@link JettyAdapterContractTest} and {@link TomcatAdapterContractTest}.
 */
abstract class AbstractSseServletTest {

    static final Duration T = Duration.ofSeconds(5);

    ServerFixture server;
    Hub hub;
    HttpServlet servlet;
    int port;
    final BlockingQueue<CloseReason> closes = new LinkedBlockingQueue<>();
    final Map<String, String> params = new HashMap<>();

    abstract ServerFixture newServer();

    /** A hub started at the epoch numbers its events 1, 2, ...: the resume tests count on it. */
    static final Clock NUMBERED_FROM_ONE = Clock.fixed(Instant.EPOCH, ZoneOffset.UTC);

    static InMemoryHistory history(int maxEvents) {
        return InMemoryHistory.builder().maxEvents(maxEvents).clock(NUMBERED_FROM_ONE).build();
    }

    Hub.Builder hubBuilder() {
        return Hub.builder().clock(NUMBERED_FROM_ONE).keepAlive(Duration.ofMillis(200)).listener(new HubListener() {
            @Override
            public void onClose(EventChannel channel, CloseReason reason) {
                closes.add(reason);
            }
        });
    }

    void start() throws Exception {
        start(hubBuilder().build());
    }

    void start(Hub h) throws Exception {
        start(h, new SseServlet(h));
    }

    void start(Hub h, HttpServlet servlet) throws Exception {
        hub = h;
        this.servlet = servlet;
        params.putIfAbsent("drainWindow", "200ms");
        server = newServer();
        port = server.start(servlet, params);
    }

    @AfterEach
    void stop() throws Exception {
        // Streams end with the hub first, as in a real shutdown: a container's graceful stop waits for open
        // requests, and a stream is one until it ends.
        if (hub != null) {
            hub.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    SseClient open() throws Exception {
        return openAt("/events");
    }

    SseClient openWith(String... headers) throws Exception {
        return openAt("/events", headers);
    }

    SseClient openAt(String target, String... headers) throws Exception {
        SseClient c = SseClient.get(port, target, headers).head(T);
        assertThat(c.status()).isEqualTo(200);
        return c;
    }

    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + T.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    void awaitChannels(int n) {
        await("hub.channelCount() == " + n, () -> hub.channelCount() == n);
    }

    @Test
    void ignoreClientLastEventIdSwitch() throws Exception {
        params.put("ignoreClientLastEventId", "true");
        start();
        hub.broadcast(SseEvent.data("old"));
        try (SseClient c = openWith("Last-Event-ID: 0")) {
            awaitChannels(1);
            hub.broadcast(SseEvent.data("new"));
            assertThat(c.nextEvent(T)).isEqualTo("id: 2\ndata: new\n\n");
        }
    }

    /**
     * A bounded soak: healthy clients resume again and again while chaos clients stall, reset and vanish, and two
     * publishers run. Every healthy client must see every id exactly once and in order, and at the end the hub, the
     * servlet and the container hold nothing.
     */
    @Test
    @org.junit.jupiter.api.Tag("soak")
    void soakWithResumesStallsAndResetsEndsCleanAndLosesNothing() throws Exception {
        params.put("writeTimeout", "1s");
        start(hubBuilder().history(history(1_000_000))
                .maxQueuedFrames(20_000).maxQueuedBytes(16 << 20).build());
        long soakNanos = TimeUnit.SECONDS.toNanos(12);
        int healthy = 6;
        int chaos = 6;
        AtomicBoolean publishing = new AtomicBoolean(true);
        AtomicInteger published = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(2 + healthy + chaos);
        try {
            List<Future<?>> publishers = new ArrayList<>();
            for (int p = 0; p < 2; p++) {
                publishers.add(pool.submit(() -> {
                    while (publishing.get()) {
                        hub.broadcast(SseEvent.data("soak"));
                        published.incrementAndGet();
                        Thread.sleep(1); // pacing the load, not synchronising anything
                    }
                    return null;
                }));
            }
            long end = System.nanoTime() + soakNanos;
            List<Future<Long>> readers = new ArrayList<>();
            for (int k = 0; k < healthy; k++) {
                int seed = k;
                readers.add(pool.submit(() -> {
                    java.util.Random random = new java.util.Random(seed);
                    long last = 0;
                    while (System.nanoTime() < end) {
                        try (SseClient c = openWith("Last-Event-ID: " + last)) {
                            int take = 1 + random.nextInt(400);
                            for (int i = 0; i < take; i++) {
                                String f = c.nextEvent(T);
                                assertThat(f).as("stream of a healthy client ended early after id %d", last).isNotNull();
                                long id = Long.parseLong(f.substring(4, f.indexOf('\n')));
                                assertThat(id).as("id after %d", last).isEqualTo(last + 1);
                                last = id;
                            }
                        }
                    }
                    return last;
                }));
            }
            List<Future<?>> vandals = new ArrayList<>();
            for (int k = 0; k < chaos; k++) {
                int seed = 100 + k;
                vandals.add(pool.submit(() -> {
                    java.util.Random random = new java.util.Random(seed);
                    while (System.nanoTime() < end) {
                        int what = random.nextInt(3);
                        SseClient c = SseClient.request(port, "GET", "/events", sock -> {
                            try {
                                sock.setReceiveBufferSize(4096);
                            } catch (java.net.SocketException e) {
                                throw new IllegalStateException(e);
                            }
                        }, "Last-Event-ID: " + Math.max(0, published.get() - random.nextInt(500)));
                        c.head(T);
                        if (what == 0) {
                            c.reset();
                        } else if (what == 1) {
                            c.nextEvent(T);
                            c.close();
                        } else {
                            // Stall: read nothing for a while (the behaviour under test, not a synchronisation),
                            // so the server's slow-client policy or write timeout has to act, then vanish.
                            Thread.sleep(200 + random.nextInt(1500));
                            c.reset();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> v : vandals) {
                v.get(60, TimeUnit.SECONDS);
            }
            List<Long> lasts = new ArrayList<>();
            for (Future<Long> r : readers) {
                lasts.add(r.get(60, TimeUnit.SECONDS));
            }
            publishing.set(false);
            for (Future<?> p : publishers) {
                p.get(10, TimeUnit.SECONDS);
            }
            int total = published.get();
            // Each healthy client resumes once more and gets the rest, exactly once, in order.
            for (long last : lasts) {
                try (SseClient c = openWith("Last-Event-ID: " + last)) {
                    for (long id = last + 1; id <= total; id++) {
                        String f = c.nextEvent(T);
                        assertThat(f).isEqualTo("id: " + id + "\ndata: soak\n\n");
                    }
                }
            }
            assertThat(lasts).allSatisfy(last -> assertThat(last).isPositive());
            awaitChannels(0);
            SseServlet sse = (SseServlet) servlet;
            await("every response completed", () -> sse.connectionCount() == 0);
            assertThat(hub.topicCount()).isZero();
        } finally {
            publishing.set(false);
            pool.shutdownNow();
        }
    }

    @Test
    void peerThatStopsTakingBytesIsDroppedByTheWriteTimeout() throws Exception {
        params.put("writeTimeout", "500ms");
        start(hubBuilder().slowClientPolicy(SlowClientPolicy.dropOldest()).maxQueuedFrames(10).build());
        SseClient stalled = SseClient.request(port, "GET", "/events", s -> {
            try {
                s.setReceiveBufferSize(4096);
            } catch (java.net.SocketException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            awaitChannels(1);
            String payload = "y".repeat(4000);
            long start = System.nanoTime();
            long deadline = start + TimeUnit.SECONDS.toNanos(20);
            while (hub.channelCount() > 0 && System.nanoTime() < deadline) {
                hub.broadcast(SseEvent.data(payload));
                Thread.yield();
            }
            assertThat(hub.channelCount()).isZero();
            assertThat(closes.poll(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.WRITE_TIMEOUT);
            org.slf4j.LoggerFactory.getLogger(getClass()).info("stalled peer dropped after {} ms (writeTimeout 500 ms)",
                    (System.nanoTime() - start) / 1_000_000);
        } finally {
            stalled.close();
        }
    }

    @Test
    void hostHeaderCannotMakeAForeignOriginOwnWhenPublicOriginIsSet() throws Exception {
        params.put("publicOrigin", "http://app.example");
        start();
        byte[] request = ("GET /events HTTP/1.1\r\nHost: evil.example:" + port + "\r\nOrigin: http://evil.example:"
                + port + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        try (SseClient c = SseClient.rawRequest(port, request).head(T)) {
            assertThat(c.status()).isEqualTo(403);
            assertThat(hub.channelCount()).isZero();
        }
    }

    @Test
    void malformedQueryGets400NamingTheParameter() throws Exception {
        start();
        try (SseClient c = SseClient.get(port, "/events?lastEventId=%FF").head(T)) {
            assertThat(c.status()).isEqualTo(400);
            assertThat(c.header("content-type")).startsWith("application/json");
            assertThat(c.readBody(T)).contains("\"field\":\"lastEventId\"");
        }
        try (SseClient c = SseClient.get(port, "/events?topic=%").head(T)) {
            assertThat(c.status()).isEqualTo(400);
        }
        assertThat(hub.channelCount()).isZero();
    }

    @Test
    void streamsBeyondTheFileLimitAreShedAcrossTwoServletsWith200AndRetry() throws Exception {
        // A process allowed 64 + 3 files: the reserve keeps 64, so three streams in all, whichever servlet.
        FileLimit files = new FileLimit(FileLimit.MIN_RESERVE + 3, System::nanoTime);
        hub = hubBuilder().build();
        SseServlet a = SseServlet.builder().hub(hub).overloadRetry(Duration.ofSeconds(7)).fileLimit(files).build();
        SseServlet b = SseServlet.builder().hub(hub).overloadRetry(Duration.ofSeconds(7)).fileLimit(files).build();
        server = newServer();
        port = server.startAll(Map.of("/a", a, "/b", b));
        assertThat(a.connectionLimit()).isEqualTo(3);
        SseClient a1 = openAt("/a");
        try (SseClient a2 = openAt("/a"); SseClient b1 = openAt("/b")) {
            awaitChannels(3);
            for (String path : List.of("/a", "/b")) {
                try (SseClient shed = SseClient.get(port, path).head(T)) {
                    assertThat(shed.status()).as(path).isEqualTo(200);
                    assertThat(shed.header("content-type")).startsWith("text/event-stream");
                    assertThat(shed.nextFrame(T)).isEqualTo("retry: 7000\n\n");
                    assertThat(shed.awaitEnd(T)).isTrue();
                }
            }
            assertThat(files.streams()).isEqualTo(3);
            hub.broadcast(SseEvent.data("still here"));
            assertThat(b1.nextEvent(T)).endsWith("data: still here\n\n");

            // A stream that ends gives its place back to every servlet.
            a1.close();
            await("the closed stream released", () -> files.streams() == 2);
            try (SseClient again = openAt("/b")) {
                awaitChannels(3);
                assertThat(files.streams()).isEqualTo(3);
            }
        } finally {
            a1.close();
        }
        await("every place given back", () -> files.streams() == 0);
    }

    @Test
    void oneClientCannotHoardStreamsAndGets429WithRetryAfterBeyondItsCap() throws Exception {
        params.put("maxConnectionsPerClient", "2");
        params.put("overloadRetry", "2500ms");
        start();
        try (SseClient a = open(); SseClient b = open()) {
            awaitChannels(2);
            try (SseClient third = SseClient.get(port, "/events").head(T)) {
                assertThat(third.status()).isEqualTo(429);
                assertThat(third.header("retry-after")).isEqualTo("3");
                assertThat(third.header("content-type")).startsWith("application/json");
                assertThat(third.readBody(T)).startsWith("{\"error\":\"").contains("maxConnectionsPerClient");
            }
            // Another address is another client.
            try (SseClient other = SseClient.request(port, "GET", "/events", AbstractSseServletTest::from127002)
                    .head(T)) {
                assertThat(other.status()).isEqualTo(200);
                awaitChannels(3);
            }
            hub.broadcast(SseEvent.data("still here"));
            assertThat(a.nextEvent(T)).endsWith("data: still here\n\n");
            assertThat(b.nextEvent(T)).endsWith("data: still here\n\n");
        }
    }

    @Test
    void aClientsPlaceIsGivenBackWhenItsStreamIsResetOrEndedByTheServer() throws Exception {
        params.put("maxConnectionsPerClient", "1");
        start(hubBuilder().maxQueuedFrames(2).build());
        SseServlet sse = (SseServlet) servlet;
        for (int round = 0; round < 3; round++) {
            SseClient c = open();
            awaitChannels(1);
            try (SseClient refused = SseClient.get(port, "/events").head(T)) {
                assertThat(refused.status()).isEqualTo(429);
            }
            if (round == 0) {
                c.reset();
            } else if (round == 1) {
                hub.channels().get(0).close(CloseReason.CLOSED_BY_APP);
            } else {
                c.close();
            }
            await("the stream released", () -> sse.connectionCount() == 0);
            c.close();
        }
        try (SseClient last = open()) {
            awaitChannels(1);
        }
    }

    @Test
    void gapEventInitParamTellsAClientThatResumesPastTheHistoryToReload() throws Exception {
        params.put("gapEvent", "reload");
        params.put("historySize", "2");
        params.put("keepAlive", "200ms");
        start(null, new SseServlet());
        hub = SseServlet.hub(server.servletContext());
        List<String> ids = new java.util.ArrayList<>();
        for (String d : List.of("a", "b", "c", "d")) {
            ids.add(hub.broadcast(SseEvent.data(d)));
        }
        try (SseClient c = openWith("Last-Event-ID: " + ids.get(0))) {
            assertThat(c.nextEvent(T)).isEqualTo("event: reload\ndata:\n\n");
            assertThat(c.nextEvent(T)).isEqualTo("id: " + ids.get(2) + "\ndata: c\n\n");
        }
    }

    static void from127002(java.net.Socket s) {
        try {
            s.bind(new java.net.InetSocketAddress("127.0.0.2", 0));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void hookRefusesWith401BeforeTheStreamAndAttachesAttributes() throws Exception {
        Hub h = hubBuilder().build();
        SseServlet servlet = SseServlet.builder().hub(h).hook((req, resp, topics, attrs) -> {
            String user = req.getHeader("X-User");
            if (user == null) {
                resp.setStatus(401);
                return false;
            }
            attrs.put("user", user);
            topics.add("user:" + user);
            return true;
        }).build();
        start(h, servlet);
        try (SseClient c = SseClient.get(port, "/events").head(T)) {
            assertThat(c.status()).isEqualTo(401);
        }
        try (SseClient c = openWith("X-User: ann")) {
            awaitChannels(1);
            assertThat(hub.channels().get(0).attribute("user")).isEqualTo("ann");
            hub.broadcast("user:ann", SseEvent.data("private"));
            assertThat(c.nextEvent(T)).endsWith("data: private\n\n");
        }
    }

    @Test
    void tenThousandConnectDisconnectCyclesLeaveNothingBehind() throws Exception {
        start();
        connectAndDropInParallel(5_000);
        awaitChannels(0);
        // The container's worker pool grows to its working size in the first round; a leak keeps growing after.
        int afterFirstRound = Thread.activeCount();
        connectAndDropInParallel(5_000);
        awaitChannels(0);
        assertThat(Thread.activeCount()).as("threads after 5,000 more cycles").isLessThan(afterFirstRound + 64);
        assertThat(hub.stats().closed(CloseReason.CLIENT_GONE)).isEqualTo(10_000);
        // Every response was completed: the servlet counts a stream until its async context completes.
        // (after a failed write the container reports the error and completes on its own thread, a moment later).
        SseServlet sse = (SseServlet) servlet;
        await("every response completed", () -> sse.connectionCount() == 0);
    }

    private void connectAndDropInParallel(int cycles) throws Exception {
        int threads = 8;
        int perThread = cycles / threads;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicInteger done = new AtomicInteger();
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int tt = t;
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        SseClient c = SseClient.get(port, "/events").head(T);
                        if ((i + tt) % 2 == 0) {
                            c.reset();
                        } else {
                            c.close();
                        }
                        done.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(5, TimeUnit.SECONDS);
        }
        assertThat(done.get()).isEqualTo(threads * perThread);
    }

}
