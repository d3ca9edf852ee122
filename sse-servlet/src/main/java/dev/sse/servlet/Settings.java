package dev.sse.servlet;

import dev.sse.core.SseEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/** What an {@link SseServlet} was configured with, from its builder and then its init-params; immutable once built. */
final class Settings {

    String hubAttribute = SseServlet.DEFAULT_HUB_ATTRIBUTE;
    Duration keepAlive = Duration.ofSeconds(15);
    int maxQueuedFrames = 1000;
    long maxQueuedBytes = 1 << 20;
    int historySize = 1000;
    Duration historyMaxAge = Duration.ofMinutes(5);
    String slowClientPolicy = "disconnect";
    Duration retry;
    Duration retryJitter = Duration.ZERO;
    Duration overloadRetry = Duration.ofSeconds(10);
    int maxConnections;
    Set<String> topics = Set.of();
    String topicParameter = "topic";
    Set<String> allowedTopics = Set.of();
    Set<String> allowedOrigins = Set.of();
    boolean allowCredentials;
    boolean ignoreClientLastEventId;
    String lastEventIdParameter = "lastEventId";
    Duration maxConnectionAge = Duration.ZERO;
    Duration drainWindow = Duration.ofSeconds(5);
    SseEvent farewell;
    Duration writeTimeout = Duration.ofSeconds(30);
    String cacheControl = "no-cache, no-transform";

    Settings copy() {
        Settings s = new Settings();
        s.hubAttribute = hubAttribute;
        s.keepAlive = keepAlive;
        s.maxQueuedFrames = maxQueuedFrames;
        s.maxQueuedBytes = maxQueuedBytes;
        s.historySize = historySize;
        s.historyMaxAge = historyMaxAge;
        s.slowClientPolicy = slowClientPolicy;
        s.retry = retry;
        s.retryJitter = retryJitter;
        s.overloadRetry = overloadRetry;
        s.maxConnections = maxConnections;
        s.topics = topics;
        s.topicParameter = topicParameter;
        s.allowedTopics = allowedTopics;
        s.allowedOrigins = allowedOrigins;
        s.allowCredentials = allowCredentials;
        s.ignoreClientLastEventId = ignoreClientLastEventId;
        s.lastEventIdParameter = lastEventIdParameter;
        s.maxConnectionAge = maxConnectionAge;
        s.drainWindow = drainWindow;
        s.farewell = farewell;
        s.writeTimeout = writeTimeout;
        s.cacheControl = cacheControl;
        return s;
    }

    /** Applies the init-params that are present; {@code param} returns {@code null} for an absent one. */
    void apply(Function<String, String> param) {
        hubAttribute = text(param, "hub", hubAttribute);
        keepAlive = duration(param, "keepAlive", keepAlive);
        maxQueuedFrames = (int) number(param, "maxQueuedFrames", maxQueuedFrames, 1);
        maxQueuedBytes = number(param, "maxQueuedBytes", maxQueuedBytes, 1);
        historySize = (int) number(param, "historySize", historySize, 0);
        historyMaxAge = duration(param, "historyMaxAge", historyMaxAge);
        String policy = param.apply("slowClientPolicy");
        if (policy != null) {
            String p = policy.trim();
            if (!List.of("disconnect", "dropOldest", "coalesce").contains(p)) {
                throw new IllegalArgumentException(
                        "init-param slowClientPolicy must be disconnect, dropOldest or coalesce (was \"" + policy + "\")");
            }
            slowClientPolicy = p;
        }
        retry = duration(param, "retry", retry);
        retryJitter = duration(param, "retryJitter", retryJitter);
        overloadRetry = duration(param, "overloadRetry", overloadRetry);
        maxConnections = (int) number(param, "maxConnections", maxConnections, 0);
        topics = list(param, "topics", topics);
        topicParameter = text(param, "topicParameter", topicParameter);
        allowedTopics = list(param, "allowedTopics", allowedTopics);
        allowedOrigins = list(param, "allowedOrigins", allowedOrigins);
        allowCredentials = bool(param, "allowCredentials", allowCredentials);
        ignoreClientLastEventId = bool(param, "ignoreClientLastEventId", ignoreClientLastEventId);
        lastEventIdParameter = text(param, "lastEventIdParameter", lastEventIdParameter);
        cacheControl = text(param, "cacheControl", cacheControl);
        maxConnectionAge = duration(param, "maxConnectionAge", maxConnectionAge);
        drainWindow = duration(param, "drainWindow", drainWindow);
        String farewellEvent = param.apply("farewellEvent");
        if (farewellEvent != null && !farewellEvent.isBlank()) {
            farewell = SseEvent.of(farewellEvent.trim(), "");
        }
        writeTimeout = duration(param, "writeTimeout", writeTimeout);
        validate();
    }

