package dev.sse.servlet;

import dev.sse.core.SlowClientPolicy;
import dev.sse.core.SseEvent;
import dev.sse.core.http.StreamRules;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * What an {@link SseServlet} was configured with: its builder's values, then its init-params, each parsed once into
 * a typed value. Mutable only while being configured; the servlet keeps a copy.
 */
final class Settings {

    /** Every init-param the servlet knows; anything else is reported as a probable typo. */
    static final Set<String> NAMES = Set.of("hub", "keepAlive", "maxQueuedFrames", "maxQueuedBytes", "historySize",
            "historyMaxAge", "historyMaxBytes", "slowClientPolicy", "retry", "retryJitter", "overloadRetry",
            "maxConnections", "maxConnectionsPerClient", "topics", "topicParameter", "allowedTopics", "allowedOrigins",
            "allowCredentials", "allowedHeaders", "publicOrigin", "ignoreClientLastEventId", "lastEventIdParameter",
            "maxConnectionAge", "drainWindow", "farewellEvent", "gapEvent", "writeTimeout", "cacheControl", "requestHook",
            "writerThreads", "backplane", "publish", "maxBodyBytes", "bodyDeadline", "bodyGrace", "minBodyRate",
            "maxPendingBodyBytes", "publishThreads", "publishQueue");

    /** Init-params that only configure a hub the servlet builds itself. */
    static final Set<String> HUB_NAMES = Set.of("keepAlive", "maxQueuedFrames", "maxQueuedBytes", "historySize",
            "historyMaxAge", "historyMaxBytes", "slowClientPolicy", "gapEvent", "backplane");

    String hubAttribute = SseServlet.DEFAULT_HUB_ATTRIBUTE;
    Duration keepAlive = Duration.ofSeconds(15);
    int maxQueuedFrames = 1000;
    long maxQueuedBytes = 1 << 20;
    int historySize = 1000;
    Duration historyMaxAge = Duration.ofMinutes(5);
    long historyMaxBytes = 64L << 20;
    SlowClientPolicy slowClientPolicy = SlowClientPolicy.disconnect();
    Duration retry;
    Duration retryJitter = Duration.ZERO;
    Duration overloadRetry = Duration.ofSeconds(10);
    /** Null: not set, the process's {@link FileLimit} bounds this servlet's streams; 0: no limit at all. */
    Integer maxConnections;
    int maxConnectionsPerClient;
    Set<String> topics = Set.of();
    String topicParameter = "topic";
    Set<String> allowedTopics = Set.of();
    Set<String> allowedOrigins = Set.of();
    boolean allowCredentials;
    Set<String> allowedHeaders = Set.of();
    String publicOrigin;
    boolean ignoreClientLastEventId;
    String lastEventIdParameter = "lastEventId";
    Duration maxConnectionAge = Duration.ZERO;
    Duration drainWindow = Duration.ofSeconds(5);
    SseEvent farewell;
    SseEvent gap;
    Duration writeTimeout = Duration.ofSeconds(30);
    String cacheControl = "no-cache, no-transform";
    String requestHook;
    int writerThreads;
    URI backplane;
    /** The {@code publish} init-param: {@code open}, {@code off}, or a {@link PublishPolicy} class name; null if absent. */
    String publish;
    int maxBodyBytes = 1 << 20;
    Duration bodyDeadline = Duration.ofSeconds(30);
    Duration bodyGrace = Duration.ofSeconds(5);
    long minBodyRate = 1024;
    long maxPendingBodyBytes = 64L << 20;
    int publishThreads = 2;
    int publishQueue = 32;

