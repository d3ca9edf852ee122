package dev.sse.core.http;

import dev.sse.core.SseEvent;
import dev.sse.core.SseFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a stream request ({@code GET}, {@code HEAD}, and the {@code OPTIONS} preflight for them) is judged and answered,
 * the same on every runtime. Immutable; any thread.
 *
 * <p>Cross-origin: a request without {@code Origin} (same origin, or not a browser) is allowed; so is a listed origin
 * or {@code *}; so is the server's own, which is {@code publicOrigin} when set, otherwise derived from the request's
 * scheme, host and port (which a DNS-rebinding page controls through {@code Host}: set {@code publicOrigin} when
 * streams carry anything private). Allowed origins are echoed, never answered with {@code *}.
 *
 * <p>What a stream asks for: the configured topics plus those the topic parameter adds (comma-separated, each one in
 * {@code allowedTopics} or {@code *} allowed; otherwise {@code 204}, which stops a browser reconnecting); the resume
 * point from {@code Last-Event-ID} (re-decoded as UTF-8) or else the last-event-id query parameter. A malformed query
 * is {@code 400} naming the parameter.
 *
 * <p>Load: a shed stream gets {@code 200}, a {@code retry:} line and its end (never 503, which a browser never
 * retries); a client over its own cap gets {@code 429} with {@code Retry-After}.
 */
public final class StreamRules {

    private static final Logger LOG = LoggerFactory.getLogger(StreamRules.class);

    /** The methods a preflight may ask for a stream ({@code Access-Control-Allow-Methods}). */
    public static final String METHODS = "GET, HEAD";
    /** The {@code Allow} of an endpoint that only streams. */
    public static final String ALLOW = "GET, HEAD, OPTIONS";

    private final List<String> orderedTopics;
    private final Set<String> allowedTopics;
    private final String topicParameter;
    private final String lastEventIdParameter;
    private final boolean ignoreClientLastEventId;
    private final Set<String> allowedOrigins;
    private final boolean credentials;
    private final String publicOrigin;
    private final Set<String> allowedHeadersLower;
    private final String allowedHeadersValue;
    private final String cacheControl;
    private final Duration retry;
    private final Duration retryJitter;
    private final Duration overloadRetry;
    private final int maxConnectionsPerClient;

    private StreamRules(Builder b) {
        this.allowedTopics = Set.copyOf(b.allowedTopics);
        this.topicParameter = b.topicParameter;
        this.lastEventIdParameter = b.lastEventIdParameter;
        this.ignoreClientLastEventId = b.ignoreClientLastEventId;
        this.allowedOrigins = Set.copyOf(b.allowedOrigins);
        this.credentials = b.allowCredentials;
        this.publicOrigin = b.publicOrigin;
        Set<String> headers = new LinkedHashSet<>();
        headers.add("Last-Event-ID");
        headers.addAll(b.allowedHeaders);
        Set<String> lower = new LinkedHashSet<>();
        for (String h : headers) {
            lower.add(h.toLowerCase(Locale.ROOT));
        }
        this.allowedHeadersLower = Set.copyOf(lower);
        this.allowedHeadersValue = String.join(", ", headers);
        this.cacheControl = b.cacheControl;
        this.retry = b.retry;
        this.retryJitter = b.retryJitter;
        this.overloadRetry = b.overloadRetry;
        this.maxConnectionsPerClient = b.maxConnectionsPerClient;
        this.orderedTopics = List.copyOf(new LinkedHashSet<>(b.topics));
    }

    /** @return a builder with the defaults of the settings table */
    public static Builder builder() {
        return new Builder();
    }

    /** What an accepted stream asks for. */
    public record Target(Set<String> topics, String lastEventId) {
        /**
         * @param topics the topics, in order; copied
         * @param lastEventId the resume point, or {@code null}
         */
        public Target {
            topics = topics.isEmpty() ? Set.of() : Collections.unmodifiableSet(new LinkedHashSet<>(topics));
        }
    }

