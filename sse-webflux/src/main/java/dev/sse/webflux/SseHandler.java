package dev.sse.webflux;

import dev.sse.core.ChannelOptions;
import dev.sse.core.CloseReason;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.core.http.Decision;
import dev.sse.core.http.PublishRules;
import dev.sse.core.http.StreamRules;
import java.time.Duration;
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

    /** The attribute under which a stream's channel holds the request's principal, if it has one. */
    public static final String PRINCIPAL_ATTRIBUTE = "principal";

    private final Hub hub;
    private final StreamSettings settings;
    private final RequestHook hook;
    private final PublishPolicy policy;
    private final RequestBodies bodies;
    private final StreamRules rules;
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
        this.rules = settings.rules();
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
        ExchangeView view = new ExchangeView(request.exchange().getRequest());
        switch (view.method()) {
            case "GET":
                return listen(request, view);
            case "HEAD":
                // What a GET would answer, without opening a stream that no body could carry.
                return ServerResponse.ok().headers(h -> Answers.apply(rules.streamHeaders(), h)).build();
            case "POST":
                if (policy != null) {
                    return publish(request, view);
                }
                break;
            case "OPTIONS":
                if (policy != null && "POST".equals(view.header("Access-Control-Request-Method"))) {
                    return bodies.preflight(request, PublishRules.ALLOW, PublishRules.ACTION);
                }
                return Answers.response(rules.preflight(view, policy == null ? StreamRules.ALLOW : PublishRules.ALLOW));
            default:
                break;
        }
        return Answers.response(StreamRules.methodNotAllowed(view.method(), policy != null));
    }

    /**
     * {@code POST}: the body, as UTF-8 text, broadcast as the data of one event; {@code event} and the topic from the
     * query, judged by the shared {@link PublishRules}. {@code 202 {"id":"..."}} once the hub took it.
     */
    private Mono<ServerResponse> publish(ServerRequest request, ExchangeView view) {
        Decision<PublishRules.Target> target = bodies.publishRules().target(view);
        if (!target.accepted()) {
            return Answers.response(target.refusal());
        }
        String event = target.value().event();
        String topic = target.value().topic();
        if (!policy.mayPublish(request, event, topic)) {
            LOG.debug("publish refused by the policy {} (event {}, topic {})", policy, event, topic);
            return Answers.response(PublishRules.forbidden());
        }
        return bodies.text(request, PublishRules.ACTION).flatMap(data -> {
            SseEvent e = SseEvent.builder().event(event).data(data).build();
            return Mono.fromCompletionStage(() -> topic == null ? hub.broadcastAsync(e) : hub.broadcastAsync(topic, e))
                    .flatMap(id -> Answers.response(PublishRules.published(id)))
                    .onErrorResume(failure -> {
                        String why = hub.isClosed() ? PublishRules.SHUTTING_DOWN
                                : hub.hasBackplane() ? "the notification was not published: the backplane, which "
                                        + "shares it with the other nodes, is unavailable; retry later"
                                : "the notification was not published: the broadcast failed; retry later";
                        LOG.warn("broadcast of a published event failed: {}", failure.toString());
                        return Answers.response(PublishRules.unavailable(why));
                    });
        }).onErrorResume(RequestBodies.Refused.class, RequestBodies.Refused::response);
    }

    private Mono<ServerResponse> listen(ServerRequest request, ExchangeView view) {
        Decision<Void> origin = rules.admitOrigin(view);
        if (!origin.accepted()) {
            return Answers.response(origin.refusal());
        }
        Answers.apply(origin.headers(), request.exchange().getResponse().getHeaders());
        Decision<StreamRules.Target> target = rules.target(view);
        if (!target.accepted()) {
            return Answers.response(target.refusal());
        }
        Set<String> topics = new LinkedHashSet<>(target.value().topics());
        String lastEventId = target.value().lastEventId();
        Map<String, Object> attributes = new LinkedHashMap<>();
        return request.principal().map(Optional::of).defaultIfEmpty(Optional.empty()).flatMap(principal -> {
            principal.ifPresent(p -> attributes.put(PRINCIPAL_ATTRIBUTE, p));
            Mono<ServerResponse> refusal = hook == null ? Mono.empty()
                    : hook.beforeStream(request, topics, attributes);
            return refusal.switchIfEmpty(Mono.defer(() -> open(request, topics, lastEventId, attributes)));
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

    private Mono<ServerResponse> open(ServerRequest request, Set<String> topics, String lastEventId,
                                      Map<String, Object> attributes) {
        if (stopping || hub.isClosed()) {
            LOG.debug("stream shed (stopping); client told to retry");
            return Answers.response(rules.shed());
        }
        if (!admit()) {
            LOG.debug("stream shed (at maxConnections {}); client told to retry", settings.maxConnections);
            return Answers.response(rules.shed());
        }
        AtomicBoolean released = new AtomicBoolean();
        Disposable[] maxAge = new Disposable[1];
        ChannelOptions.Builder options = ChannelOptions.builder().topics(topics).lastEventId(lastEventId)
                .initialEvent(rules.openingEvent());
        attributes.forEach(options::attribute);
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
                        }, rules.shed());
        return ServerResponse.ok().headers(h -> Answers.apply(rules.streamHeaders(), h)).body(body);
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
     * Ends this handler's streams as a server's graceful shutdown does: each gets the farewell event (setting
     * {@code farewellEvent}, or {@link Builder#drain}) and ends, spread at random over the drain window (setting
     * {@code drainWindow}, default 5 s); new requests are shed meanwhile. The hub keeps running (it may be shared).
     *
     * @return completes when every stream has ended
     */
    public CompletableFuture<Void> shutdown() {
        return shutdown(settings.drainWindow, settings.farewell);
    }

    /**
     * Ends this handler's streams over the given window with the given farewell; see {@link #shutdown()}.
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
         * @param window {@code drainWindow}: {@link SseHandler#shutdown()} ends streams spread over this
         * @param farewell {@code farewellEvent}: the event each stream gets last on shutdown, or {@code null}
         * @return this builder
         */
        public Builder drain(Duration window, SseEvent farewell) {
            settings.drainWindow = StreamSettings.notNegative("drainWindow", window);
            settings.farewell = farewell;
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
}
