package dev.sse.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.CloseReason;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.HubListener;
import dev.sse.core.InMemoryHistory;
import dev.sse.core.SlowClientPolicy;
import dev.sse.core.SseEvent;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract every runtime adapter of dev.sse keeps, over a real socket with the bytes on the wire checked. An
 * adapter module extends it in its tests and returns its {@link AdapterFixture}:
 *
 * <pre>{@code
 * class JettyAdapterContractTest extends AdapterContractTest {
 *     protected AdapterFixture fixture() { return new JettyTckFixture(); }
 * }
 * }</pre>
 *
 * Every test starts its own server and hub and stops both; each is bounded to seconds.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
public abstract class AdapterContractTest {

    /** How long a test waits for something that should happen at once on a loopback socket. */
    static final Duration PROMPTLY = Duration.ofSeconds(5);

    /** Why the channels of the test's hubs closed, in order. */
    final BlockingQueue<CloseReason> closes = new LinkedBlockingQueue<>();
    private final List<Hub> hubs = new ArrayList<>();
    private final List<RunningServer> servers = new ArrayList<>();
    private final List<AutoCloseable> others = new ArrayList<>();

    /** Subclasses are the adapters' tests. */
    protected AdapterContractTest() {
    }

    /**
     * The runtime under test.
     *
     * @return the fixture; the kit calls it once per test
     */
    protected abstract AdapterFixture fixture();

    /**
     * Stops what a test started: hubs first, so that open streams end at once instead of holding up a graceful stop,
     * then servers, then the kit's producers.
     */
    @AfterEach
    final void stopEverything() throws Exception {
        List<AutoCloseable> all = new ArrayList<>(hubs);
        all.addAll(servers);
        all.addAll(others);
        hubs.clear();
        servers.clear();
        others.clear();
        Exception first = null;
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    // ---- the contract ---------------------------------------------------------------------------------------------

    // -- first bytes and framing

    @Test
    void headersAndFirstBytesAreFlushedBeforeAnyEvent() throws Exception {
        Hub hub = hub(quietHub());
        RunningServer server = start(app(hub).setting("retry", "2500ms"));

        try (WireClient client = WireClient.get(server.port(), TckApp.EVENTS_PATH)) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            assertThat(client.header("Content-Type")).matches("(?i)text/event-stream(; ?charset=utf-8)?");
            assertThat(client.header("Cache-Control")).as("no proxy may cache or transform (compress) the stream")
                    .contains("no-cache").contains("no-transform");
            assertThat(client.header("X-Accel-Buffering")).as("nginx must not buffer the stream").isEqualTo("no");
            assertThat(client.header("Content-Encoding")).as("a compressed stream is held back by the encoder").isNull();
            assertThat(client.awaitBodyContaining("retry: 2500\n\n", PROMPTLY)).isEqualTo("retry: 2500\n\n");
            awaitChannels(hub, 1);
        }
    }

