package dev.sse.webflux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.web.reactive.function.server.RequestPredicates.path;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.web.reactive.function.server.RouterFunctions;

/** The hub's stream on a real Reactor Netty server, read as raw bytes from a real socket. */
class SseHandlerTest {

    private Hub hub;
    private NettyServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (hub != null) {
            hub.close();
        }
    }

    private int serve(SseHandler handler) {
        // WebFlux answers preflights before any handler; the filter hands them to this one.
        server = NettyServer.start(RouterFunctions.route(path("/events"), handler),
                PreflightFilter.of(java.util.Map.of("/events", handler)));
        return server.port();
    }

    @Test
    void headersAndRetryAreFlushedBeforeAnyEvent() throws Exception {
        hub = Hub.builder().keepAlive(Duration.ZERO).build();
        int port = serve(SseHandler.builder(hub).retry(Duration.ofSeconds(3), Duration.ZERO).build());
        try (RawClient c = new RawClient(port, "GET /events HTTP/1.1")) {
            String seen = c.awaitText("retry: 3000\n\n", 5000);
            assertThat(seen).startsWith("HTTP/1.1 200").containsIgnoringCase("content-type: text/event-stream")
                    .containsIgnoringCase("x-accel-buffering: no").containsIgnoringCase("cache-control: no-cache");
        }
    }

    @Test
    void headersAreFlushedAtOnceWithNothingToSend() throws Exception {
        hub = Hub.builder().keepAlive(Duration.ZERO).build();
        int port = serve(SseHandler.of(hub));
        try (RawClient c = new RawClient(port, "GET /events HTTP/1.1")) {
            assertThat(c.awaitText("\r\n\r\n", 5000)).startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void broadcastsArriveAsTheEncoderWroteThem() throws Exception {
        hub = Hub.builder().keepAlive(Duration.ZERO).build();
        int port = serve(SseHandler.of(hub));
        try (RawClient c = new RawClient(port, "GET /events HTTP/1.1")) {
            c.awaitText("\r\n\r\n", 5000);
            await(() -> hub.channelCount() == 1);
            hub.broadcast(SseEvent.builder().id("1").event("tick").data("a\nb").build());
            c.awaitText("id: 1\nevent: tick\ndata: a\ndata: b\n\n", 5000);
        }
    }

    @Test
    void resetClientIsDroppedFromTheHub() throws Exception {
        hub = Hub.builder().keepAlive(Duration.ZERO).build();
        SseHandler handler = SseHandler.of(hub);
        int port = serve(handler);
        RawClient c = new RawClient(port, "GET /events HTTP/1.1");
        c.awaitText("\r\n\r\n", 5000);
        await(() -> hub.channelCount() == 1);
        c.reset();
        await(() -> hub.channelCount() == 0 && handler.connectionCount() == 0);
    }

    @Test
    void beyondMaxConnectionsTheStreamIsShedWithRetryAndClosed() throws Exception {
        hub = Hub.builder().keepAlive(Duration.ZERO).build();
        int port = serve(SseHandler.builder(hub).maxConnections(1).overloadRetry(Duration.ofSeconds(7)).build());
        try (RawClient first = new RawClient(port, "GET /events HTTP/1.1")) {
            first.awaitText("\r\n\r\n", 5000);
            await(() -> hub.channelCount() == 1);
            try (RawClient second = new RawClient(port, "GET /events HTTP/1.1", "Connection: close")) {
                String seen = second.awaitClose(5000);
                assertThat(seen).startsWith("HTTP/1.1 200").endsWith("retry: 7000\n\n");
            }
        }
    }

    @Test
    void settingsByNameAreReadAsTheServletReadsThem() throws Exception {
        hub = Hub.builder().keepAlive(Duration.ZERO).build();
        int port = serve(SseHandler.builder(hub)
                .settings(java.util.Map.of("maxConnections", " 1 ", "overloadRetry", "PT7S")).build());
        try (RawClient first = new RawClient(port, "GET /events HTTP/1.1")) {
            first.awaitText("\r\n\r\n", 5000);
            await(() -> hub.channelCount() == 1);
            try (RawClient second = new RawClient(port, "GET /events HTTP/1.1", "Connection: close")) {
                assertThat(second.awaitClose(5000)).startsWith("HTTP/1.1 200").endsWith("retry: 7000\n\n");
            }
        }
    }

    @Test
    void aBadOrMisplacedSettingIsRefusedByName() {
        hub = Hub.builder().keepAlive(Duration.ZERO).build();
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                .isThrownBy(() -> SseHandler.builder(hub).settings(java.util.Map.of("maxConnectionAge", "-5s")))
                .withMessageContaining("maxConnectionAge").withMessageContaining("-5s");
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                .isThrownBy(() -> SseHandler.builder(hub).settings(java.util.Map.of("keepAlive", "5s")))
                .withMessageContaining("keepAlive").withMessageContaining("Hub.builder()");
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
                .isThrownBy(() -> SseHandler.builder(hub).settings(java.util.Map.of("bodyGrace", "soon")).build())
                .withMessageContaining("bodyGrace").withMessageContaining("soon");
    }

    @Test
    void shutdownSendsTheFarewellAndEndsTheStream() throws Exception {
        hub = Hub.builder().keepAlive(Duration.ZERO).build();
        SseHandler handler = SseHandler.of(hub);
        int port = serve(handler);
        try (RawClient c = new RawClient(port, "GET /events HTTP/1.1")) {
            c.awaitText("\r\n\r\n", 5000);
            await(() -> hub.channelCount() == 1);
            handler.shutdown(Duration.ofMillis(100), SseEvent.builder().event("bye").data("").build())
                    .get(5, TimeUnit.SECONDS);
            String seen = c.awaitText("0\r\n\r\n", 5000);
            assertThat(seen).contains("event: bye\ndata:\n\n");
            await(() -> handler.connectionCount() == 0);
        }
    }

    @Test
    void aReaderThatStopsReadingIsClosedByTheSlowClientPolicyWhileAnotherGetsEverything() throws Exception {
        hub = Hub.builder().keepAlive(Duration.ZERO).maxQueuedFrames(20).build();
        java.util.concurrent.CompletableFuture<dev.sse.core.CloseReason> stalledClosed =
                new java.util.concurrent.CompletableFuture<>();
        hub.addListener(new dev.sse.core.HubListener() {
            @Override
            public void onClose(dev.sse.core.EventChannel channel, dev.sse.core.CloseReason reason) {
                if (reason == dev.sse.core.CloseReason.SLOW_CLIENT) {
                    stalledClosed.complete(reason);
                }
            }
        });
        int port = serve(SseHandler.of(hub));
        try (RawClient stalled = new RawClient(port, "GET /events HTTP/1.1");
             RawClient reader = new RawClient(port, "GET /events HTTP/1.1")) {
            stalled.awaitText("\r\n\r\n", 5000);
            reader.awaitText("\r\n\r\n", 5000);
            await(() -> hub.channelCount() == 2);
            String big = "x".repeat(60_000);
            int sent = 0;
            // The stalled socket's buffers fill; then its frames stay in its queue, which the policy bounds.
            while (!stalledClosed.isDone() && sent < 2000) {
                hub.broadcast(SseEvent.builder().id(Integer.toString(++sent)).data(big).build());
                reader.awaitText("id: " + sent + "\n", 5000);
            }
            assertThat(stalledClosed).isCompletedWithValue(dev.sse.core.CloseReason.SLOW_CLIENT);
            assertThat(sent).isLessThan(2000);
            await(() -> hub.channelCount() == 1);
        }
    }

    @Test
    void aTopicTheEndpointDoesNotAllowIsAnsweredNoContentSoTheBrowserStops() throws Exception {
        hub = Hub.builder().keepAlive(Duration.ZERO).build();
        int port = serve(SseHandler.builder(hub).allowedTopics(java.util.Set.of("news")).build());
        try (RawClient c = new RawClient(port, "GET /events?topic=secret HTTP/1.1", "Connection: close")) {
            assertThat(c.awaitClose(5000)).startsWith("HTTP/1.1 204");
        }
        try (RawClient c = new RawClient(port, "GET /events?topic=news HTTP/1.1")) {
            c.awaitText("\r\n\r\n", 5000);
            await(() -> hub.subscriberCount("news") == 1);
            hub.broadcast("sport", SseEvent.data("not for you"));
            hub.broadcast("news", SseEvent.data("for you"));
            assertThat(c.awaitText("data: for you\n\n", 5000)).doesNotContain("not for you");
        }
    }

    @Test
    void aLastEventIdHeaderResumesWithWhatFollowedItOnce() throws Exception {
        hub = Hub.builder().keepAlive(Duration.ZERO).build();
        int port = serve(SseHandler.of(hub));
        String first = hub.broadcast(SseEvent.data("one"));
        hub.broadcast(SseEvent.data("two"));
        try (RawClient c = new RawClient(port, "GET /events HTTP/1.1", "Last-Event-ID: " + first)) {
            String seen = c.awaitText("data: two\n\n", 5000);
            assertThat(seen).doesNotContain("data: one");
        }
    }

    @Test
    void aRequestTheHookRefusesGetsTheHooksAnswerAndNoStream() throws Exception {
        hub = Hub.builder().keepAlive(Duration.ZERO).build();
        int port = serve(SseHandler.builder(hub).hook((request, topics, attributes) ->
                request.headers().firstHeader("Authorization") == null
                        ? org.springframework.web.reactive.function.server.ServerResponse.status(401).build()
                        : reactor.core.publisher.Mono.empty()).build());
        try (RawClient c = new RawClient(port, "GET /events HTTP/1.1", "Connection: close")) {
            assertThat(c.awaitClose(5000)).startsWith("HTTP/1.1 401");
        }
        assertThat(hub.channelCount()).isZero();
        try (RawClient c = new RawClient(port, "GET /events HTTP/1.1", "Authorization: Bearer t")) {
            c.awaitText("\r\n\r\n", 5000);
            await(() -> hub.channelCount() == 1);
        }
    }

    @Test
    void aStreamOlderThanMaxConnectionAgeEndsGracefully() throws Exception {
        hub = Hub.builder().keepAlive(Duration.ZERO).build();
        SseHandler handler = SseHandler.builder(hub).maxConnectionAge(Duration.ofMillis(200)).build();
        int port = serve(handler);
        try (RawClient c = new RawClient(port, "GET /events HTTP/1.1")) {
            c.awaitText("0\r\n\r\n", 5000);
            await(() -> hub.channelCount() == 0 && handler.connectionCount() == 0);
        }
    }

    @Test
    void anIdleStreamGetsKeepAliveComments() throws Exception {
        hub = Hub.builder().keepAlive(Duration.ofMillis(100)).build();
        int port = serve(SseHandler.of(hub));
        try (RawClient c = new RawClient(port, "GET /events HTTP/1.1")) {
            c.awaitText(":\n\n", 5000);
        }
    }

    @Test
    void aPreflightFromAnAllowedOriginIsAnswered() throws Exception {
        hub = Hub.builder().keepAlive(Duration.ZERO).build();
        int port = serve(SseHandler.builder(hub).settings(java.util.Map.of("allowedOrigins", "https://app.example"))
                .build());
        try (RawClient c = new RawClient(port, "OPTIONS /events HTTP/1.1", "Origin: https://app.example",
                "Access-Control-Request-Method: GET", "Access-Control-Request-Headers: last-event-id",
                "Connection: close")) {
            assertThat(c.awaitClose(5000)).startsWith("HTTP/1.1 204");
        }
    }

    static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 5 s");
            }
            Thread.sleep(5);
        }
    }
}
