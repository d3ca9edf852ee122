package dev.sse.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpRequest.BodyPublishers;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The blocking pull: next(), iterator() and stream(), as for an LLM's streamed answer. */
class SseClientPullTest {

    private SseClient client;
    private ScriptedServer server;

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aPostResponseIsReadToItsEndAndNotReconnected() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("data: {\"token\":\"Hel\"}\n\ndata: {\"token\":\"lo\"}\n\nevent: done\ndata: [DONE]\n\n");
            ex.send("data: unfinished");
        });
        List<MessageEvent> events;
        try (SseClient c = SseClient.builder(server.uri())
                .method("POST", () -> BodyPublishers.ofString("{\"prompt\":\"hi\"}"))
                .retryPolicy(RetryPolicy.none()).open();
             Stream<MessageEvent> stream = c.stream()) {
            events = stream.collect(Collectors.toList());
        }
        assertThat(events).extracting(MessageEvent::data)
                .containsExactly("{\"token\":\"Hel\"}", "{\"token\":\"lo\"}", "[DONE]");
        assertThat(events.get(2).type()).isEqualTo("done");
        assertThat(server.takeRequest().body).isEqualTo("{\"prompt\":\"hi\"}");
        assertThat(server.requests.poll(300, TimeUnit.MILLISECONDS)).as("a reconnect").isNull();
    }

    @Test
    void nextReturnsNullAfterTheLastEventNamedByStopAfter() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("data: hi\n\ndata: [DONE]\n\n");
            ex.awaitClientClose(Duration.ofSeconds(20));
        });
        client = SseClient.builder(server.uri()).method("POST", () -> BodyPublishers.ofString("q"))
                .stopAfter(e -> e.data().equals("[DONE]")).open();
        assertThat(client.next().data()).isEqualTo("hi");
        assertThat(client.next().data()).isEqualTo("[DONE]");
        assertThat(client.next()).isNull();
    }

    @Test
    void nextThrowsTheFatalErrorWithStatusAndBody() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.head(401, "Content-Length: 12");
            ex.send("unauthorized");
        });
        client = SseClient.builder(server.uri()).open();
        assertThatThrownBy(client::next).isInstanceOfSatisfying(SseException.class, e -> {
            assertThat(e.status()).isEqualTo(401);
            assertThat(e.bodyExcerpt()).isEqualTo("unauthorized");
        });
        assertThatThrownBy(client::next).isInstanceOf(SseException.class);
    }

    @Test
    void aStreamThatFailsUnderRetryPolicyNoneEndsWithAnError() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("data: a\n\n");
            ex.awaitClientClose(Duration.ofSeconds(20));
        });
        client = SseClient.builder(server.uri()).idleTimeout(Duration.ofMillis(200))
                .retryPolicy(RetryPolicy.none()).open();
        assertThat(client.next().data()).isEqualTo("a");
        assertThatThrownBy(client::next).isInstanceOf(SseException.class).hasMessageContaining("idle timeout");
    }

    @Test
    void closeFromAnotherThreadEndsABlockedNext() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.awaitClientClose(Duration.ofSeconds(20));
        });
        client = SseClient.builder(server.uri()).open();
        server.takeRequest();
        CompletableFuture<MessageEvent> next = CompletableFuture.supplyAsync(() -> {
            try {
                return client.next();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        client.close();
        assertThat(next.get(5, TimeUnit.SECONDS)).isNull();
        assertThat(Recorder.take(server.clientClosed, "client close")).isZero();
    }

    @Test
    void noContentEndsTheStreamWithoutError() throws Exception {
        server = new ScriptedServer(ex -> ex.head(204));
        client = SseClient.builder(server.uri()).open();
        assertThat(client.next()).isNull();
    }

    @Test
    void pullingFromAListenerClientIsRefused() throws Exception {
        server = new ScriptedServer(ex -> ex.head(204));
        client = SseClient.builder(server.uri()).start(e -> { });
        assertThatThrownBy(client::next).isInstanceOf(IllegalStateException.class);
    }
}
