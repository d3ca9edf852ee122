package dev.sse.core.http;

import dev.sse.core.SlowClientPolicy;
import dev.sse.core.SseEvent;
import dev.sse.core.http.Setting.Scope;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The one table of an SSE endpoint's settings. Every adapter reads its configuration through it: the servlet's
 * init-params, the WebFlux and Vert.x adapters' options; Spring Boot's {@code sse.*} properties are checked against it
 * ({@link Setting#bootProperty()}). Adding a setting is one row here plus its use; tests fail until the README's
 * Settings table, {@code SseServlet}'s Javadoc and Boot's metadata have it too.
 *
 * <pre>{@code
 * SseSettings.Values v = SseSettings.parse(config::getInitParameter, "init-param");
 * Duration keepAlive = v.get(SseSettings.KEEP_ALIVE);
 * }</pre>
 */
public final class SseSettings {

    private static final List<Setting<?>> ROWS = new ArrayList<>();

    /** The name the hub is shared under (a servlet-context attribute). */
    public static final Setting<String> HUB = add("hub", "text", "dev.sse.core.Hub", "dev.sse.core.Hub", "any", Scope.ENDPOINT,
            "Name (servlet-context attribute) the hub is shared under", null, SseSettings::text);
    /** Keep-alive comment interval. */
    public static final Setting<Duration> KEEP_ALIVE = add("keepAlive", "duration", Duration.ofSeconds(15), "15s",
            "≥ 0", Scope.HUB, "Comment on an idle stream; also how soon a vanished client is found; 0 disables",
            "sse.keep-alive", SseSettings::duration);
    /** Per-client queue length. */
    public static final Setting<Integer> MAX_QUEUED_FRAMES = add("maxQueuedFrames", "int", 1000, "1000",
            "1 – 2³¹−1", Scope.HUB, "Most events queued for one client", "sse.max-queued-frames", whole(1,
                    Integer.MAX_VALUE));
    /** Per-client queue bytes. */
    public static final Setting<Long> MAX_QUEUED_BYTES = add("maxQueuedBytes", "bytes", 1L << 20, "1048576 (1 MiB)",
            "≥ 1", Scope.HUB, "Most bytes queued for one client", "sse.max-queued-bytes", wholeLong(1,
                    Long.MAX_VALUE));
    /** History length. */
    public static final Setting<Integer> HISTORY_SIZE = add("historySize", "int", 1000, "1000", "≥ 0", Scope.HUB,
            "Events kept for Last-Event-ID resume; 0 keeps none", "sse.history-size", whole(0, Integer.MAX_VALUE));
    /** History age. */
    public static final Setting<Duration> HISTORY_MAX_AGE = add("historyMaxAge", "duration", Duration.ofMinutes(5),
            "5m", "≥ 0", Scope.HUB, "How long events are kept for resume", "sse.history-max-age",
            SseSettings::duration);
    /** History bytes. */
    public static final Setting<Long> HISTORY_MAX_BYTES = add("historyMaxBytes", "bytes", 64L << 20,
            "67108864 (64 MiB)", "≥ 1", Scope.HUB, "Most bytes of encoded events kept for resume",
            "sse.history-max-bytes", wholeLong(1, Long.MAX_VALUE));
    /** Slow-client policy by name. */
    public static final Setting<SlowClientPolicy> SLOW_CLIENT_POLICY = add("slowClientPolicy", "policy",
            SlowClientPolicy.disconnect(), "disconnect", "disconnect, dropOldest, coalesce", Scope.HUB,
            "What a client whose queue is full gets (coalesce: newest per event type)", "sse.slow-client-policy",
            SseSettings::policy);
    /** Retry hint at open. */
    public static final Setting<Duration> RETRY = add("retry", "duration", null, "none", "≥ 0", Scope.ENDPOINT,
            "Reconnection delay sent as retry: when a stream opens", "sse.retry", SseSettings::duration);
    /** Retry jitter. */
    public static final Setting<Duration> RETRY_JITTER = add("retryJitter", "duration", Duration.ZERO, "0", "≥ 0",
            Scope.ENDPOINT, "Random extra added to retry per client, so clients do not reconnect at once",
            "sse.retry-jitter", SseSettings::duration);
    /** Retry hint when shed. */
    public static final Setting<Duration> OVERLOAD_RETRY = add("overloadRetry", "duration", Duration.ofSeconds(10),
            "10s", "≥ 0", Scope.ENDPOINT, "retry: hint (plus jitter) sent when a stream is shed; Retry-After of a 429",
            "sse.overload-retry", SseSettings::duration);
    /** Stream cap. */
    public static final Setting<Integer> MAX_CONNECTIONS = add("maxConnections", "int", null,
            "file limit − max(64, 10%)", "≥ 0", Scope.ENDPOINT,
            "Most live streams; beyond it 200 + retry: and close; 0 for no limit", "sse.max-connections",
            whole(0, Integer.MAX_VALUE));
    /** Per-client stream cap. */
    public static final Setting<Integer> MAX_CONNECTIONS_PER_CLIENT = add("maxConnectionsPerClient", "int", 0, "0",
            "≥ 0", Scope.ENDPOINT, "Most live streams of one user (else address); beyond it 429; 0 for no cap",
            "sse.max-connections-per-client", whole(0, Integer.MAX_VALUE));
    /** Topics of every stream. */
    public static final Setting<Set<String>> TOPICS = add("topics", "list", Set.of(), "none", "comma-separated",
            Scope.ENDPOINT, "Topics every stream subscribes to", "sse.topics", SseSettings::list);
    /** Topic query parameter. */
    public static final Setting<String> TOPIC_PARAMETER = add("topicParameter", "text", "topic", "topic", "any",
            Scope.ENDPOINT, "Query parameter naming topics (and a publication's topic)", null, SseSettings::text);
    /** Topics a client may add. */
    public static final Setting<Set<String>> ALLOWED_TOPICS = add("allowedTopics", "list", Set.of(), "none",
            "comma-separated, * for any", Scope.ENDPOINT, "Topics a client may add with the topic parameter",
            "sse.allowed-topics", SseSettings::list);
    /** CORS origins. */
    public static final Setting<Set<String>> ALLOWED_ORIGINS = add("allowedOrigins", "list", Set.of(), "none",
            "comma-separated, * for any", Scope.ENDPOINT, "Cross-origin callers allowed besides the server's own",
            "sse.allowed-origins", SseSettings::list);
    /** CORS credentials. */
    public static final Setting<Boolean> ALLOW_CREDENTIALS = add("allowCredentials", "boolean", false, "false",
            "true, false", Scope.ENDPOINT, "Whether cross-origin callers may send cookies (not with *)",
            "sse.allow-credentials", SseSettings::bool);
    /** CORS headers. */
    public static final Setting<Set<String>> ALLOWED_HEADERS = add("allowedHeaders", "list", Set.of(), "none",
            "comma-separated", Scope.ENDPOINT, "Headers a preflight may ask for besides Last-Event-ID",
            "sse.allowed-headers", SseSettings::list);
    /** The server's own origin. */
    public static final Setting<String> PUBLIC_ORIGIN = add("publicOrigin", "text", null, "from the request",
            "an origin", Scope.ENDPOINT, "This server's origin as browsers see it (set it against DNS rebinding)",
            "sse.public-origin", SseSettings::text);
    /** Never resume. */
    public static final Setting<Boolean> IGNORE_CLIENT_LAST_EVENT_ID = add("ignoreClientLastEventId", "boolean",
            false, "false", "true, false", Scope.ENDPOINT, "Ignore the client's Last-Event-ID and never resume",
            "sse.ignore-client-last-event-id", SseSettings::bool);
    /** Resume query parameter. */
    public static final Setting<String> LAST_EVENT_ID_PARAMETER = add("lastEventIdParameter", "text",
            "lastEventId", "lastEventId", "any", Scope.ENDPOINT,
            "Query parameter carrying a resume id where no header can", null, SseSettings::text);
    /** Stream age. */
    public static final Setting<Duration> MAX_CONNECTION_AGE = add("maxConnectionAge", "duration", Duration.ZERO,
            "0 (none)", "≥ 0", Scope.ENDPOINT, "A stream ends after 80–100% of this, so clients move between nodes",
            "sse.max-connection-age", SseSettings::duration);
    /** Drain window. */
    public static final Setting<Duration> DRAIN_WINDOW = add("drainWindow", "duration", Duration.ofSeconds(5),
            "5s (Boot: 2s)", "≥ 0", Scope.ENDPOINT, "On shutdown, streams end spread at random over this window",
            "sse.drain-window", SseSettings::duration);
    /** Farewell event. */
    public static final Setting<SseEvent> FAREWELL_EVENT = add("farewellEvent", "event type", null, "none",
            "an event type", Scope.ENDPOINT, "Empty event of this type sent to each stream before it ends on shutdown",
            "sse.farewell-event", SseSettings::event);
    /** Gap event. */
    public static final Setting<SseEvent> GAP_EVENT = add("gapEvent", "event type", null, "none", "an event type",
            Scope.HUB, "Empty event of this type sent ahead of a replay that the history cannot fully serve",
            "sse.gap-event", SseSettings::event);
    /** Write timeout. */
    public static final Setting<Duration> WRITE_TIMEOUT = add("writeTimeout", "duration", Duration.ofSeconds(30),
            "30s", "≥ 0", Scope.ENDPOINT, "A client whose socket takes nothing this long is dropped; 0 disables",
            "sse.write-timeout", SseSettings::duration);
    /** Cache-Control. */
    public static final Setting<String> CACHE_CONTROL = add("cacheControl", "text", "no-cache, no-transform",
            "no-cache, no-transform", "a header value", Scope.ENDPOINT, "Cache-Control of a stream", null,
            SseSettings::text);
    /** Request hook class. */
    public static final Setting<String> REQUEST_HOOK = add("requestHook", "class name", null, "none",
            "a class name", Scope.ENDPOINT, "Hook run before a stream opens (servlet: SseServlet.RequestHook)", null,
            SseSettings::text);
    /** Writer threads. */
    public static final Setting<Integer> WRITER_THREADS = add("writerThreads", "int", 0, "0 (one per core)",
            "0 – 1024", Scope.ENDPOINT, "Threads that write to sockets; 0 for one per core", "sse.writer-threads",
            whole(0, 1024));
    /** Backplane URI. */
    public static final Setting<URI> BACKPLANE = add("backplane", "URI", null, "none", "a URI, e.g. redis://host",
            Scope.HUB, "Many nodes as one hub, through the BackplaneProvider for the URI's scheme", "sse.redis.url",
            SseSettings::uri);
    /** Publishing. */
    public static final Setting<String> PUBLISH = add("publish", "text", "off", "off",
            "off, open, a policy class name", Scope.PUBLISH, "Who may POST to publish: off, open, or a policy class",
            "sse.publish", SseSettings::text);
    /** Body limit. */
    public static final Setting<Integer> MAX_BODY_BYTES = add("maxBodyBytes", "bytes", 1 << 20,
            "1048576 (1 MiB)", "1 – 2³¹−2", Scope.PUBLISH, "Most bytes of a published body; more is 413",
            "sse.max-body-size", whole(1, Integer.MAX_VALUE - 1));
    /** Body deadline. */
    public static final Setting<Duration> BODY_DEADLINE = add("bodyDeadline", "duration", Duration.ofSeconds(30),
            "30s", "1ms – 1 day", Scope.PUBLISH, "Time a published body may take to arrive; then 408",
            "sse.body-deadline", SseSettings::positiveDuration);
    /** Body grace. */
    public static final Setting<Duration> BODY_GRACE = add("bodyGrace", "duration", Duration.ofSeconds(5), "5s",
            "1ms – 1 day", Scope.PUBLISH, "Time before minBodyRate applies to a published body", "sse.body-grace",
            SseSettings::positiveDuration);
    /** Body rate. */
    public static final Setting<Long> MIN_BODY_RATE = add("minBodyRate", "int", 1024L, "1024", "1 – 2³¹−1",
            Scope.PUBLISH, "Bytes a second a body must keep after the grace time; below it 408", "sse.min-body-rate",
            wholeLong(1, Integer.MAX_VALUE));
    /** Pending body memory. */
    public static final Setting<Long> MAX_PENDING_BODY_BYTES = add("maxPendingBodyBytes", "bytes", 64L << 20,
            "67108864 (64 MiB)", "≥ 1", Scope.PUBLISH, "Memory all published bodies held at once may take; past it 503",
            "sse.max-pending-body-size", wholeLong(1, Long.MAX_VALUE / 2));
    /** Publish threads. */
    public static final Setting<Integer> PUBLISH_THREADS = add("publishThreads", "int", 2, "2", "1 – 64",
            Scope.PUBLISH, "Threads that run broadcasts of published bodies", "sse.publish-threads", whole(1, 64));
    /** Publish queue. */
    public static final Setting<Integer> PUBLISH_QUEUE = add("publishQueue", "int", 32, "32", "1 – 100000",
            Scope.PUBLISH, "Broadcasts that may wait for a publish thread; more is 503", "sse.publish-queue",
            whole(1, 100_000));

    private static final List<Setting<?>> ALL = List.copyOf(ROWS);
    private static final Map<String, Setting<?>> BY_NAME;

    static {
        Map<String, Setting<?>> byName = new LinkedHashMap<>();
        for (Setting<?> s : ALL) {
            byName.put(s.name(), s);
        }
        BY_NAME = Collections.unmodifiableMap(byName);
    }

    private SseSettings() {
    }

    /** @return every setting, in the table's order */
    public static List<Setting<?>> all() {
        return ALL;
    }

    /**
     * Looks a setting up by name.
     *
     * @param name the name, e.g. {@code keepAlive}
     * @return the setting, or {@code null} when there is none of that name
     */
    public static Setting<?> named(String name) {
        return BY_NAME.get(name);
    }

    /**
     * Parses every setting from a source of text values; a setting the source has no (or a blank) value for keeps
     * its default. Nothing is applied when one value is bad.
     *
     * @param source the value of a name, or {@code null} when absent (e.g. {@code config::getInitParameter})
     * @param label how the source is called in messages, e.g. {@code init-param}
     * @return the values
     * @throws IllegalArgumentException naming the first bad setting, its rule and its value
     */
    public static Values parse(Function<String, String> source, String label) {
        return parse(source, s -> label + " " + s.name());
    }

    /**
     * Parses every setting as {@link #parse(Function, String)} does, with messages that call each setting by a name
     * of the caller's (e.g. {@link Setting#bootProperty()}).
     *
     * @param source the value of a setting's {@link Setting#name()}, or {@code null} when absent
     * @param naming how messages call a setting
     * @return the values
     * @throws IllegalArgumentException naming the first bad setting, its rule and its value
     */
    public static Values parse(Function<String, String> source, Function<Setting<?>, String> naming) {
        Map<Setting<?>, Object> present = new IdentityHashMap<>();
        for (Setting<?> s : ALL) {
            String raw = source.apply(s.name());
            if (raw != null && !raw.isBlank()) {
                present.put(s, s.parseNamed(raw, naming.apply(s)));
            }
        }
        if (Boolean.TRUE.equals(present.get(ALLOW_CREDENTIALS))
                && ((Set<?>) present.getOrDefault(ALLOWED_ORIGINS, Set.of())).contains("*")) {
            throw new IllegalArgumentException(
                    "allowCredentials cannot be combined with allowedOrigins \"*\": list the origins explicitly");
        }
        return new Values(present);
    }

    /** Parsed settings: those given, and the defaults of the others. Immutable. */
    public static final class Values {
        private final Map<Setting<?>, Object> present;

        private Values(Map<Setting<?>, Object> present) {
            this.present = present;
        }

        /**
         * @param setting a setting of the table
         * @param <T> its type
         * @return its value: as given, else its default
         */
        @SuppressWarnings("unchecked")
        public <T> T get(Setting<T> setting) {
            return present.containsKey(setting) ? (T) present.get(setting) : setting.defaultValue();
        }

        /**
         * @param setting a setting of the table
         * @return whether the source gave it
         */
        public boolean isSet(Setting<?> setting) {
            return present.containsKey(setting);
        }

        /**
         * These values with one more given, typed already (a builder's, say).
         *
         * @param setting a setting of the table
         * @param value its value
         * @param <T> its type
         * @return new values
         */
        public <T> Values with(Setting<T> setting, T value) {
            Map<Setting<?>, Object> more = new IdentityHashMap<>(present);
            more.put(setting, value);
            return new Values(more);
        }

        /** @return the settings the source gave, in the table's order */
        public List<Setting<?>> given() {
            List<Setting<?>> out = new ArrayList<>();
            for (Setting<?> s : ALL) {
                if (present.containsKey(s)) {
                    out.add(s);
                }
            }
            return out;
        }
    }

    private static <T> Setting<T> add(String name, String type, T dflt, String dfltText, String range, Scope scope,
                                      String doc, String boot, BiFunction<String, String, T> parser) {
        Setting<T> s = new Setting<>(name, type, dflt, dfltText, range, scope, doc, boot, parser);
        ROWS.add(s);
        return s;
    }

    private static String text(String v, String what) {
        return v.trim();
    }

    private static boolean bool(String v, String what) {
        String t = v.trim().toLowerCase(Locale.ROOT);
        if (t.equals("true") || t.equals("false")) {
            return Boolean.parseBoolean(t);
        }
        throw new IllegalArgumentException(what + " must be true or false (was \"" + v + "\")");
    }

    private static BiFunction<String, String, Integer> whole(int min, int max) {
        return (v, what) -> (int) number(v, what, min, max);
    }

    private static BiFunction<String, String, Long> wholeLong(long min, long max) {
        return (v, what) -> number(v, what, min, max);
    }

    private static long number(String v, String what, long min, long max) {
        long n;
        try {
            n = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be a whole number from " + min + " to " + max
                    + " (was \"" + v + "\")", e);
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(what + " must be from " + min + " to " + max + " (was " + v.trim()
                    + ")");
        }
        return n;
    }

    private static Set<String> list(String v, String what) {
        Set<String> out = new LinkedHashSet<>();
        for (String part : v.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return Collections.unmodifiableSet(out);
    }

    /**
     * Parses a slow-client policy by its name.
     *
     * @param name {@code disconnect}, {@code dropOldest} or {@code coalesce} (newest per event type)
     * @param what how the value is called in the message
     * @return the policy
     * @throws IllegalArgumentException naming {@code what} and the names known
     */
    public static SlowClientPolicy policy(String name, String what) {
        switch (name.trim()) {
            case "disconnect":
                return SlowClientPolicy.disconnect();
            case "dropOldest":
                return SlowClientPolicy.dropOldest();
            case "coalesce":
                return SlowClientPolicy.coalesce(SseEvent::event);
            default:
                throw new IllegalArgumentException(what + " must be disconnect, dropOldest or coalesce (was \""
                        + name.trim() + "\")");
        }
    }

    private static SseEvent event(String type, String what) {
        try {
            return SseEvent.of(type.trim(), "");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " must be a valid event type (" + e.getMessage() + ")", e);
        }
    }

    private static URI uri(String v, String what) {
        try {
            return new URI(v.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(what + " must be a URI such as redis://host:6379 (was \"" + v + "\")",
                    e);
        }
    }

    private static Duration positiveDuration(String v, String what) {
        Duration d = duration(v, what);
        if (d.isZero() || d.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException(what + " must be from 1ms to 1 day (was " + d + ")");
        }
        return d;
    }

    /**
     * Parses a duration: {@code 250ms}, {@code 15s}, {@code 5m}, {@code 1h}, ISO-8601 ({@code PT15S}) or plain
     * milliseconds; never negative.
     *
     * @param v the text
     * @param what how the value is called in the message
     * @return the duration
     * @throws IllegalArgumentException naming {@code what} and the forms accepted
     */
    public static Duration duration(String v, String what) {
        String trimmed = v.trim();
        Duration d;
        try {
            String t = trimmed.toLowerCase(Locale.ROOT);
            if (t.startsWith("p")) {
                d = Duration.parse(trimmed.toUpperCase(Locale.ROOT));
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
            throw new IllegalArgumentException(what + " must be a duration such as 250ms, 15s, 5m, 1h or PT15S (was \""
                    + trimmed + "\")", e);
        }
        if (d.isNegative()) {
            throw new IllegalArgumentException(what + " must not be negative (was \"" + trimmed + "\")");
        }
        return d;
    }
}
