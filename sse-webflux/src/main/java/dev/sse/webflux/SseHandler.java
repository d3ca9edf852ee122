package dev.sse.webflux;

import dev.sse.core.ChannelOptions;
import dev.sse.core.CloseReason;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.HandlerStrategies;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Streams a {@link Hub} to every client that asks, on Spring WebFlux: what {@code SseServlet} does for servlets, with
 * the same options under the same names.
 *
 * <pre>{@code
 * SseHandler events = SseHandler.of(hub);
 * RouterFunction<ServerResponse> routes = RouterFunctions.route(GET("/events"), events);
 * // or, from an annotated controller:
 * @GetMapping("/events") Mono<Void> events(ServerWebExchange exchange) { return events.stream(exchange); }
 * }</pre>
 *
 * <p>A stream answers {@code 200}, {@code text/event-stream;charset=utf-8}, {@code Cache-Control: no-cache,
 * no-transform} and {@code X-Accel-Buffering: no}, flushed at once with the {@code retry:} hint if one is set. The
 * channel is registered with the hub before any byte is written, so no broadcast falls between. A client's
 * {@code Last-Event-ID} (header, re-decoded as UTF-8, or the {@code lastEventId} query parameter) resumes it exactly
 * once. Topics come from {@code topics} plus, if {@code allowedTopics} is set, the {@code topic} query parameter;
 * asking for a topic that is not allowed gets {@code 204}, which stops a browser reconnecting. Beyond
 * {@code maxConnections}, or while stopping, a stream is shed as a browser survives it: {@code 200}, a
 * {@code retry:} line with {@code overloadRetry}, end.
 *
 * <h2>Threads</h2>
 * {@link #handle} runs on the server's thread (a Reactor Netty event loop) and never blocks. Each stream is drained
 * on its own connection's event loop (on another server, a worker of Reactor's parallel scheduler); a broadcast only
 * queues and hands the stream to that loop. A client that goes away cancels the body, and the hub drops its channel
 * with {@code CLIENT_GONE} at once. Thread-safe.
 */
public final class SseHandler implements HandlerFunction<ServerResponse> {

    private static final Logger LOG = LoggerFactory.getLogger(SseHandler.class);

    private static final String ALLOW = "GET, HEAD, OPTIONS";
    private static final String PUBLISH_ALLOW = "GET, HEAD, POST, OPTIONS";

    /** The attribute under which a stream's channel holds the request's principal, if it has one. */
    public static final String PRINCIPAL_ATTRIBUTE = "principal";

    private final Hub hub;
    private final StreamSettings settings;
    private final RequestHook hook;
    private final PublishPolicy policy;
    private final RequestBodies bodies;
    private final StreamCors cors;
    private final Set<EventChannel> live = ConcurrentHashMap.newKeySet();
    private final AtomicInteger count = new AtomicInteger();
    private volatile boolean stopping;

    private SseHandler(Hub hub, StreamSettings settings, RequestHook hook, PublishPolicy policy,
                       RequestBodies bodies) {
        this.hub = hub;
        this.settings = settings;
        this.hook = hook;
        this.policy = policy;
        this.bodies = bodies;
        this.cors = new StreamCors(settings);
    }

    /**
     * A handler with the defaults for {@code hub}.
     *
     * @param hub the hub to stream
     * @return the handler
     */
    public static SseHandler of(Hub hub) {
        return builder(hub).build();
    }

    /**
     * Starts a handler for {@code hub}.
     *
     * @param hub the hub to stream
     * @return a builder
     */
    public static Builder builder(Hub hub) {
        return new Builder(Objects.requireNonNull(hub, "hub"));
    }

    /** @return the hub this handler streams */
    public Hub hub() {
        return hub;
    }

    /** @return the streams this handler holds open now */
    public int connectionCount() {
        return count.get();
    }

    /**
     * Asked before a stream opens, on the server's thread: refuse a request (authentication, quotas) by answering it,
     * or let it through, adding attributes the channel will carry.
     */
    @FunctionalInterface
    public interface RequestHook {
        /**
         * Decides whether a stream may open.
         *
         * @param request the request
         * @param topics the topics the stream will subscribe to; may be changed
         * @param attributes the channel's attributes to be; may be changed
         * @return an empty {@code Mono} to let the stream open, or the answer that refuses it (for example a
         *         {@code 401}); must not block
         */
        Mono<ServerResponse> beforeStream(ServerRequest request, Set<String> topics, Map<String, Object> attributes);
    }

