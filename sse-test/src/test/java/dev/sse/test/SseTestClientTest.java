package dev.sse.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sse.client.MessageEvent;
import dev.sse.core.CloseReason;
import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.core.SseStream;
import dev.sse.servlet.SseServlet;
import dev.sse.servlet.SseStreams;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The test client against the library's own servlet and per-request streams on embedded Jetty 12 (HTTP/1.1 and h2c):
 * a hub's stream at {@code /events}, a stream that never ends at {@code /ticks}, a POST answered token by token at
 * {@code /answer}, and {@code /private}, which refuses with 401.
 */
class SseTestClientTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final Hub hub = Hub.builder().keepAlive(Duration.ZERO).build();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
    /** How each stream of {@code /ticks} ended, as its producer heard it. */
    private final BlockingQueue<CloseReason> tickEnds = new LinkedBlockingQueue<>();
    private final BlockingQueue<String> lastEventIds = new LinkedBlockingQueue<>();
    private Server server;
    private ServletContextHandler context;
    private ServerConnector connector;

    @BeforeEach
    void startServer() throws Exception {
        server = new Server();
        HttpConfiguration config = new HttpConfiguration();
        connector = new ServerConnector(server, new HttpConnectionFactory(config),
                new HTTP2CServerConnectionFactory(config));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        context = new ServletContextHandler();
        context.setContextPath("/");
        add("/events", SseServlet.builder().hub(hub).hook((req, resp, topics, attributes) -> {
            lastEventIds.add(String.valueOf(req.getHeader("Last-Event-ID")));
            return true;
        }).build());
        add("/private", SseServlet.builder().hub(hub).hook((req, resp, topics, attributes) -> {
            if (!"Bearer t0k3n".equals(req.getHeader("Authorization"))) {
                resp.setStatus(401);
                resp.setContentType("application/json");
                resp.getWriter().write("{\"error\":\"who are you?\"}");
                return false;
            }
            return true;
        }).build());
        add("/ticks", new HttpServlet() {
            @Override
            protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
                SseStream stream = SseStreams.start(req, resp);
                AtomicInteger n = new AtomicInteger();
                ScheduledFuture<?> ticks = ticker.scheduleAtFixedRate(
                        () -> stream.trySend(SseEvent.of("tick", "" + n.incrementAndGet())), 0, 5,
                        TimeUnit.MILLISECONDS);
                stream.onClose(reason -> {
                    ticks.cancel(false);
                    tickEnds.add(reason);
                });
            }
        });
        add("/answer", new HttpServlet() {
            @Override
            protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
                String prompt = new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                SseStream stream = SseStreams.start(req, resp);
                ticker.execute(() -> {
                    for (String word : prompt.split(" ")) {
                        stream.send(SseEvent.of("token", word));
                    }
                    stream.complete(SseEvent.data("[DONE]"));
                });
            }
        });
        server.setHandler(context);
        server.start();
    }

    private void add(String path, HttpServlet servlet) {
        ServletHolder holder = new ServletHolder(servlet);
        holder.setAsyncSupported(true);
        context.addServlet(holder, path);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + connector.getLocalPort() + path);
    }

    @AfterEach
    void stopServer() throws Exception {
        SseStreams.shutdown(context.getServletContext(), Duration.ZERO, null).get(5, TimeUnit.SECONDS);
        hub.close();
        server.stop();
        ticker.shutdownNow();
    }

    @ParameterizedTest
    @EnumSource(HttpClient.Version.class)
    void endsAnInfiniteStreamAfterTheEventsItWaitedFor(HttpClient.Version version) throws Exception {
        SseTestClient client = SseTestClient.get(uri("/ticks"))
                .httpClient(HttpClient.newBuilder().version(version).build());

        List<MessageEvent> events = client.awaitEvents(5, WAIT);

        assertThat(events).extracting(MessageEvent::data).containsExactly("1", "2", "3", "4", "5");
        assertThat(events).extracting(MessageEvent::type).containsOnly("tick");
        assertThat(client.isOpen()).isFalse();
        assertThat(tickEnds.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .as("the server saw the client leave").isEqualTo(CloseReason.CLIENT_GONE);
    }

    @Test
    void aTimeoutFailsNamingWhatItWaitedForAndWhatArrived() {
        SseTestClient client = SseTestClient.get(uri("/events")).awaitOpen(WAIT);
        hub.broadcast(SseEvent.of("update", "only one"));

        assertThatThrownBy(() -> client.awaitEvents(3, Duration.ofMillis(300)))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("GET " + uri("/events") + ": waited 300 ms for 3 events; 1 event arrived: ")
                .hasMessageContaining("data=only one")
                .hasMessageEndingWith("the stream was still open");
        assertThat(client.isOpen()).as("closed after the failure").isFalse();
    }

    @Test
    void readsAPostStreamToItsTerminalEvent() {
        SseTestClient client = SseTestClient.post(uri("/answer"), "Hello streaming world")
                .header("Content-Type", "text/plain");

        List<MessageEvent> events = client.readToEnd(WAIT);

        assertThat(events).extracting(MessageEvent::data).containsExactly("Hello", "streaming", "world", "[DONE]");
        assertThat(client.status()).isEqualTo(200);
        assertThat(client.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/event-stream"));
    }

    @Test
    void readToEndFailsOnAStreamThatDoesNotEnd() {
        SseTestClient client = SseTestClient.get(uri("/ticks"));

        assertThatThrownBy(() -> client.readToEnd(Duration.ofMillis(300)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("waited 300 ms for the end of the stream")
                .hasMessageContaining("the stream was still open");
        assertThat(client.isOpen()).isFalse();
    }

    @Test
    void anEventBroadcastRightAfterAwaitOpenArrives() {
        for (int i = 0; i < 20; i++) {
            String round = "round " + i;
            try (SseTestClient client = SseTestClient.get(uri("/events")).awaitOpen(WAIT)) {
                hub.broadcast(SseEvent.data(round));

                assertThat(client.awaitEvents(1, WAIT)).extracting(MessageEvent::data).containsExactly(round);
            }
        }
    }

    @Test
    void aRefusalIsAStatusAndABodyNotAHang() {
        SseTestClient client = SseTestClient.get(uri("/private"));

        assertThat(client.awaitStatus(WAIT)).isEqualTo(401);
        assertThat(client.bodyExcerpt()).isEqualTo("{\"error\":\"who are you?\"}");
        long start = System.nanoTime();
        assertThatThrownBy(() -> client.awaitEvents(1, Duration.ofSeconds(30)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("for 1 event; no event arrived; the request failed: HTTP 401")
                .hasMessageContaining("who are you?");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("failed at once").isLessThan(WAIT);
        assertThatThrownBy(() -> SseTestClient.get(uri("/private")).awaitOpen(WAIT))
                .hasMessageContaining("waited for the stream to open").hasMessageContaining("HTTP 401");
    }

    @Test
    void headersAndLastEventIdAreSent() {
        try (SseTestClient client = SseTestClient.get(uri("/private")).header("Authorization", "Bearer t0k3n")
                .lastEventId("42")) {
            assertThat(client.awaitStatus(WAIT)).isEqualTo(200);
        }
        try (SseTestClient client = SseTestClient.get(uri("/events")).lastEventId("42").awaitOpen(WAIT)) {
            assertThat(lastEventIds).containsExactly("42");
            assertThat(client.isOpen()).isTrue();
        }
    }

    @Test
    void aStreamTheServerEndsEndsReadToEnd() {
        try (SseTestClient client = SseTestClient.get(uri("/events")).awaitOpen(WAIT)) {
            hub.broadcast(SseEvent.data("bye"));
            client.awaitEvent(e -> true, WAIT);
        }
        SseTestClient client = SseTestClient.get(uri("/events")).awaitOpen(WAIT);
        hub.broadcast(SseEvent.data("last"));
        hub.channels().forEach(c -> c.closeAfterDrain(CloseReason.CLOSED_BY_APP, null));

        assertThat(client.readToEnd(WAIT)).extracting(MessageEvent::data).containsExactly("last");
    }

    @Test
    void anEndBeforeTheEventsFailsAtOnce() {
        SseTestClient client = SseTestClient.get(uri("/events")).awaitOpen(WAIT);
        hub.broadcast(SseEvent.data("one"));
        hub.channels().forEach(c -> c.closeAfterDrain(CloseReason.CLOSED_BY_APP, null));

        assertThatThrownBy(() -> client.awaitEvents(2, Duration.ofSeconds(30)))
                .hasMessageContaining("1 event arrived")
                .hasMessageEndingWith("the server ended the stream");
    }

    @Test
    void headersCannotChangeOnceSent() {
        SseTestClient client = SseTestClient.get(uri("/events")).connect();
        try {
            assertThatThrownBy(() -> client.header("X-Late", "1"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("header must be set before the request is sent");
        } finally {
            client.close();
        }
    }

    @Test
    void aConnectionRefusedFailsWithTheCause() throws Exception {
        URI nothing;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            nothing = URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/events");
        }

        assertThatThrownBy(() -> SseTestClient.get(nothing).awaitEvents(1, WAIT))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("no event arrived; the request failed: connection to " + nothing + " failed");
    }
}
