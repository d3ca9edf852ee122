package dev.sse.core.readme;

import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.InMemoryHistory;
import dev.sse.core.SlowClientPolicy;
import dev.sse.core.SseEvent;
import dev.sse.core.spi.Transport;
import java.time.Duration;

/** README, "The core alone", verbatim (see ReadmeSnippetsTest); compiled, so it cannot rot. */
final class CoreSnippets {

    private CoreSnippets() {
    }

    static void coreAlone(Transport transport) {
Hub hub = Hub.create();                                   // one per stream you publish
EventChannel ch = hub.open(transport);                    // adapters implement dev.sse.core.spi.Transport
hub.broadcast(SseEvent.of("update", "{\"n\":1}"));        // every client, encoded once, never blocks
hub.broadcast("prices", SseEvent.data("1.25"));           // only subscribers of topic "prices"
hub.send(ch.id(), SseEvent.data("just you"));             // one client
Hub tuned = Hub.builder()
        .keepAlive(Duration.ofSeconds(15))                // comment frame on idle streams
        .slowClientPolicy(SlowClientPolicy.coalesce(SseEvent::event)) // newest value per key for laggards
        .history(InMemoryHistory.builder().maxEvents(1000).maxBytes(64 << 20).build()) // Last-Event-ID replay
        .build();
        tuned.close();
        hub.close();
    }
}