    /**
     * The cross-origin check of a {@code GET} or {@code HEAD}.
     *
     * @param request the request
     * @return acceptance with the headers to add ({@code Vary}, and for a cross-origin request
     *         {@code Access-Control-Allow-Origin} and maybe {@code -Credentials}); or {@code 403} naming {@code Origin}
     */
    public Decision<Void> admitOrigin(RequestView request) {
        String origin = request.header("Origin");
        List<Header> headers = new ArrayList<>(3);
        headers.add(new Header("Vary", "Origin"));
        if (origin == null) {
            return Decision.accept(null, headers);
        }
        if (!allowed(request, origin)) {
            LOG.debug("stream refused for origin {}", origin);
            return Decision.refuse(HttpAnswer.error(403, "Origin", "origin " + origin + " is not allowed")
                    .withHeadersFirst(headers));
        }
        allowOrigin(headers, origin);
        return Decision.accept(null, headers);
    }

    /**
     * Answers an {@code OPTIONS} request for streams: a CORS preflight, or a plain one ({@code 204}).
     *
     * @param request the request
     * @param allow the {@code Allow} value, which comes first: {@link #ALLOW}, or {@link PublishRules#ALLOW}: what the endpoint serves
     * @return the answer
     */
    public HttpAnswer preflight(RequestView request, String allow) {
        List<Header> headers = new ArrayList<>();
        headers.add(new Header("Allow", allow));
        String origin = request.header("Origin");
        String method = request.header("Access-Control-Request-Method");
        if (origin == null || method == null) {
            return HttpAnswer.of(204, headers.toArray(new Header[0]));
        }
        headers.add(new Header("Vary", "Origin"));
        String refused = null;
        if (!allowed(request, origin)) {
            refused = "origin " + origin + " is not allowed";
        } else if (!(method.equals("GET") || method.equals("HEAD"))) {
            refused = "method " + method + " is not allowed";
        } else {
            String asked = request.header("Access-Control-Request-Headers");
            if (asked != null) {
                for (String h : asked.split(",")) {
                    String name = h.trim().toLowerCase(Locale.ROOT);
                    if (!name.isEmpty() && !allowedHeadersLower.contains(name)) {
                        refused = "header " + h.trim() + " is not allowed";
                        break;
                    }
                }
            }
        }
        if (refused != null) {
            LOG.debug("CORS preflight refused: {}", refused);
            return HttpAnswer.error(403, "Origin", refused).withHeadersFirst(headers);
        }
        allowOrigin(headers, origin);
        headers.add(new Header("Access-Control-Allow-Methods", METHODS));
        headers.add(new Header("Access-Control-Allow-Headers", allowedHeadersValue));
        headers.add(new Header("Access-Control-Max-Age", "600"));
        return HttpAnswer.of(204, headers.toArray(new Header[0]));
    }

    /**
     * What a stream request asks for. Call after {@link #admitOrigin}.
     *
     * @param request the request
     * @return the topics and resume point; or {@code 400} naming the parameter of a malformed query, or {@code 204}
     *         (no body) for a topic that is not allowed
     */
    public Decision<Target> target(RequestView request) {
        Decision<Map<String, List<String>>> q = RequestText.query(request.rawQuery());
        if (!q.accepted()) {
            return q.asRefusal();
        }
        Map<String, List<String>> query = q.value();
        Set<String> out = new LinkedHashSet<>(orderedTopics);
        List<String> asked = query.get(topicParameter);
        if (asked != null && !allowedTopics.isEmpty()) {
            boolean any = allowedTopics.contains("*");
            for (String value : asked) {
                for (String t : value.split(",")) {
                    String topic = t.trim();
                    if (topic.isEmpty()) {
                        continue;
                    }
                    if (!any && !allowedTopics.contains(topic)) {
                        // 204: the browser stops reconnecting, which is right for a topic it may never have.
                        LOG.debug("stream refused ({}): topic {} is not allowed", topicParameter, topic);
                        return Decision.refuse(HttpAnswer.of(204));
                    }
                    out.add(topic);
                }
            }
        }
        String lastEventId = null;
        if (!ignoreClientLastEventId) {
            String header = request.header("Last-Event-ID");
            if (header != null) {
                lastEventId = RequestText.headerUtf8(header);
            } else {
                List<String> param = query.get(lastEventIdParameter);
                if (param != null && !param.get(0).isEmpty()) {
                    lastEventId = param.get(0);
                }
            }
        }
        return Decision.accept(new Target(out, lastEventId), List.of());
    }

