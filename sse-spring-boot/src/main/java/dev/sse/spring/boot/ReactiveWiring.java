package dev.sse.spring.boot;

import dev.sse.core.Hub;
import dev.sse.core.SlowClientPolicy;
import java.util.LinkedHashMap;
import java.util.Map;
import dev.sse.webflux.PublishPolicy;
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
        Map<String, String> web = new LinkedHashMap<>();
        web.put("allowedOrigins", String.join(",", p.getAllowedOrigins()));
        web.put("allowCredentials", Boolean.toString(p.isAllowCredentials()));
        web.put("allowedHeaders", String.join(",", p.getAllowedHeaders()));
        if (p.getPublicOrigin() != null && !p.getPublicOrigin().isBlank()) {
            web.put("publicOrigin", p.getPublicOrigin().trim());
        }
        web.put("maxBodyBytes", Long.toString(Math.min(p.getMaxBodySize().toBytes(), Integer.MAX_VALUE - 1)));
        web.put("bodyDeadline", p.getBodyDeadline().toString());
        web.put("bodyGrace", p.getBodyGrace().toString());
        web.put("minBodyRate", Long.toString(p.getMinBodyRate()));
        b.settings(web);
        PublishPolicy policy = publishPolicy(p.getPublish());
        if (policy != null) {
            b.publishing(policy);
        }
        return b.overloadRetry(p.getOverloadRetry())
                .topics(p.getTopics())
                .allowedTopics(p.getAllowedTopics())
                .ignoreClientLastEventId(p.isIgnoreClientLastEventId())
                .maxConnectionAge(p.getMaxConnectionAge())
                .build();
    }

    /** {@code sse.publish}: {@code null} for off, open, or a {@code dev.sse.webflux.PublishPolicy} by class name. */
    static PublishPolicy publishPolicy(String value) {
        return PublishSetting.policy(value, PublishPolicy.class, PublishPolicy.open());
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
