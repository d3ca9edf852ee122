package dev.sse.spring.boot;

import dev.sse.core.Hub;
import dev.sse.core.InMemoryHistory;
import dev.sse.core.SlowClientPolicy;
import dev.sse.core.SseEvent;
import dev.sse.core.spi.EventHistory;
import dev.sse.servlet.SseServlet;
import java.util.concurrent.CompletableFuture;

/** The one place where {@link SseProperties} become sse-core and sse-servlet settings. */
final class SseWiring {

    private SseWiring() {
    }

    static Hub hub(SseProperties p) {
        SlowClientPolicy policy = switch (p.getSlowClientPolicy()) {
            case DROP_OLDEST -> SlowClientPolicy.dropOldest();
            case COALESCE -> SlowClientPolicy.coalesce(SseEvent::event);
            case DISCONNECT -> SlowClientPolicy.disconnect();
        };
        EventHistory history = p.getHistorySize() == 0 ? EventHistory.none()
                : InMemoryHistory.builder().maxEvents(p.getHistorySize()).maxAge(p.getHistoryMaxAge())
                        .maxBytes(p.getHistoryMaxBytes().toBytes()).build();
        return Hub.builder()
                .keepAlive(p.getKeepAlive())
                .maxQueuedFrames(p.getMaxQueuedFrames())
                .maxQueuedBytes(p.getMaxQueuedBytes().toBytes())
                .history(history)
                .slowClientPolicy(policy)
                .build();
    }

    static SseServlet servlet(SseProperties p, Hub hub) {
        SseServlet.Builder b = SseServlet.builder();
        if (p.getPublicOrigin() != null && !p.getPublicOrigin().isBlank()) {
            b.publicOrigin(p.getPublicOrigin().trim());
        }
        if (p.getWriterThreads() > 0) {
            b.writerThreads(p.getWriterThreads());
        }
        return b
                .hub(hub)
                .retry(p.getRetry(), p.getRetryJitter())
                .overloadRetry(p.getOverloadRetry())
                .maxConnections(p.getMaxConnections())
                .topics(p.getTopics())
                .allowedTopics(p.getAllowedTopics())
                .allowedOrigins(p.getAllowedOrigins(), p.isAllowCredentials())
                .ignoreClientLastEventId(p.isIgnoreClientLastEventId())
                .maxConnectionAge(p.getMaxConnectionAge())
                .writeTimeout(p.getWriteTimeout())
                .allowedHeaders(p.getAllowedHeaders())
                .drain(p.getDrainWindow(), farewell(p))
                .build();
    }

    static CompletableFuture<Void> shutdown(Hub hub, SseProperties p) {
        return hub.shutdown(p.getDrainWindow(), farewell(p));
    }

    private static SseEvent farewell(SseProperties p) {
        String type = p.getFarewellEvent();
        return type == null || type.isBlank() ? null : SseEvent.of(type.trim(), "");
    }
}