    /**
     * The headers of a stream's {@code 200}: {@code Content-Type: text/event-stream;charset=utf-8}, the configured
     * {@code Cache-Control}, {@code X-Accel-Buffering: no} (so nginx does not buffer).
     *
     * @return the headers, in order
     */
    public List<Header> streamHeaders() {
        return List.of(new Header("Content-Type", "text/event-stream;charset=utf-8"),
                new Header("Cache-Control", cacheControl), new Header("X-Accel-Buffering", "no"));
    }

    /**
     * The event a stream opens with: its {@code retry:} hint plus a random jitter, or {@code null} when none is set.
     *
     * @return the event or {@code null}
     */
    public SseEvent openingEvent() {
        return retryEvent(retry);
    }

    /**
     * The event that tells a shed client when to come back: {@code overloadRetry} plus a random jitter.
     *
     * @return the event
     */
    public SseEvent overloadEvent() {
        return retryEvent(overloadRetry);
    }

    /**
     * Load shedding the browser survives: {@code 200}, the stream headers, a {@code retry:} line, end.
     *
     * @return the answer
     */
    public HttpAnswer shed() {
        return HttpAnswer.of(200, streamHeaders(), SseFrame.of(overloadEvent()).toByteArray());
    }

    /**
     * One client holds {@code maxConnectionsPerClient} streams already: {@code 429} (which a browser does not retry)
     * with {@code Retry-After} from {@code overloadRetry}, at least one second.
     *
     * @return the answer
     */
    public HttpAnswer tooManyFromClient() {
        long seconds = Math.max(1, (overloadRetry.toMillis() + 999) / 1000);
        return HttpAnswer.error(429, "maxConnectionsPerClient", "this client has " + maxConnectionsPerClient
                + " streams open already, the most allowed")
                .withHeadersFirst(List.of(new Header("Retry-After", Long.toString(seconds))));
    }

    /**
     * The key a client's streams are counted under for {@code maxConnectionsPerClient}: its principal's name when
     * authenticated, else its address; prefixed, so a user named like an address does not share its count.
     *
     * @param principalName the authenticated name, or {@code null}
     * @param remoteAddress the peer's address
     * @return the key
     */
    public static String clientKey(String principalName, String remoteAddress) {
        return principalName != null ? "user:" + principalName : "addr:" + remoteAddress;
    }

    /**
     * A method the endpoint does not serve: {@code 405} with {@code Allow} and a JSON body naming {@code method}.
     *
     * @param method the method asked for
     * @param publishing whether the endpoint also takes {@code POST}
     * @return the answer
     */
    public static HttpAnswer methodNotAllowed(String method, boolean publishing) {
        String allow = publishing ? PublishRules.ALLOW : ALLOW;
        return HttpAnswer.error(405, "method", publishing
                ? method + " is not supported here; use GET to listen or POST to publish"
                : method + " is not allowed; use " + ALLOW).withHeadersFirst(List.of(new Header("Allow", allow)));
    }

    private SseEvent retryEvent(Duration base) {
        if (base == null) {
            return null;
        }
        long jitter = retryJitter.toMillis();
        long extra = jitter <= 0 ? 0 : ThreadLocalRandom.current().nextLong(jitter + 1);
        return SseEvent.builder().retry(base.plusMillis(extra)).build();
    }

    private void allowOrigin(List<Header> headers, String origin) {
        // Echo, never "*": a credentialed request would be refused by the browser otherwise.
        headers.add(new Header("Access-Control-Allow-Origin", origin));
        if (credentials) {
            headers.add(new Header("Access-Control-Allow-Credentials", "true"));
        }
    }

