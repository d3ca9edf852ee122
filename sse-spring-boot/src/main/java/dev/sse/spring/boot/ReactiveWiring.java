package dev.sse.spring.boot;

import dev.sse.core.Hub;
import dev.sse.core.SlowClientPolicy;
import dev.sse.webflux.SseHandler;
import dev.sse.webflux.SseStreams;

/** Where {@link SseProperties} become sse-webflux settings; kept apart from {@link SseWiring}, which loads servlets. */
final class ReactiveWiring {

    private ReactiveWiring() {
    }

    static SseHandler handler(SseProperties p, Hub hub) {
        SseHandler.Builder b = SseHandler.builder(hub);
        if (p.getRetry() != null) {
            b.retry(p.getRetry(), p.getRetryJitter());
        }
        if (p.getMaxConnections() != null) {
            b.maxConnections(p.getMaxConnections());
        }
        return b.overloadRetry(p.getOverloadRetry())
                .topics(p.getTopics())
                .allowedTopics(p.getAllowedTopics())
                .ignoreClientLastEventId(p.isIgnoreClientLastEventId())
                .maxConnectionAge(p.getMaxConnectionAge())
                .build();
    }

    static SseStreams streams(SseProperties.Streams s) {
        SseStreams.Builder b = SseStreams.builder();
        if (s.getKeepAlive() != null) {
            b.keepAlive(s.getKeepAlive());
        }
        if (s.getMaxQueuedFrames() != null || s.getMaxQueuedBytes() != null) {
            b.maxQueued(s.getMaxQueuedFrames() == null ? 1000 : s.getMaxQueuedFrames(),
                    s.getMaxQueuedBytes() == null ? 1 << 20 : s.getMaxQueuedBytes().toBytes());
        }
        if (s.getSlowClientPolicy() != null) {
            b.slowClientPolicy(switch (s.getSlowClientPolicy()) {
                case DISCONNECT -> SlowClientPolicy.disconnect();
                case DROP_OLDEST -> SlowClientPolicy.dropOldest();
                case COALESCE -> SlowClientPolicy.coalesce(dev.sse.core.SseEvent::event);
            });
        }
        if (s.getMaxConnections() != null) {
            b.maxConnections(s.getMaxConnections());
        }
        return b.build();
    }
}
