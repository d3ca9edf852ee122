package dev.sse.client.readme;

import dev.sse.client.MessageEvent;
import dev.sse.client.RetryPolicy;
import dev.sse.client.SseClient;
import dev.sse.client.SseException;
import dev.sse.client.SseListener;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** README, "Client", verbatim (see ReadmeSnippetsTest); compiled, so it cannot rot. */
final class ClientSnippets {

    private static final Logger log = LoggerFactory.getLogger(ClientSnippets.class);

    private ClientSnippets() {
    }

    interface Tokens {
        String fresh();
    }

    static void handle(String type, String data, String lastEventId) {
    }

    static void feed(Tokens tokens) {
SseClient feed = SseClient.builder(URI.create("https://example.com/events"))
        .headers(() -> Map.of("Authorization", "Bearer " + tokens.fresh()))   // asked again on every attempt
        .idleTimeout(Duration.ofSeconds(45))                                   // 3 missed 15 s keep-alives
        .start(new SseListener() {
            public void onEvent(MessageEvent e) { handle(e.type(), e.data(), e.lastEventId()); }
            public void onError(SseException e) { log.warn("{} (status {})", e.getMessage(), e.status()); }
        });
// ... on shutdown, from any thread: cancels a connect or a pending reconnect and frees the socket
feed.close();
    }

    static void answer(String json) {
try (SseClient answer = SseClient.builder(URI.create("https://llm.example.com/v1/chat"))
            .method("POST", () -> HttpRequest.BodyPublishers.ofString(json))
            .header("Content-Type", "application/json")
            .retryPolicy(RetryPolicy.none())
            .open();
     Stream<MessageEvent> events = answer.stream()) {
    events.map(MessageEvent::data).forEach(System.out::print);   // ends with the response; throws SseException on 4xx/5xx
}
    }
}