    void validate() {
        if (allowCredentials && allowedOrigins.contains("*")) {
            throw new IllegalArgumentException(
                    "allowCredentials cannot be combined with allowedOrigins \"*\": list the origins explicitly");
        }
    }

    private static String text(Function<String, String> param, String name, String dflt) {
        String v = param.apply(name);
        return v == null || v.isBlank() ? dflt : v.trim();
    }

    private static boolean bool(Function<String, String> param, String name, boolean dflt) {
        String v = param.apply(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        String t = v.trim().toLowerCase(Locale.ROOT);
        if (t.equals("true") || t.equals("false")) {
            return Boolean.parseBoolean(t);
        }
        throw new IllegalArgumentException("init-param " + name + " must be true or false (was \"" + v + "\")");
    }

    private static long number(Function<String, String> param, String name, long dflt, long min) {
        String v = param.apply(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            long n = Long.parseLong(v.trim());
            if (n < min) {
                throw new IllegalArgumentException("init-param " + name + " must be at least " + min + " (was " + n + ")");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("init-param " + name + " must be a whole number (was \"" + v + "\")", e);
        }
    }

    private static Set<String> list(Function<String, String> param, String name, Set<String> dflt) {
        String v = param.apply(name);
        if (v == null) {
            return dflt;
        }
        Set<String> out = new LinkedHashSet<>();
        for (String part : v.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return Set.copyOf(out);
    }

    private static Duration duration(Function<String, String> param, String name, Duration dflt) {
        String v = param.apply(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        return parseDuration(name, v.trim());
    }

    /** Accepts {@code 250ms}, {@code 15s}, {@code 5m}, {@code 1h}, ISO-8601 ({@code PT15S}) or plain milliseconds. */
    static Duration parseDuration(String name, String v) {
        try {
            String t = v.toLowerCase(Locale.ROOT);
            Duration d;
            if (t.startsWith("pt") || t.startsWith("p")) {
                d = Duration.parse(v.toUpperCase(Locale.ROOT));
            } else if (t.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2).trim()));
            } else if (t.endsWith("s")) {
                d = Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1).trim()));
            } else if (t.endsWith("m")) {
                d = Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1).trim()));
            } else if (t.endsWith("h")) {
                d = Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1).trim()));
            } else {
                d = Duration.ofMillis(Long.parseLong(t));
            }
            if (d.isNegative()) {
                throw new IllegalArgumentException("init-param " + name + " must not be negative (was \"" + v + "\")");
            }
            return d;
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException && e.getMessage() != null && e.getMessage().startsWith("init-param")) {
                throw e;
            }
            throw new IllegalArgumentException("init-param " + name
                    + " must be a duration such as 250ms, 15s, 5m, 1h or PT15S (was \"" + v + "\")", e);
        }
    }

    static List<String> names() {
        return new ArrayList<>(List.of("hub", "keepAlive", "maxQueuedFrames", "maxQueuedBytes", "historySize",
                "historyMaxAge", "slowClientPolicy", "retry", "retryJitter", "overloadRetry", "maxConnections", "topics",
                "topicParameter", "allowedTopics", "allowedOrigins", "allowCredentials", "ignoreClientLastEventId",
                "lastEventIdParameter", "maxConnectionAge", "drainWindow", "farewellEvent", "writeTimeout",
                "cacheControl"));
    }
}