    Settings copy() {
        Settings s = new Settings();
        s.hubAttribute = hubAttribute;
        s.keepAlive = keepAlive;
        s.maxQueuedFrames = maxQueuedFrames;
        s.maxQueuedBytes = maxQueuedBytes;
        s.historySize = historySize;
        s.historyMaxAge = historyMaxAge;
        s.historyMaxBytes = historyMaxBytes;
        s.slowClientPolicy = slowClientPolicy;
        s.retry = retry;
        s.retryJitter = retryJitter;
        s.overloadRetry = overloadRetry;
        s.maxConnections = maxConnections;
        s.maxConnectionsPerClient = maxConnectionsPerClient;
        s.topics = topics;
        s.topicParameter = topicParameter;
        s.allowedTopics = allowedTopics;
        s.allowedOrigins = allowedOrigins;
        s.allowCredentials = allowCredentials;
        s.allowedHeaders = allowedHeaders;
        s.publicOrigin = publicOrigin;
        s.ignoreClientLastEventId = ignoreClientLastEventId;
        s.lastEventIdParameter = lastEventIdParameter;
        s.maxConnectionAge = maxConnectionAge;
        s.drainWindow = drainWindow;
        s.farewell = farewell;
        s.gap = gap;
        s.writeTimeout = writeTimeout;
        s.cacheControl = cacheControl;
        s.requestHook = requestHook;
        s.writerThreads = writerThreads;
        s.backplane = backplane;
        s.publish = publish;
        s.maxBodyBytes = maxBodyBytes;
        s.bodyDeadline = bodyDeadline;
        s.bodyGrace = bodyGrace;
        s.minBodyRate = minBodyRate;
        s.maxPendingBodyBytes = maxPendingBodyBytes;
        s.publishThreads = publishThreads;
        s.publishQueue = publishQueue;
        return s;
    }

    /**
     * Applies the init-params that are present; {@code param} returns {@code null} for an absent one.
     *
     * @throws IllegalArgumentException naming the init-param and the rule it breaks
     */
    void apply(Function<String, String> param) {
        hubAttribute = text(param, "hub", hubAttribute);
        keepAlive = duration(param, "keepAlive", keepAlive);
        maxQueuedFrames = (int) number(param, "maxQueuedFrames", maxQueuedFrames, 1, Integer.MAX_VALUE);
        maxQueuedBytes = number(param, "maxQueuedBytes", maxQueuedBytes, 1, Long.MAX_VALUE);
        historySize = (int) number(param, "historySize", historySize, 0, Integer.MAX_VALUE);
        historyMaxAge = duration(param, "historyMaxAge", historyMaxAge);
        historyMaxBytes = number(param, "historyMaxBytes", historyMaxBytes, 1, Long.MAX_VALUE);
        String policy = param.apply("slowClientPolicy");
        if (policy != null && !policy.isBlank()) {
            slowClientPolicy = policy(policy.trim());
        }
        retry = duration(param, "retry", retry);
        retryJitter = duration(param, "retryJitter", retryJitter);
        overloadRetry = duration(param, "overloadRetry", overloadRetry);
        if (present(param, "maxConnections")) {
            // Present, 0 included, replaces the default bound: 0 then means no limit at all.
            maxConnections = (int) number(param, "maxConnections", 0, 0, Integer.MAX_VALUE);
        }
        maxConnectionsPerClient = (int) number(param, "maxConnectionsPerClient", maxConnectionsPerClient, 0,
                Integer.MAX_VALUE);
        topics = list(param, "topics", topics);
        topicParameter = text(param, "topicParameter", topicParameter);
        allowedTopics = list(param, "allowedTopics", allowedTopics);
        allowedOrigins = list(param, "allowedOrigins", allowedOrigins);
        allowCredentials = bool(param, "allowCredentials", allowCredentials);
        allowedHeaders = list(param, "allowedHeaders", allowedHeaders);
        publicOrigin = text(param, "publicOrigin", publicOrigin);
        ignoreClientLastEventId = bool(param, "ignoreClientLastEventId", ignoreClientLastEventId);
        lastEventIdParameter = text(param, "lastEventIdParameter", lastEventIdParameter);
        cacheControl = text(param, "cacheControl", cacheControl);
        maxConnectionAge = duration(param, "maxConnectionAge", maxConnectionAge);
        drainWindow = duration(param, "drainWindow", drainWindow);
        String farewellEvent = param.apply("farewellEvent");
        if (farewellEvent != null && !farewellEvent.isBlank()) {
            farewell = event("farewellEvent", farewellEvent.trim());
        }
        String gapEvent = param.apply("gapEvent");
        if (gapEvent != null && !gapEvent.isBlank()) {
            gap = event("gapEvent", gapEvent.trim());
        }
        writeTimeout = duration(param, "writeTimeout", writeTimeout);
        requestHook = text(param, "requestHook", requestHook);
        writerThreads = (int) number(param, "writerThreads", writerThreads, 0, 1024);
        String plane = param.apply("backplane");
        if (plane != null && !plane.isBlank()) {
            try {
                backplane = new URI(plane.trim());
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("init-param backplane must be a URI such as redis://host:6379 (was \""
                        + plane + "\")", e);
            }
        }
        publish = text(param, "publish", publish);
        maxBodyBytes = (int) number(param, "maxBodyBytes", maxBodyBytes, 1, Integer.MAX_VALUE - 1);
        bodyDeadline = positive("bodyDeadline", duration(param, "bodyDeadline", bodyDeadline));
        bodyGrace = positive("bodyGrace", duration(param, "bodyGrace", bodyGrace));
        minBodyRate = number(param, "minBodyRate", minBodyRate, 1, Integer.MAX_VALUE);
        maxPendingBodyBytes = number(param, "maxPendingBodyBytes", maxPendingBodyBytes, 1, Long.MAX_VALUE / 2);
        publishThreads = (int) number(param, "publishThreads", publishThreads, 1, 64);
        publishQueue = (int) number(param, "publishQueue", publishQueue, 1, 100_000);
        validate();
    }