    private boolean allowed(RequestView request, String origin) {
        if (allowedOrigins.contains(origin) || allowedOrigins.contains("*")) {
            return true;
        }
        return origin.equalsIgnoreCase(publicOrigin != null ? publicOrigin : RequestView.ownOrigin(request));
    }

    /** Collects the stream rules' settings; every value has the settings table's default. Not thread-safe. */
    public static final class Builder {
        private Collection<String> topics = List.of();
        private Collection<String> allowedTopics = List.of();
        private String topicParameter = "topic";
        private String lastEventIdParameter = "lastEventId";
        private boolean ignoreClientLastEventId;
        private Collection<String> allowedOrigins = List.of();
        private boolean allowCredentials;
        private String publicOrigin;
        private Collection<String> allowedHeaders = List.of();
        private String cacheControl = "no-cache, no-transform";
        private Duration retry;
        private Duration retryJitter = Duration.ZERO;
        private Duration overloadRetry = Duration.ofSeconds(10);
        private int maxConnectionsPerClient;

        private Builder() {
        }

        /**
         * @param topics the topics every stream gets
         * @return this builder
         */
        public Builder topics(Collection<String> topics) {
            this.topics = List.copyOf(topics);
            return this;
        }

        /**
         * @param allowedTopics topics the query may add, {@code *} for any; empty: the query adds none
         * @return this builder
         */
        public Builder allowedTopics(Collection<String> allowedTopics) {
            this.allowedTopics = List.copyOf(allowedTopics);
            return this;
        }

        /**
         * @param name the query parameter naming topics (default {@code topic})
         * @return this builder
         */
        public Builder topicParameter(String name) {
            this.topicParameter = Objects.requireNonNull(name, "topicParameter");
            return this;
        }

        /**
         * @param name the query parameter carrying a resume id when no header can (default {@code lastEventId})
         * @return this builder
         */
        public Builder lastEventIdParameter(String name) {
            this.lastEventIdParameter = Objects.requireNonNull(name, "lastEventIdParameter");
            return this;
        }

        /**
         * @param ignore whether a client's resume id is ignored
         * @return this builder
         */
        public Builder ignoreClientLastEventId(boolean ignore) {
            this.ignoreClientLastEventId = ignore;
            return this;
        }

        /**
         * @param origins origins allowed besides the server's own, {@code *} for any
         * @param credentials whether cross-origin requests may carry credentials
         * @return this builder
         */
        public Builder allowedOrigins(Collection<String> origins, boolean credentials) {
            this.allowedOrigins = List.copyOf(origins);
            this.allowCredentials = credentials;
            return this;
        }

        /**
         * @param origin the server's own origin as browsers see it, or {@code null} to derive it from each request
         * @return this builder
         */
        public Builder publicOrigin(String origin) {
            this.publicOrigin = origin;
            return this;
        }

        /**
         * @param headers headers a preflight may ask for besides {@code Last-Event-ID}
         * @return this builder
         */
        public Builder allowedHeaders(Collection<String> headers) {
            this.allowedHeaders = List.copyOf(headers);
            return this;
        }

        /**
         * @param value the {@code Cache-Control} of a stream
         * @return this builder
         */
        public Builder cacheControl(String value) {
            this.cacheControl = Objects.requireNonNull(value, "cacheControl");
            return this;
        }

        /**
         * @param retry the {@code retry:} a stream opens with, or {@code null} for none
         * @param jitter the most random extra per client
         * @param overload the {@code retry:} of a shed stream
         * @return this builder
         */
        public Builder retry(Duration retry, Duration jitter, Duration overload) {
            this.retry = retry;
            this.retryJitter = Objects.requireNonNull(jitter, "retryJitter");
            this.overloadRetry = Objects.requireNonNull(overload, "overloadRetry");
            return this;
        }

        /**
         * @param max the most live streams per client, 0 for no limit (named in the {@code 429})
         * @return this builder
         */
        public Builder maxConnectionsPerClient(int max) {
            this.maxConnectionsPerClient = max;
            return this;
        }

        /** @return the rules */
        public StreamRules build() {
            return new StreamRules(this);
        }
    }
}
