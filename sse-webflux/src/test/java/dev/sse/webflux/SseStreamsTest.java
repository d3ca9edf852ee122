package dev.sse.webflux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.web.reactive.function.server.RequestPredicates.POST;

import dev.sse.core.CloseReason;
import dev.sse.core.SseEvent;
import dev.sse.core.SseStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.web.reactive.function.server.RouterFunctions;

/** Per-request streams on a real Reactor Netty server. */
class SseStreamsTest {

    private final SseStreams streams = SseStreams.builder().keepAlive(Duration.ZERO).build();
    private NettyServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        streams.host().close();
    }

    @Test
    void aProducerThatCompletesEndsTheResponseAfterItsTerminalEvent() throws Exception {
        server = NettyServer.start(RouterFunctions.route(POST("/chat"), streams.handler((request, stream) -> {
            stream.send(SseEvent.data("hello"));
            stream.complete(SseEvent.builder().event("done").data("").build());
        })));
        try (RawClient c = new RawClient(server.port(), "POST /chat HTTP/1.1", "Content-Length: 0")) {
            String seen = c.awaitText("0\r\n\r\n", 5000);
            assertThat(seen).startsWith("HTTP/1.1 200").containsIgnoringCase("text/event-stream")
                    .contains("data: hello\n\n").contains("event: done\ndata:\n\n");
        }
        SseHandlerTest.await(() -> streams.connectionCount() == 0);
    }

    @Test
    void aClientThatGoesAwayClosesItsStreamAsClientGone() throws Exception {
        CompletableFuture<SseStream> opened = new CompletableFuture<>();
        server = NettyServer.start(RouterFunctions.route(POST("/chat"), streams.handler((request, stream) -> {
            stream.send(SseEvent.data("first"));
            opened.complete(stream);
        })));
        RawClient c = new RawClient(server.port(), "POST /chat HTTP/1.1", "Content-Length: 0");
        c.awaitText("data: first\n\n", 5000);
        SseStream stream = opened.get(5, TimeUnit.SECONDS);
        c.reset();
        assertThat(stream.closed().toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.CLIENT_GONE);
        SseHandlerTest.await(() -> streams.connectionCount() == 0);
    }
}