    @Override
    public Mono<ServerResponse> handle(ServerRequest request) {
        switch (request.method().name()) {
            case "GET":
                return listen(request);
            case "HEAD":
                // What a GET would answer, without opening a stream that no body could carry.
                return ServerResponse.ok().headers(h -> StreamBody.headers(h, settings.cacheControl)).build();
            case "POST":
                if (policy != null) {
                    return publish(request);
                }
                break;
            case "OPTIONS":
                if (policy != null && "POST".equals(
                        request.headers().firstHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD))) {
                    return bodies.preflight(request, PUBLISH_ALLOW, "publish");
                }
                request.exchange().getResponse().getHeaders().set(HttpHeaders.ALLOW,
                        policy == null ? ALLOW : PUBLISH_ALLOW);
                return cors.preflight(request);
            default:
                break;
        }
        String allow = policy == null ? ALLOW : PUBLISH_ALLOW;
        return ServerResponse.status(HttpStatus.METHOD_NOT_ALLOWED).header(HttpHeaders.ALLOW, allow)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(ErrorJson.body("method", policy == null
                        ? request.method().name() + " is not allowed; use " + ALLOW
                        : request.method().name() + " is not supported here; use GET to listen or POST to publish"));
    }

    /**
     * {@code POST}: the body, as UTF-8 text, broadcast as the data of one event; {@code event} and the topic from the
     * query. {@code 202 {"id":"..."}} once the hub took it.
     */
    private Mono<ServerResponse> publish(ServerRequest request) {
        String event;
        String topic;
        try {
            Map<String, List<String>> query = Query.parse(request.exchange().getRequest().getURI().getRawQuery());
            event = eventName(Query.single(query, "event"));
            topic = Query.single(query, settings.topicParameter);
        } catch (RequestBodies.Refused r) {
            return r.response();
        }
        if (!policy.mayPublish(request, event, topic)) {
            LOG.debug("publish refused by the policy {} (event {}, topic {})", policy, event, topic);
            return ErrorJson.response(403, null, "this request may not publish here");
        }
        return bodies.text(request, "publish").flatMap(data -> {
            SseEvent e = SseEvent.builder().event(event).data(data).build();
            return Mono.fromCompletionStage(() -> topic == null ? hub.broadcastAsync(e) : hub.broadcastAsync(topic, e))
                    .flatMap(id -> ServerResponse.accepted().contentType(MediaType.APPLICATION_JSON)
                            .bodyValue("{\"id\":" + (id == null ? "null" : ErrorJson.quote(id)) + "}"))
                    .onErrorResume(failure -> {
                        String why = hub.isClosed() ? "the server is shutting down"
                                : hub.hasBackplane() ? "the notification was not published: the backplane, which "
                                        + "shares it with the other nodes, is unavailable; retry later"
                                : "the notification was not published: the broadcast failed; retry later";
                        LOG.warn("broadcast of a published event failed: {}", failure.toString());
                        return ServerResponse.status(HttpStatus.SERVICE_UNAVAILABLE).header(HttpHeaders.RETRY_AFTER, "5")
                                .contentType(MediaType.APPLICATION_JSON).bodyValue(ErrorJson.body(null, why));
                    });
        }).onErrorResume(RequestBodies.Refused.class, RequestBodies.Refused::response);
    }

    private static String eventName(String event) {
        if (event == null) {
            return null;
        }
        for (int i = 0; i < event.length(); i++) {
            char c = event.charAt(i);
            if (c == '\r' || c == '\n' || c == '\0') {
                String what = c == '\r' ? "CR" : c == '\n' ? "LF" : "NUL";
                throw new RequestBodies.Refused(400, "event", "event must not contain CR, LF or NUL (found " + what
                        + " at index " + i + ")");
            }
        }
        return event;
    }

    private Mono<ServerResponse> listen(ServerRequest request) {
        Mono<ServerResponse> refused = cors.refusal(request);
        if (refused != null) {
            return refused;
        }
        StreamRequest asked;
        try {
            asked = StreamRequest.read(request, settings);
        } catch (StreamRequest.Refusal r) {
            LOG.debug("stream refused ({}): {}", r.field, r.getMessage());
            return r.status == 204 ? ServerResponse.noContent().build()
                    : ErrorJson.response(r.status, r.field, r.getMessage());
        }
        return request.principal().map(Optional::of).defaultIfEmpty(Optional.empty()).flatMap(principal -> {
            principal.ifPresent(p -> asked.attributes.put(PRINCIPAL_ATTRIBUTE, p));
            Mono<ServerResponse> refusal = hook == null ? Mono.empty()
                    : hook.beforeStream(request, asked.topics, asked.attributes);
            return refusal.switchIfEmpty(Mono.defer(() -> open(request, asked)));
        });
    }

    /**
     * Streams to the exchange's client; for an annotated controller's handler method, which returns it.
     *
     * @param exchange the exchange
     * @return completes when the stream has ended
     */
    public Mono<Void> stream(ServerWebExchange exchange) {
        ServerRequest request = ServerRequest.create(exchange, HandlerStrategies.withDefaults().messageReaders());
        return handle(request).flatMap(response -> response.writeTo(exchange, Contexts.DEFAULT));
    }

    private Mono<ServerResponse> open(ServerRequest request, StreamRequest asked) {
        if (stopping || hub.isClosed()) {
            return shed("stopping");
        }
        if (!admit()) {
            return shed("at maxConnections " + settings.maxConnections);
        }
        AtomicBoolean released = new AtomicBoolean();
        Disposable[] maxAge = new Disposable[1];
        ChannelOptions.Builder options = ChannelOptions.builder().topics(asked.topics).lastEventId(asked.lastEventId)
                .initialEvent(StreamBody.retryEvent(settings.retry, settings.retryJitter));
        asked.attributes.forEach(options::attribute);
        ChannelOptions built = options.build();
        EventChannel[] opened = new EventChannel[1];
        BodyInserter<Void, org.springframework.http.ReactiveHttpOutputMessage> body = (out, context) ->
                StreamBody.write(out, request.exchange().getRequest(), transport -> hub.open(transport, built),
                        channel -> {
                            opened[0] = channel;
                            live.add(channel);
                            maxAge[0] = scheduleMaxAge(channel);
                        },
                        () -> {
                            if (released.compareAndSet(false, true)) {
                                Disposable task = maxAge[0];
                                if (task != null) {
                                    task.dispose();
                                }
                                if (opened[0] != null) {
                                    live.remove(opened[0]);
                                }
                                count.decrementAndGet();
                            }
                        }, settings.overloadRetry);
        return ServerResponse.ok().headers(h -> StreamBody.headers(h, settings.cacheControl)).body(body);
    }

    private boolean admit() {
        int max = settings.maxConnections;
        for (;;) {
            int n = count.get();
            if (max > 0 && n >= max) {
                return false;
            }
            if (count.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    private Mono<ServerResponse> shed(String why) {
        LOG.debug("stream shed ({}); client told to retry", why);
        Duration retry = settings.overloadRetry.plusMillis(settings.retryJitter.isZero() ? 0
                : ThreadLocalRandom.current().nextLong(settings.retryJitter.toMillis() + 1));
        return ServerResponse.status(HttpStatus.OK).headers(h -> StreamBody.headers(h, settings.cacheControl))
                .body((out, context) -> StreamBody.retryAndEnd(out, retry));
    }

    /** Ends the stream gracefully after a random 80–100% of {@code maxConnectionAge}, if one is set. */
    private Disposable scheduleMaxAge(EventChannel channel) {
        if (settings.maxConnectionAge.isZero()) {
            return null;
        }
        long age = settings.maxConnectionAge.toMillis();
        long at = age - ThreadLocalRandom.current().nextLong(Math.max(1, age / 5));
        return Schedulers.parallel().schedule(() -> channel.closeAfterDrain(CloseReason.MAX_AGE, (SseEvent) null),
                at, TimeUnit.MILLISECONDS);
    }

    /**
     * Ends this handler's streams as a server's graceful shutdown does: each gets the farewell event (if any) and ends,
     * spread at random over the window; new requests are shed meanwhile. The hub keeps running (it may be shared).
     *
     * @param window the time over which streams end
     * @param farewell the event each stream gets last, or {@code null}
     * @return completes when every stream has ended
     */
    public CompletableFuture<Void> shutdown(Duration window, SseEvent farewell) {
        stopping = true;
        if (hub.isClosed() || live.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return hub.drain(List.copyOf(live), window, farewell);
    }

    /** Builds an {@link SseHandler}; the options are {@code SseServlet}'s, under the same names. */
    public static final class Builder {
        private final Hub hub;
        private final StreamSettings settings = new StreamSettings();
        private RequestHook hook;
        private PublishPolicy policy;
        private RequestBodies bodies;
        private final Map<String, String> bodyValues = new LinkedHashMap<>();

        private Builder(Hub hub) {
            this.hub = hub;
        }

        /**
         * Applies settings by {@code SseServlet}'s init-param names ({@code topics}, {@code allowedTopics},
         * {@code retry}, {@code maxConnections}, {@code maxConnectionAge}, ...), written as they are there.
         *
         * @param values the settings
         * @return this builder
         * @throws IllegalArgumentException naming the setting, if one is unknown or malformed
         */
        public Builder settings(Map<String, String> values) {
            boolean bodySettings = false;
            for (Map.Entry<String, String> e : values.entrySet()) {
                String v = e.getValue().trim();
                switch (e.getKey()) {
                    case "publish":
                        if (v.equals("open")) {
                            policy = PublishPolicy.open();
                        } else if (v.equals("off")) {
                            policy = null;
                        } else {
                            throw new IllegalArgumentException("publish must be open or off here (was \"" + v
                                    + "\"); give a PublishPolicy to publishing(...)");
                        }
                        break;
                    case "maxBodyBytes":
                    case "bodyDeadline":
                    case "bodyGrace":
                    case "minBodyRate":
                        bodySettings = true;
                        bodyValues.put(e.getKey(), v);
                        break;
                    default:
                        settings.apply(e.getKey(), v);
                }
            }
            if (bodySettings) {
                bodies = null;
            }
            return this;
        }

        /**
         * @param topics topics every stream subscribes to
         * @return this builder
         */
        public Builder topics(Set<String> topics) {
            settings.topics = Set.copyOf(topics);
            return this;
        }

        /**
         * @param allowed topics a client may add with the {@code topic} query parameter; {@code *} allows any
         * @return this builder
         */
        public Builder allowedTopics(Set<String> allowed) {
            settings.allowedTopics = Set.copyOf(allowed);
            return this;
        }

        /**
         * @param retry the {@code retry:} hint sent when a stream opens
         * @param jitter a random extra of up to this, per client
         * @return this builder
         */
        public Builder retry(Duration retry, Duration jitter) {
            settings.retry = StreamSettings.positive("retry", retry);
            settings.retryJitter = StreamSettings.notNegative("retryJitter", jitter);
            return this;
        }

        /**
         * @param retry the {@code retry:} hint of a shed stream
         * @return this builder
         */
        public Builder overloadRetry(Duration retry) {
            settings.overloadRetry = StreamSettings.positive("overloadRetry", retry);
            return this;
        }

        /**
         * @param max the most live streams of this handler; 0 for no limit
         * @return this builder
         */
        public Builder maxConnections(int max) {
            if (max < 0) {
                throw new IllegalArgumentException("maxConnections must be at least 0 (was " + max + ")");
            }
            settings.maxConnections = max;
            return this;
        }

        /**
         * @param age a stream ends gracefully after a random 80–100% of this; zero for never
         * @return this builder
         */
        public Builder maxConnectionAge(Duration age) {
            settings.maxConnectionAge = StreamSettings.notNegative("maxConnectionAge", age);
            return this;
        }

        /**
         * @param ignore never resume from the client's {@code Last-Event-ID}
         * @return this builder
         */
        public Builder ignoreClientLastEventId(boolean ignore) {
            settings.ignoreClientLastEventId = ignore;
            return this;
        }

        /**
         * @param origins {@code allowedOrigins}: pages of these origins may listen ({@code *}: any; not with
         *                credentials); the server's own origin always may
         * @param credentials {@code allowCredentials}: sends {@code Access-Control-Allow-Credentials: true}
         * @return this builder
         */
        public Builder allowedOrigins(Set<String> origins, boolean credentials) {
            settings.allowedOrigins = Set.copyOf(origins);
            settings.allowCredentials = credentials;
            return this;
        }

        /**
         * @param cacheControl the {@code Cache-Control} header of a stream (default {@code no-cache, no-transform})
         * @return this builder
         */
        public Builder cacheControl(String cacheControl) {
            settings.apply("cacheControl", Objects.requireNonNull(cacheControl, "cacheControl"));
            return this;
        }

        /**
         * @param hook asked before each stream opens
         * @return this builder
         */
        public Builder hook(RequestHook hook) {
            this.hook = Objects.requireNonNull(hook, "hook");
            return this;
        }

        /**
         * Turns publishing over HTTP on: {@code POST} on the stream's own URL broadcasts its body to the hub, as
         * {@code SseServlet} does ({@code 202 {"id":"..."}}; {@code 400} naming the field, {@code 403}, {@code 408},
         * {@code 413}, {@code 503} as there).
         *
         * @param policy who may publish what; {@link PublishPolicy#open()} for anyone
         * @return this builder
         */
        public Builder publishing(PublishPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * @param bodies how published bodies are read: size, deadline, rate, and the origins that may post
         * @return this builder
         */
        public Builder requestBodies(RequestBodies bodies) {
            this.bodies = Objects.requireNonNull(bodies, "bodies");
            return this;
        }

        /** @return the handler */
        public SseHandler build() {
            StreamSettings s = settings.copy();
            RequestBodies b = bodies != null ? bodies : RequestBodies.fromSettings(bodyValues, s);
            return new SseHandler(hub, s, hook, policy, b);
        }
    }

    /** What a stream request asks for, read once before anything is sent. */
    static final class StreamRequest {
        final Set<String> topics;
        final Map<String, Object> attributes = new LinkedHashMap<>();
        final String lastEventId;

        private StreamRequest(Set<String> topics, String lastEventId) {
            this.topics = topics;
            this.lastEventId = lastEventId;
        }

        static final class Refusal extends Exception {
            private static final long serialVersionUID = 1L;
            final int status;
            final String field;

            Refusal(int status, String field, String message) {
                super(message, null, false, false);
                this.status = status;
                this.field = field;
            }
        }

        static StreamRequest read(ServerRequest request, StreamSettings s) throws Refusal {
            Set<String> topics = new LinkedHashSet<>(s.topics);
            List<String> asked = request.queryParams().getOrDefault(s.topicParameter, Collections.emptyList());
            if (!asked.isEmpty() && !s.allowedTopics.isEmpty()) {
                boolean any = s.allowedTopics.contains("*");
                for (String value : asked) {
                    for (String t : value.split(",")) {
                        String topic = t.trim();
                        if (topic.isEmpty()) {
                            continue;
                        }
                        if (!any && !s.allowedTopics.contains(topic)) {
                            throw new Refusal(204, s.topicParameter, "topic " + topic + " is not allowed");
                        }
                        topics.add(topic);
                    }
                }
            }
            String lastEventId = null;
            if (!s.ignoreClientLastEventId) {
                String header = request.headers().firstHeader("Last-Event-ID");
                if (header != null) {
                    lastEventId = utf8(header);
                } else {
                    String param = request.queryParams().getFirst(s.lastEventIdParameter);
                    if (param != null && !param.isEmpty()) {
                        lastEventId = param;
                    }
                }
            }
            return new StreamRequest(topics, lastEventId);
        }

        /** Servers hand header bytes over as ISO-8859-1 characters; an id is UTF-8 on the wire. */
        static String utf8(String header) {
            for (int i = 0; i < header.length(); i++) {
                if (header.charAt(i) > 0xFF) {
                    return header;
                }
            }
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(header.getBytes(StandardCharsets.ISO_8859_1))).toString();
            } catch (CharacterCodingException e) {
                return header;
            }
        }
    }
}