    @Test
    void multiLineDataIdsAndTypesAreFramedExactly() throws Exception {
        Hub hub = hub(quietHub());
        RunningServer server = start(app(hub));

        try (WireClient client = WireClient.get(server.port(), TckApp.EVENTS_PATH)) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            awaitChannels(hub, 1);
            hub.broadcast(SseEvent.builder().id("7").event("price").data("line one\nline two").build());
            hub.broadcast(SseEvent.builder().id("8").data("plain").build());

            String body = client.awaitBodyContaining("data: plain\n\n", PROMPTLY);
            assertThat(body).isEqualTo("id: 7\nevent: price\ndata: line one\ndata: line two\n\n"
                    + "id: 8\ndata: plain\n\n");
        }
    }

    @Test
    void crLfAndCrlfInDataEachStartANewDataLine() throws Exception {
        Hub hub = hub(quietHub());
        RunningServer server = start(app(hub));

        try (WireClient client = WireClient.get(server.port(), TckApp.EVENTS_PATH)) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            awaitChannels(hub, 1);
            hub.broadcast(SseEvent.builder().id("1").data("cr\rlf\ncrlf\r\nend").build());
            hub.broadcast(SseEvent.builder().id("2").data("trailing\n").build());

            assertThat(client.awaitEvents(2, PROMPTLY)).containsExactly(
                    "id: 1\ndata: cr\ndata: lf\ndata: crlf\ndata: end\n\n",
                    "id: 2\ndata: trailing\ndata:\n\n");
            assertThat(client.body()).doesNotContain("\r");
        }
    }

    @Test
    void unicodeIsWrittenAsUtf8ByteForByte() throws Exception {
        Hub hub = hub(quietHub());
        RunningServer server = start(app(hub));
        String text = "é ✓ \u2028 \uD83D\uDE00 中文";

        try (WireClient client = WireClient.get(server.port(), TckApp.EVENTS_PATH)) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            awaitChannels(hub, 1);
            hub.broadcast(SseEvent.builder().id("ü-1").event("naïve").data(text).build());

            client.awaitEvents(1, PROMPTLY);
            assertThat(client.bodyBytes()).isEqualTo(("id: ü-1\nevent: naïve\ndata: " + text + "\n\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void keepAliveCommentsFlowOnAnIdleStream() throws Exception {
        Hub hub = hub(Hub.builder().keepAlive(Duration.ofMillis(150)));
        RunningServer server = start(app(hub));

        try (WireClient client = WireClient.get(server.port(), TckApp.EVENTS_PATH)) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            String body = client.awaitBody(b -> b.startsWith(":\n\n:\n\n"), PROMPTLY, "two keep-alive comments");
            assertThat(body).matches("(:\n\n)+");
            assertThat(client.ended()).isFalse();
        }
    }

    // -- resume

    @Test
    void lastEventIdHeaderReplaysWhatWasMissedExactlyOnce() throws Exception {
        Hub hub = hub(quietHub().history(InMemoryHistory.builder().maxEvents(100).build()));
        RunningServer server = start(app(hub));
        String one = hub.broadcast(SseEvent.data("one"));
        String two = hub.broadcast(SseEvent.data("two"));
        String three = hub.broadcast(SseEvent.data("three"));

        try (WireClient client = WireClient.open(server.port(), "GET", TckApp.EVENTS_PATH,
                Map.of("Last-Event-ID", one))) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            client.awaitEvents(2, PROMPTLY);
            awaitChannels(hub, 1);
            String four = hub.broadcast(SseEvent.data("four"));

            assertThat(client.awaitEvents(3, PROMPTLY)).containsExactly(
                    "id: " + two + "\ndata: two\n\n",
                    "id: " + three + "\ndata: three\n\n",
                    "id: " + four + "\ndata: four\n\n");
        }
    }

    @Test
    void lastEventIdQueryParameterResumesAFirstConnection() throws Exception {
        Hub hub = hub(quietHub().history(InMemoryHistory.builder().maxEvents(100).build()));
        RunningServer server = start(app(hub));
        String one = hub.broadcast(SseEvent.data("one"));
        String two = hub.broadcast(SseEvent.data("two"));

        try (WireClient client = WireClient.get(server.port(), TckApp.EVENTS_PATH + "?lastEventId=" + one)) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            assertThat(client.awaitEvents(1, PROMPTLY)).containsExactly("id: " + two + "\ndata: two\n\n");
            awaitChannels(hub, 1);
            hub.broadcast(SseEvent.builder().id("live").data("three").build());
            assertThat(client.awaitEvents(2, PROMPTLY)).containsExactly("id: " + two + "\ndata: two\n\n",
                    "id: live\ndata: three\n\n");
        }
    }

    @Test
    void aUnicodeLastEventIdResumesAfterThatEvent() throws Exception {
        Hub hub = hub(quietHub().history(InMemoryHistory.builder().maxEvents(100).build()));
        RunningServer server = start(app(hub));
        hub.broadcast(SseEvent.builder().id("é-1").data("a").build());
        hub.broadcast(SseEvent.builder().id("é-2").data("b").build());

        // Sent as UTF-8 bytes, as browsers send it; HTTP stacks read header bytes as ISO-8859-1.
        try (WireClient client = WireClient.open(server.port(), "GET", TckApp.EVENTS_PATH,
                Map.of("Last-Event-ID", "é-1"))) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            assertThat(client.awaitEvents(1, PROMPTLY)).containsExactly("id: é-2\ndata: b\n\n");
        }
    }

    @Test
    void resumingWhileBroadcastsRunLosesNothingAndRepeatsNothing() throws Exception {
        int total = 1500;
        Hub hub = hub(quietHub().history(InMemoryHistory.builder().maxEvents(10_000).build())
                .maxQueuedFrames(10_000));
        RunningServer server = start(app(hub));
        List<String> published = new CopyOnWriteArrayList<>();
        // Readers start from this event's id, so each must get every event published after it, however late its
        // first connection lands.
        String start = hub.broadcast(SseEvent.data("e0"));
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            Future<?> publisher = pool.submit(() -> {
                for (int i = 1; i <= total; i++) {
                    published.add(hub.broadcast(SseEvent.data("e" + i)));
                    if (i % 50 == 0) {
                        Thread.yield();
                    }
                }
                return null;
            });
            List<Future<List<String>>> readers = new ArrayList<>();
            for (int k = 0; k < 2; k++) {
                int seed = k;
                readers.add(pool.submit(() -> readAllByResuming(server.port(), start, total, seed)));
            }
            publisher.get(20, TimeUnit.SECONDS);
            for (Future<List<String>> reader : readers) {
                List<String> data = reader.get(20, TimeUnit.SECONDS);
                assertThat(data).hasSize(total);
                for (int i = 0; i < total; i++) {
                    assertThat(data.get(i)).as("event %d", i + 1).isEqualTo("e" + (i + 1));
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Reads {@code total} events, reconnecting with the last id seen after every few; returns their data. */
    private static List<String> readAllByResuming(int port, String start, int total, int seed) throws Exception {
        List<String> data = new ArrayList<>();
        String last = start;
        int round = seed;
        while (data.size() < total) {
            try (WireClient client = WireClient.open(port, "GET", TckApp.EVENTS_PATH, Map.of("Last-Event-ID", last))) {
                assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
                int want = Math.min(total - data.size(), 100 + (round++ * 37) % 300);
                for (String frame : client.awaitEvents(want, PROMPTLY).subList(0, want)) {
                    int idEnd = frame.indexOf('\n');
                    last = frame.substring("id: ".length(), idEnd);
                    data.add(frame.substring(idEnd + "\ndata: ".length(), frame.length() - 2));
                }
            }
        }
        return data;
    }

    // -- topics

    @Test
    void configuredTopicsAndAllowedQueryTopicsAreDeliveredAndNoOthers() throws Exception {
        Hub hub = hub(quietHub());
        RunningServer server = start(app(hub).setting("topics", "news").setting("allowedTopics", "prices,weather"));

        try (WireClient client = WireClient.get(server.port(), TckApp.EVENTS_PATH + "?topic=prices")) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            awaitChannels(hub, 1);
            hub.broadcast("sport", SseEvent.builder().id("1").data("not subscribed").build());
            hub.broadcast("news", SseEvent.builder().id("2").data("n").build());
            hub.broadcast("weather", SseEvent.builder().id("3").data("allowed, not asked for").build());
            hub.broadcast("prices", SseEvent.builder().id("4").data("p").build());

            assertThat(client.awaitBodyContaining("data: p\n\n", PROMPTLY)).isEqualTo("id: 2\ndata: n\n\nid: 4\ndata: p\n\n");
        }
    }

    @Test
    void unknownTopicGets204SoTheBrowserStopsReconnecting() throws Exception {
        Hub hub = hub(quietHub());
        RunningServer server = start(app(hub).setting("allowedTopics", "prices"));

        try (WireClient client = WireClient.get(server.port(), TckApp.EVENTS_PATH + "?topic=secret")) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(204);
            assertThat(hub.channelCount()).isZero();
        }
    }

    // -- slow clients

    @Test
    void aStalledReaderIsDisconnectedWithoutDelayingTheOthers() throws Exception {
        Hub hub = hub(quietHub().maxQueuedFrames(100));
        RunningServer server = start(app(hub));
        try (WireClient stalled = WireClient.stalled(server.port(), TckApp.EVENTS_PATH)) {
            awaitChannels(hub, 1);
            EventChannel stalledChannel = hub.channels().get(0);
            WireClient healthy = WireClient.get(server.port(), TckApp.EVENTS_PATH);
            closeAfter(healthy);
            awaitChannels(hub, 2);

            String payload = "x".repeat(4000);
            int sent = 0;
            while (stalledChannel.isOpen() && sent < 4000) {
                for (int j = 0; j < 20; j++) {
                    hub.broadcast(SseEvent.builder().id(Integer.toString(++sent)).data(payload).build());
                }
                // The healthy reader keeps up batch by batch: a stalled neighbour must not hold it back.
                healthy.awaitEvents(sent, PROMPTLY);
            }
            assertThat(stalledChannel.isOpen()).as("stalled reader still open after %d events", sent).isFalse();
            assertThat(closes.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(CloseReason.SLOW_CLIENT);
            awaitChannels(hub, 1);
        }
    }

    @Test
    void aStalledReaderIsCoalescedToTheNewestValuePerKeyWithoutDelayingTheOthers() throws Exception {
        Hub hub = hub(quietHub().maxQueuedFrames(50).slowClientPolicy(SlowClientPolicy.coalesce(SseEvent::event)));
        RunningServer server = start(app(hub));
        try (WireClient stalled = WireClient.stalled(server.port(), TckApp.EVENTS_PATH)) {
            awaitChannels(hub, 1);
            EventChannel stalledChannel = hub.channels().get(0);
            WireClient healthy = WireClient.get(server.port(), TckApp.EVENTS_PATH);
            closeAfter(healthy);
            awaitChannels(hub, 2);

            String payload = "y".repeat(4000);
            int sent = 0;
            while (stalledChannel.droppedFrames() == 0 && sent < 4000) {
                for (int j = 0; j < 20; j++) {
                    sent++;
                    hub.broadcast(SseEvent.builder().event("tile" + sent % 4).data(payload + sent).build());
                }
                healthy.awaitEvents(sent, PROMPTLY);
            }
            assertThat(stalledChannel.droppedFrames()).as("frames coalesced after %d events", sent).isPositive();
            for (int k = 0; k < 4; k++) {
                hub.broadcast(SseEvent.builder().event("tile" + k).data("final" + k).build());
            }
            assertThat(stalledChannel.isOpen()).isTrue();

            stalled.resume();
            String body = stalled.awaitBody(b -> IntStream.range(0, 4).allMatch(k -> b.contains("data: final" + k + "\n\n")),
                    Duration.ofSeconds(10), "the newest value of every tile");
            assertThat(stalled.events().size()).as("events the stalled reader got of %d", sent + 4)
                    .isLessThan(sent + 4);
            assertThat(body).endsWith("\n\n");
            assertThat(healthy.awaitEvents(sent + 4, PROMPTLY)).hasSize(sent + 4);
        }
    }

    // -- clients that vanish

    @Test
    void anIdleClientsResetIsFoundWithinAKeepAliveAndItsChannelLeavesTheHub() throws Exception {
        Duration keepAlive = Duration.ofMillis(300);
        Hub hub = hub(Hub.builder().keepAlive(keepAlive));
        RunningServer server = start(app(hub));
        WireClient client = WireClient.get(server.port(), TckApp.EVENTS_PATH);
        assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
        awaitChannels(hub, 1);

        long reset = System.nanoTime();
        client.reset();

        awaitChannels(hub, 0);
        long tookMs = (System.nanoTime() - reset) / 1_000_000;
        assertThat(closes.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(CloseReason.CLIENT_GONE);
        // One keep-alive finds it; a second and scheduling slack on a loaded machine are allowed, no more.
        assertThat(tookMs).as("reset to channel gone, ms").isLessThan(2 * keepAlive.toMillis() + 1000);
    }

    @Test
    void anOrderlyCloseTakesTheChannelOutOfTheHub() throws Exception {
        Hub hub = hub(Hub.builder().keepAlive(Duration.ofMillis(300)));
        RunningServer server = start(app(hub));
        WireClient client = WireClient.get(server.port(), TckApp.EVENTS_PATH);
        assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
        awaitChannels(hub, 1);

        client.close();

        awaitChannels(hub, 0);
        assertThat(closes.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(CloseReason.CLIENT_GONE);
    }

    @Test
    void aResetFoundByTheNextWriteTakesTheChannelOutOfTheHub() throws Exception {
        Hub hub = hub(quietHub());
        RunningServer server = start(app(hub));
        WireClient client = WireClient.get(server.port(), TckApp.EVENTS_PATH);
        assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
        awaitChannels(hub, 1);

        client.reset();
        // The keep-alive is minutes away: only writes can find the reset. The first write may still be taken by the
        // kernel before the reset is seen, so a second is allowed.
        hub.broadcast(SseEvent.data("to a client that left"));
        if (!channelsDropTo(hub, 0, Duration.ofSeconds(1))) {
            hub.broadcast(SseEvent.data("again"));
        }
        awaitChannels(hub, 0);
        assertThat(closes.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(CloseReason.CLIENT_GONE);
    }

    // -- load shedding and shutdown

    @Test
    void maxConnectionsShedsWith200ARetryHintAndTheEnd() throws Exception {
        assumeFeature(TckFeature.MAX_CONNECTIONS);
        Hub hub = hub(quietHub());
        RunningServer server = start(app(hub).setting("maxConnections", "2").setting("overloadRetry", "7000"));
        try (WireClient a = WireClient.get(server.port(), TckApp.EVENTS_PATH);
             WireClient b = WireClient.get(server.port(), TckApp.EVENTS_PATH)) {
            awaitChannels(hub, 2);
            try (WireClient shed = WireClient.get(server.port(), TckApp.EVENTS_PATH)) {
                assertThat(shed.awaitHeaders(PROMPTLY)).as("never 503: a browser would give up").isEqualTo(200);
                assertThat(shed.header("Content-Type")).startsWith("text/event-stream");
                assertThat(shed.awaitEnd(PROMPTLY)).isEqualTo("retry: 7000\n\n");
            }
            assertThat(hub.channelCount()).isEqualTo(2);
            hub.broadcast(SseEvent.builder().id("1").data("still here").build());
            assertThat(a.awaitEvents(1, PROMPTLY)).containsExactly("id: 1\ndata: still here\n\n");
            assertThat(b.awaitEvents(1, PROMPTLY)).containsExactly("id: 1\ndata: still here\n\n");
        }
    }

    @Test
    void stoppingTheServerEndsStreamsWithTheFarewellEvent() throws Exception {
        assumeFeature(TckFeature.GRACEFUL_SHUTDOWN);
        Hub hub = hub(quietHub());
        RunningServer server = start(app(hub).setting("farewellEvent", "bye").setting("drainWindow", "100ms"));
        try (WireClient client = WireClient.get(server.port(), TckApp.EVENTS_PATH)) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            awaitChannels(hub, 1);
            hub.broadcast(SseEvent.builder().id("1").data("before").build());
            client.awaitEvents(1, PROMPTLY);

            CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
                try {
                    server.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });

            assertThat(client.awaitEnd(Duration.ofSeconds(10))).isEqualTo("id: 1\ndata: before\n\nevent: bye\ndata:\n\n");
            stopped.get(10, TimeUnit.SECONDS);
            awaitChannels(hub, 0);
            assertThat(hub.isClosed()).as("the kit's hub is not the server's to close").isFalse();
        }
    }

    @Test
    void hubShutdownEndsStreamsWithItsFarewellAndEndsTheResponses() throws Exception {
        Hub hub = hub(quietHub());
        RunningServer server = start(app(hub));
        try (WireClient client = WireClient.get(server.port(), TckApp.EVENTS_PATH)) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            awaitChannels(hub, 1);

            hub.shutdown(Duration.ofMillis(100), SseEvent.of("bye", "")).get(5, TimeUnit.SECONDS);

            assertThat(client.awaitEnd(PROMPTLY)).isEqualTo("event: bye\ndata:\n\n");
            awaitChannels(hub, 0);
        }
    }

    @Test
    void maxConnectionAgeEndsTheStreamSoTheClientReconnects() throws Exception {
        Hub hub = hub(quietHub());
        RunningServer server = start(app(hub).setting("maxConnectionAge", "300ms"));
        try (WireClient client = WireClient.get(server.port(), TckApp.EVENTS_PATH)) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            client.awaitEnd(PROMPTLY);
            awaitChannels(hub, 0);
            assertThat(closes.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(CloseReason.MAX_AGE);
        }
    }

    // -- per-request streams

    @Test
    void aPerRequestStreamFlushesItsHeadersAtOnce() throws Exception {
        assumeFeature(TckFeature.PER_REQUEST_STREAMS);
        Producer producer = producer();
        RunningServer server = start(app(hub(quietHub())).streams(producer));
        try (WireClient client = WireClient.get(server.port(), TckApp.STREAMS_PATH + "?mode=silent")) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            assertThat(client.header("Content-Type")).matches("(?i)text/event-stream(; ?charset=utf-8)?");
            assertThat(client.header("Cache-Control")).contains("no-cache").contains("no-transform");
            assertThat(client.header("X-Accel-Buffering")).isEqualTo("no");
        }
    }

    @Test
    void aPerRequestStreamEndsAfterItsTerminalEvent() throws Exception {
        assumeFeature(TckFeature.PER_REQUEST_STREAMS);
        Producer producer = producer();
        RunningServer server = start(app(hub(quietHub())).streams(producer));
        try (WireClient client = WireClient.get(server.port(), TckApp.STREAMS_PATH + "?mode=tokens&n=3")) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            assertThat(client.awaitEnd(PROMPTLY)).isEqualTo("id: 1\nevent: token\ndata: t1\n\n"
                    + "id: 2\nevent: token\ndata: t2\n\nid: 3\nevent: token\ndata: t3\n\ndata: [DONE]\n\n");
        }
        assertThat(producer.closes.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(CloseReason.COMPLETED);
    }

    @Test
    void aFailedPerRequestStreamEndsWithAnErrorEvent() throws Exception {
        assumeFeature(TckFeature.PER_REQUEST_STREAMS);
        Producer producer = producer();
        RunningServer server = start(app(hub(quietHub())).streams(producer));
        try (WireClient client = WireClient.get(server.port(), TckApp.STREAMS_PATH + "?mode=fail")) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            assertThat(client.awaitEnd(PROMPTLY))
                    .isEqualTo("data: partial\n\nevent: error\ndata: {\"error\":\"the model is overloaded\"}\n\n");
        }
        assertThat(producer.closes.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(CloseReason.FAILED);
    }

    @Test
    void aClientResetReachesThePerRequestProducerAsClientGone() throws Exception {
        assumeFeature(TckFeature.PER_REQUEST_STREAMS);
        Producer producer = producer();
        RunningServer server = start(app(hub(quietHub())).streams(producer));
        WireClient client = WireClient.get(server.port(), TckApp.STREAMS_PATH + "?mode=endless");
        assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
        client.awaitEvents(2, PROMPTLY);

        long reset = System.nanoTime();
        client.reset();

        assertThat(producer.closes.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(CloseReason.CLIENT_GONE);
        assertThat((System.nanoTime() - reset) / 1_000_000).as("reset to onClose, ms").isLessThan(2000);
        assertThat(producer.current.get().isOpen()).isFalse();
        assertThat(producer.producedAfterClose.get()).as("tokens made after the close was told").isLessThanOrEqualTo(1);
    }

    // -- the request check, CORS, methods

    @Test
    void theRequestCheckRefusesWith401BeforeAnyStreamOpens() throws Exception {
        Hub hub = hub(quietHub());
        Producer producer = producer();
        RunningServer server = start(app(hub).streams(producer)
                .check(header -> "Bearer good".equals(header.apply("authorization"))));

        try (WireClient refused = WireClient.get(server.port(), TckApp.EVENTS_PATH)) {
            assertThat(refused.awaitHeaders(PROMPTLY)).isEqualTo(401);
        }
        try (WireClient wrong = WireClient.open(server.port(), "GET", TckApp.EVENTS_PATH,
                Map.of("Authorization", "Bearer bad"))) {
            assertThat(wrong.awaitHeaders(PROMPTLY)).isEqualTo(401);
        }
        assertThat(hub.channelCount()).isZero();
        try (WireClient allowed = WireClient.open(server.port(), "GET", TckApp.EVENTS_PATH,
                Map.of("Authorization", "Bearer good"))) {
            assertThat(allowed.awaitHeaders(PROMPTLY)).isEqualTo(200);
            awaitChannels(hub, 1);
        }
        if (fixture().features().contains(TckFeature.PER_REQUEST_STREAMS)) {
            try (WireClient refused = WireClient.get(server.port(), TckApp.STREAMS_PATH + "?mode=tokens")) {
                assertThat(refused.awaitHeaders(PROMPTLY)).isEqualTo(401);
            }
            assertThat(producer.current.get()).as("no stream reached the producer").isNull();
        }
    }

    @Test
    void anAllowedOriginIsEchoedWithVaryAndCredentials() throws Exception {
        assumeFeature(TckFeature.CORS);
        Hub hub = hub(quietHub());
        RunningServer server = start(app(hub).setting("allowedOrigins", "https://app.example")
                .setting("allowCredentials", "true"));
        try (WireClient client = WireClient.open(server.port(), "GET", TckApp.EVENTS_PATH,
                Map.of("Origin", "https://app.example"))) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            assertThat(client.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example");
            assertThat(client.header("Access-Control-Allow-Credentials")).isEqualTo("true");
            assertThat(client.header("Vary")).containsIgnoringCase("Origin");
        }
    }

    @Test
    void aForeignOriginIsRefusedBeforeTheStreamStarts() throws Exception {
        assumeFeature(TckFeature.CORS);
        Hub hub = hub(quietHub());
        RunningServer server = start(app(hub).setting("allowedOrigins", "https://app.example"));
        try (WireClient client = WireClient.open(server.port(), "GET", TckApp.EVENTS_PATH,
                Map.of("Origin", "https://evil.example"))) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(403);
            assertThat(client.header("Access-Control-Allow-Origin")).isNull();
            assertThat(hub.channelCount()).isZero();
        }
    }

    @Test
    void aPreflightIsAnsweredForAnAllowedOriginOnly() throws Exception {
        assumeFeature(TckFeature.CORS);
        Hub hub = hub(quietHub());
        RunningServer server = start(app(hub).setting("allowedOrigins", "https://app.example"));
        try (WireClient client = WireClient.open(server.port(), "OPTIONS", TckApp.EVENTS_PATH,
                Map.of("Origin", "https://app.example", "Access-Control-Request-Method", "GET",
                        "Access-Control-Request-Headers", "last-event-id"))) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(204);
            assertThat(client.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example");
            assertThat(client.header("Access-Control-Allow-Headers")).isEqualToIgnoringCase("Last-Event-ID");
        }
        try (WireClient client = WireClient.open(server.port(), "OPTIONS", TckApp.EVENTS_PATH,
                Map.of("Origin", "https://evil.example", "Access-Control-Request-Method", "GET"))) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(403);
            assertThat(client.header("Access-Control-Allow-Origin")).isNull();
        }
        try (WireClient client = WireClient.open(server.port(), "OPTIONS", TckApp.EVENTS_PATH,
                Map.of("Origin", "https://app.example", "Access-Control-Request-Method", "GET",
                        "Access-Control-Request-Headers", "x-evil, last-event-id"))) {
            assertThat(client.awaitHeaders(PROMPTLY)).as("a header not allowed").isEqualTo(403);
            assertThat(client.header("Access-Control-Allow-Headers")).isNull();
        }
    }

    @Test
    void otherMethodsGet405WithAllow() throws Exception {
        Hub hub = hub(quietHub());
        RunningServer server = start(app(hub));
        for (String method : List.of("POST", "PUT", "DELETE")) {
            try (WireClient client = WireClient.open(server.port(), method, TckApp.EVENTS_PATH,
                    Map.of("Content-Length", "0"))) {
                assertThat(client.awaitHeaders(PROMPTLY)).as(method).isEqualTo(405);
                assertThat(client.header("Allow")).as(method).isEqualTo("GET, HEAD, OPTIONS");
            }
        }
        assertThat(hub.channelCount()).isZero();
    }

    @Test
    void headAnswersTheStreamsHeadersWithoutOpeningAStream() throws Exception {
        assumeFeature(TckFeature.HEAD);
        Hub hub = hub(quietHub());
        RunningServer server = start(app(hub));
        try (WireClient client = WireClient.open(server.port(), "HEAD", TckApp.EVENTS_PATH, Map.of())) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            assertThat(client.header("Content-Type")).startsWith("text/event-stream");
            assertThat(hub.channelCount()).isZero();
        }
        // The connection stays usable afterwards only if no body followed the HEAD answer: a GET proves the server
        // is still answering, and that HEAD left no channel behind.
        try (WireClient client = WireClient.get(server.port(), TckApp.EVENTS_PATH)) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            awaitChannels(hub, 1);
        }
    }

    // -- HTTP/2

    @Test
    void aStreamWorksOverCleartextHttp2() throws Exception {
        assumeFeature(TckFeature.H2C);
        Hub hub = hub(quietHub());
        RunningServer server = start(app(hub));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                .connectTimeout(PROMPTLY).build();
        // java.net.http asks for h2c by upgrade on its first request: a runtime that offers h2c must take it up.
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + TckApp.EVENTS_PATH))
                .header("Accept", "text/event-stream").GET().build();
        HttpResponse<InputStream> response = http.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream())
                .get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
        try (InputStream body = response.body()) {
            assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
                    v -> assertThat(v).startsWith("text/event-stream"));
            assertThat(response.headers().firstValue("connection")).as("a connection header is illegal in h2")
                    .isEmpty();
            awaitChannels(hub, 1);
            hub.broadcast(SseEvent.builder().id("1").event("h2").data("over one multiplexed\nconnection").build());

            byte[] expected = "id: 1\nevent: h2\ndata: over one multiplexed\ndata: connection\n\n"
                    .getBytes(StandardCharsets.UTF_8);
            CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return body.readNBytes(expected.length);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThat(new String(read.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS), StandardCharsets.UTF_8))
                    .isEqualTo(new String(expected, StandardCharsets.UTF_8));
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------------

    /** A hub whose keep-alive stays out of the way: the bytes a test reads are only those it caused. */
    static Hub.Builder quietHub() {
        return Hub.builder().keepAlive(Duration.ofMinutes(5));
    }

    /** Builds a hub the test owns, recording in {@link #closes} why its channels closed; closed after the test. */
    final Hub hub(Hub.Builder builder) {
        Hub hub = builder.listener(new HubListener() {
            @Override
            public void onClose(EventChannel channel, CloseReason reason) {
                closes.add(reason);
            }
        }).build();
        hubs.add(hub);
        return hub;
    }

    final void closeAfter(AutoCloseable resource) {
        others.add(resource);
    }

    final Producer producer() {
        Producer producer = new Producer();
        others.add(producer);
        return producer;
    }

    final AppSpec app(Hub hub) {
        // A short drain window keeps the teardown of a test that left streams open short.
        return new AppSpec(hub).setting("drainWindow", "100ms");
    }

    final RunningServer start(AppSpec spec) throws Exception {
        RunningServer started = fixture().start(spec.build());
        AtomicBoolean closed = new AtomicBoolean();
        RunningServer once = new RunningServer() {
            @Override
            public int port() {
                return started.port();
            }

            @Override
            public void close() throws Exception {
                if (closed.compareAndSet(false, true)) {
                    started.close();
                }
            }
        };
        servers.add(once);
        return once;
    }

    final void assumeFeature(TckFeature feature) {
        Assumptions.assumeTrue(fixture().features().contains(feature), "the runtime does not offer " + feature);
    }

    /** Waits until the hub holds {@code n} channels, so that a broadcast reaches the stream just opened. */
    static void awaitChannels(Hub hub, int n) throws InterruptedException {
        if (!channelsDropTo(hub, n, PROMPTLY)) {
            throw new AssertionError("the hub has " + hub.channelCount() + " channels, expected " + n);
        }
    }

    static boolean channelsDropTo(Hub hub, int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (hub.channelCount() != n) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5); // polling a count against a deadline
        }
        return true;
    }

    /** A {@link TckApp} being put together by a test. */
    static final class AppSpec {
        private final Hub hub;
        private final Map<String, String> settings = new LinkedHashMap<>();
        private StreamHandler streams = (stream, query) -> stream.complete();
        private RequestCheck check;

        AppSpec(Hub hub) {
            this.hub = hub;
        }

        AppSpec setting(String name, String value) {
            settings.put(name, value);
            return this;
        }

        AppSpec streams(StreamHandler handler) {
            this.streams = handler;
            return this;
        }

        AppSpec check(RequestCheck requestCheck) {
            this.check = requestCheck;
            return this;
        }

        TckApp build() {
            return new TckApp(hub, settings, streams, check);
        }
    }
}