    private static Duration positive(String name, Duration d) {
        if (d.isZero() || d.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("init-param " + name + " must be from 1ms to 1 day (was " + d + ")");
        }
        return d;
    }

    static SlowClientPolicy policy(String name) {
        switch (name) {
            case "disconnect":
                return SlowClientPolicy.disconnect();
            case "dropOldest":
                return SlowClientPolicy.dropOldest();
            case "coalesce":
                return SlowClientPolicy.coalesce(SseEvent::event);
            default:
                throw new IllegalArgumentException(
                        "init-param slowClientPolicy must be disconnect, dropOldest or coalesce (was \"" + name + "\")");
        }
    }

    /** @return the stream rules of these settings */
    StreamRules streamRules() {
        return StreamRules.builder().topics(topics).allowedTopics(allowedTopics).topicParameter(topicParameter)
                .lastEventIdParameter(lastEventIdParameter).ignoreClientLastEventId(ignoreClientLastEventId)
                .allowedOrigins(allowedOrigins, allowCredentials).publicOrigin(publicOrigin)
                .allowedHeaders(allowedHeaders).cacheControl(cacheControl).retry(retry, retryJitter, overloadRetry)
                .maxConnectionsPerClient(maxConnectionsPerClient).build();
    }

    void validate() {
        if (allowCredentials && allowedOrigins.contains("*")) {
            throw new IllegalArgumentException(
                    "allowCredentials cannot be combined with allowedOrigins \"*\": list the origins explicitly");
        }
    }

    private static boolean present(Function<String, String> param, String name) {
        String v = param.apply(name);
        return v != null && !v.isBlank();
    }

    /** An empty event of the given type; a type that cannot go on the wire is refused naming the init-param. */
    private static SseEvent event(String name, String type) {
        try {
            return SseEvent.of(type, "");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("init-param " + name + " must be a valid event type (" + e.getMessage()
                    + ")", e);
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

    private static long number(Function<String, String> param, String name, long dflt, long min, long max) {
        String v = param.apply(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        long n;
        try {
            n = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("init-param " + name + " must be a whole number from " + min + " to "
                    + max + " (was \"" + v + "\")", e);
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("init-param " + name + " must be from " + min + " to " + max
                    + " (was " + v.trim() + ")");
        }
        return n;
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
        Duration d;
        try {
            String t = v.toLowerCase(Locale.ROOT);
            if (t.startsWith("p")) {
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
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("init-param " + name
                    + " must be a duration such as 250ms, 15s, 5m, 1h or PT15S (was \"" + v + "\")", e);
        }
        if (d.isNegative()) {
            throw new IllegalArgumentException("init-param " + name + " must not be negative (was \"" + v + "\")");
        }
        return d;
    }
}
