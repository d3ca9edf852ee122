package dev.sse.webflux;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

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

    void apply(String name, String value) {
        String v = value.trim();
        switch (name) {
            case "topics": topics = list(v); break;
            case "topicParameter": topicParameter = text(name, v); break;
            case "allowedTopics": allowedTopics = list(v); break;
            case "retry": retry = positive(name, duration(name, v)); break;
            case "retryJitter": retryJitter = notNegative(name, duration(name, v)); break;
            case "overloadRetry": overloadRetry = positive(name, duration(name, v)); break;
            case "maxConnections": maxConnections = count(name, v); break;
            case "maxConnectionAge": maxConnectionAge = notNegative(name, duration(name, v)); break;
            case "ignoreClientLastEventId": ignoreClientLastEventId = bool(name, v); break;
            case "lastEventIdParameter": lastEventIdParameter = text(name, v); break;
            case "cacheControl": cacheControl = text(name, v); break;
            case "allowedOrigins": allowedOrigins = list(v); break;
            case "allowCredentials": allowCredentials = bool(name, v); break;
            case "allowedHeaders": allowedHeaders = list(v); break;
            case "publicOrigin": publicOrigin = text(name, v); break;
            case "drainWindow": drainWindow = notNegative(name, duration(name, v)); break;
            case "farewellEvent": farewell = v.isEmpty() ? null : dev.sse.core.SseEvent.of(v, ""); break;
            default:
                throw new IllegalArgumentException("setting " + name + " is not one this handler knows");
        }
    }

    private static Set<String> list(String v) {
        return Arrays.stream(v.split(",")).map(String::trim).filter(t -> !t.isEmpty())
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    private static String text(String name, String v) {
        if (v.isEmpty()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
        return v;
    }

    private static boolean bool(String name, String v) {
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        throw new IllegalArgumentException(name + " must be true or false (was \"" + v + "\")");
    }

    private static int count(String name, String v) {
        try {
            int n = Integer.parseInt(v);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // Reported below with the rule.
        }
        throw new IllegalArgumentException(name + " must be a whole number, at least 0 (was \"" + v + "\")");
    }

    /** {@code 250ms}, {@code 15s}, {@code 5m}, {@code 1h}, ISO-8601, or plain milliseconds, as SseServlet reads them. */
    static Duration duration(String name, String v) {
        String s = v.toLowerCase(Locale.ROOT);
        try {
            if (s.startsWith("p")) {
                return Duration.parse(v);
            }
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            }
            if (s.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)));
            }
            if (s.endsWith("m")) {
                return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
            }
            if (s.endsWith("h")) {
                return Duration.ofHours(Long.parseLong(s.substring(0, s.length() - 1)));
            }
            return Duration.ofMillis(Long.parseLong(s));
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new IllegalArgumentException(name + " must be a duration such as 250ms, 15s, 5m, 1h or PT15S (was \""
                    + v + "\")");
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
