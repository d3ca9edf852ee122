package dev.sse.webflux;

import dev.sse.core.http.SseSettings;
import java.time.Duration;
import java.util.Set;

/** A stream endpoint's options, by {@code SseServlet}'s init-param names; mutable only while being built. */
final class StreamSettings {

    Set<String> topics = Set.of();
    String topicParameter = "topic";
    Set<String> allowedTopics = Set.of();
    Duration retry;
    Duration retryJitter = Duration.ZERO;
    Duration overloadRetry = Duration.ofSeconds(10);
    int maxConnections;
    Duration maxConnectionAge = Duration.ZERO;
    boolean ignoreClientLastEventId;
    String lastEventIdParameter = "lastEventId";
    String cacheControl = "no-cache, no-transform";
    Set<String> allowedOrigins = Set.of();
    boolean allowCredentials;
    Set<String> allowedHeaders = Set.of();
    String publicOrigin;
    Duration drainWindow = Duration.ofSeconds(5);
    dev.sse.core.SseEvent farewell;

    StreamSettings copy() {
        StreamSettings s = new StreamSettings();
        s.topics = topics;
        s.topicParameter = topicParameter;
        s.allowedTopics = allowedTopics;
        s.retry = retry;
        s.retryJitter = retryJitter;
        s.overloadRetry = overloadRetry;
        s.maxConnections = maxConnections;
        s.maxConnectionAge = maxConnectionAge;
        s.ignoreClientLastEventId = ignoreClientLastEventId;
        s.lastEventIdParameter = lastEventIdParameter;
        s.cacheControl = cacheControl;
        s.allowedOrigins = allowedOrigins;
        s.allowCredentials = allowCredentials;
        s.allowedHeaders = allowedHeaders;
        s.publicOrigin = publicOrigin;
        s.drainWindow = drainWindow;
        s.farewell = farewell;
        return s;
    }

    /** @return the shared stream rules ({@code dev.sse.core.http}) for these settings */
    dev.sse.core.http.StreamRules rules() {
        dev.sse.core.http.StreamRules.Builder b = dev.sse.core.http.StreamRules.builder()
                .topics(topics).allowedTopics(allowedTopics).topicParameter(topicParameter)
                .lastEventIdParameter(lastEventIdParameter).ignoreClientLastEventId(ignoreClientLastEventId)
                .allowedOrigins(allowedOrigins, allowCredentials).allowedHeaders(allowedHeaders)
                .cacheControl(cacheControl).retry(retry, retryJitter, overloadRetry);
        if (publicOrigin != null) {
            b.publicOrigin(publicOrigin);
        }
        return b.build();
    }

    /**
     * Sets one endpoint setting from text, parsed by its row of the one settings table ({@link SseSettings}), so a
     * value means here what it means in an init-param or a Boot property; blank keeps what is set.
     */
    void apply(String name, String value) {
        if (value == null || value.isBlank()) {
            return;
        }
        String label = "setting";
        switch (name) {
            case "topics": topics = SseSettings.TOPICS.parse(value, label); break;
            case "topicParameter": topicParameter = SseSettings.TOPIC_PARAMETER.parse(value, label); break;
            case "allowedTopics": allowedTopics = SseSettings.ALLOWED_TOPICS.parse(value, label); break;
            case "retry": retry = SseSettings.RETRY.parse(value, label); break;
            case "retryJitter": retryJitter = SseSettings.RETRY_JITTER.parse(value, label); break;
            case "overloadRetry": overloadRetry = SseSettings.OVERLOAD_RETRY.parse(value, label); break;
            case "maxConnections": maxConnections = SseSettings.MAX_CONNECTIONS.parse(value, label); break;
            case "maxConnectionAge": maxConnectionAge = SseSettings.MAX_CONNECTION_AGE.parse(value, label); break;
            case "ignoreClientLastEventId":
                ignoreClientLastEventId = SseSettings.IGNORE_CLIENT_LAST_EVENT_ID.parse(value, label);
                break;
            case "lastEventIdParameter":
                lastEventIdParameter = SseSettings.LAST_EVENT_ID_PARAMETER.parse(value, label);
                break;
            case "cacheControl": cacheControl = SseSettings.CACHE_CONTROL.parse(value, label); break;
            case "allowedOrigins": allowedOrigins = SseSettings.ALLOWED_ORIGINS.parse(value, label); break;
            case "allowCredentials": allowCredentials = SseSettings.ALLOW_CREDENTIALS.parse(value, label); break;
            case "allowedHeaders": allowedHeaders = SseSettings.ALLOWED_HEADERS.parse(value, label); break;
            case "publicOrigin": publicOrigin = SseSettings.PUBLIC_ORIGIN.parse(value, label); break;
            case "drainWindow": drainWindow = SseSettings.DRAIN_WINDOW.parse(value, label); break;
            case "farewellEvent": farewell = SseSettings.FAREWELL_EVENT.parse(value, label); break;
            default:
                throw new IllegalArgumentException("setting " + name + (SseSettings.named(name) == null
                        ? " is not a setting" : " is not one an sse-webflux handler serves (hub settings belong to "
                        + "Hub.builder())"));
        }
    }

    static Duration positive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive (was " + d + ")");
        }
        return d;
    }

    static Duration notNegative(String name, Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative (was " + d + ")");
        }
        return d;
    }
}
