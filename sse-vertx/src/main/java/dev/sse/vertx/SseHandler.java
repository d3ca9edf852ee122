package dev.sse.vertx;

import dev.sse.core.ChannelOptions;
import dev.sse.core.CloseReason;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.HubClosedException;
import dev.sse.core.SseEvent;
import dev.sse.core.SseFrame;
import dev.sse.core.http.Decision;
import dev.sse.core.http.PublishRules;
import dev.sse.core.http.Setting;
import dev.sse.core.http.SseSettings;
import dev.sse.core.http.StreamRules;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a {@link Hub} from a vertx-web route, the way {@code SseServlet} does in a servlet container: {@code GET}
 * opens a stream, {@code HEAD} answers its headers, {@code OPTIONS} a CORS preflight, and with {@code publish=open}
 * a {@code POST} broadcasts its body.
 *
 * <pre>{@code
 * Hub hub = Hub.create();
 * Router router = Router.router(vertx);
 * router.route("/events").handler(SseHandler.create(hub));
 * vertx.createHttpServer().requestHandler(router).listen(8080);
 * hub.broadcast(SseEvent.data("hello"));
 * }</pre>
 *
 * <h2>Settings</h2>
 * {@link Builder#setting(String, String)} takes rows of the one settings table ({@link SseSettings}), by the names and
 * in the syntax of SseServlet's init-params: {@code retry},
 * {@code retryJitter}, {@code overloadRetry}, {@code maxConnections} (0: no limit, the default here),
 * {@code maxConnectionsPerClient}, {@code topics}, {@code topicParameter}, {@code allowedTopics},
 * {@code allowedOrigins}, {@code allowCredentials}, {@code allowedHeaders}, {@code publicOrigin},
 * {@code ignoreClientLastEventId}, {@code lastEventIdParameter}, {@code cacheControl}, {@code maxConnectionAge},
 * {@code drainWindow}, {@code farewellEvent}, {@code publish} ({@code open} or {@code off}), {@code maxBodyBytes},
 * {@code bodyDeadline}, {@code bodyGrace} and {@code minBodyRate}. Any other name is refused with an {@link IllegalArgumentException} naming it; the hub's own
 * settings (keep-alive, queue limits, history, slow-client policy) belong to the {@link Hub.Builder}.
 *
 * <h2>Threads</h2>
 * Everything here runs on the request's event loop and never blocks it: a stream is written only while Vert.x's
 * write queue has room, a publication's broadcast runs on a worker thread (a backplane may wait on the network), and
 * a body is read without a thread at all, bounded by {@code maxBodyBytes} and {@code bodyDeadline}.
 */
public final class SseHandler implements Handler<RoutingContext> {

    private static final Logger LOG = LoggerFactory.getLogger(SseHandler.class);

    /** The rows of the settings table ({@link SseSettings}) this handler serves; the others belong to the hub. */
    private static final List<String> SUPPORTED = List.of("retry", "retryJitter", "overloadRetry", "maxConnections",
            "maxConnectionsPerClient", "topics", "topicParameter", "allowedTopics", "allowedOrigins",
            "allowCredentials", "allowedHeaders", "publicOrigin", "ignoreClientLastEventId", "lastEventIdParameter",
            "cacheControl", "maxConnectionAge", "drainWindow", "farewellEvent", "publish", "maxBodyBytes",
            "bodyDeadline", "bodyGrace", "minBodyRate");

    private final Hub hub;
    private final StreamRules rules;
    private final PublishRules publishRules;
    private final boolean publish;
    private final int maxConnections;
    private final int maxConnectionsPerClient;
    private final Duration maxConnectionAge;
    private final Duration drainWindow;
    private final SseEvent farewell;
    private final RequestBodies bodies;
    private final AtomicInteger live = new AtomicInteger();
    private final Map<String, AtomicInteger> perClient = new ConcurrentHashMap<>();
    private final Set<EventChannel> channels = ConcurrentHashMap.newKeySet();
    private volatile boolean stopping;

    private SseHandler(Builder b) {
        this.hub = b.hub;
        this.rules = StreamRules.builder().topics(b.topics).allowedTopics(b.allowedTopics)
                .topicParameter(b.topicParameter).lastEventIdParameter(b.lastEventIdParameter)
                .ignoreClientLastEventId(b.ignoreClientLastEventId).allowedOrigins(b.allowedOrigins, b.allowCredentials)
                .publicOrigin(b.publicOrigin).allowedHeaders(b.allowedHeaders).cacheControl(b.cacheControl)
                .retry(b.retry, b.retryJitter, b.overloadRetry).maxConnectionsPerClient(b.maxConnectionsPerClient)
                .build();
        this.publishRules = new PublishRules(b.allowedOrigins, b.allowCredentials, b.publicOrigin, b.topicParameter);
        this.publish = b.publish;
        this.maxConnections = b.maxConnections;
        this.maxConnectionsPerClient = b.maxConnectionsPerClient;
        this.maxConnectionAge = b.maxConnectionAge;
        this.drainWindow = b.drainWindow;
        this.farewell = b.farewell;
        this.bodies = RequestBodies.builder().maxBodyBytes(b.maxBodyBytes)
                .bodyDeadline(b.bodyDeadline, b.bodyGrace, b.minBodyRate).build();
    }

    /**
     * A handler with the default settings: streams only, no publishing.
     *
     * @param hub the hub to stream; the caller owns and closes it
     * @return the handler
     */
    public static SseHandler create(Hub hub) {
        return builder(hub).build();
    }

    /**
     * @param hub the hub to stream; the caller owns and closes it
     * @return a builder with the default settings
     */
    public static Builder builder(Hub hub) {
        return new Builder(hub);
    }

    /** @return the streams this handler holds open now */
    public int liveStreams() {
        return live.get();
    }

    /**
     * Ends this handler's streams gracefully, as SseServlet's {@code destroy} does: each gets the
     * {@code farewellEvent} (if set) and ends, spread over the {@code drainWindow}; new streams are shed from now on
     * and publications refused with {@code 503}. The hub stays open: it is the caller's.
     *
     * @return completes when every stream has ended
     */
    public CompletableFuture<Void> shutdown() {
        stopping = true;
        return hub.drain(List.copyOf(channels), drainWindow, farewell);
    }

    @Override
    public void handle(RoutingContext rc) {
        HttpServerRequest req = rc.request();
        HttpServerResponse resp = rc.response();
        VertxRequestView view = VertxRequestView.of(req);
        String allow = publish ? PublishRules.ALLOW : StreamRules.ALLOW;
        switch (req.method().name()) {
            case "GET":
                stream(rc, view);
                break;
            case "HEAD":
                if (admitOrigin(resp, view)) {
                    resp.setStatusCode(200);
                    Answers.addHeaders(resp, rules.streamHeaders());
                    resp.end();
                }
                break;
            case "POST":
                if (publish) {
                    publish(rc, view);
                } else {
                    Answers.write(resp, StreamRules.methodNotAllowed("POST", false));
                }
                break;
            case "OPTIONS":
                if (publish && "POST".equals(req.getHeader("Access-Control-Request-Method"))) {
                    Answers.write(resp, publishRules.preflight(view, allow, PublishRules.ACTION));
                } else {
                    Answers.write(resp, rules.preflight(view, allow));
                }
                break;
            default:
                Answers.write(resp, StreamRules.methodNotAllowed(req.method().name(), publish));
                break;
        }
    }

    private boolean admitOrigin(HttpServerResponse resp, VertxRequestView view) {
        Decision<Void> origin = rules.admitOrigin(view);
        if (!origin.accepted()) {
            Answers.write(resp, origin.refusal());
            return false;
        }
        Answers.addHeaders(resp, origin.headers());
        return true;
    }

    private void stream(RoutingContext rc, VertxRequestView view) {
        HttpServerResponse resp = rc.response();
        if (!admitOrigin(resp, view)) {
            return;
        }
        Decision<StreamRules.Target> target = rules.target(view);
        if (!target.accepted()) {
            Answers.write(resp, target.refusal());
            return;
        }
        if (stopping || hub.isClosed()) {
            shed(resp, "stopping");
            return;
        }
        String client = maxConnectionsPerClient > 0 ? StreamRules.clientKey(null, view.remoteAddress()) : null;
        if (client != null && perClient.computeIfAbsent(client, k -> new AtomicInteger()).incrementAndGet()
                > maxConnectionsPerClient) {
            release(client);
            LOG.debug("stream refused: {} has {} streams already", client, maxConnectionsPerClient);
            Answers.write(resp, rules.tooManyFromClient());
            return;
        }
        if (live.incrementAndGet() > maxConnections && maxConnections > 0) {
            live.decrementAndGet();
            release(client);
            shed(resp, "at maxConnections " + maxConnections);
            return;
        }
        Vertx vertx = rc.vertx();
        Context context = vertx.getOrCreateContext();
        EventChannel[] opened = new EventChannel[1];
        long[] ageTimer = {-1};
        VertxTransport transport = new VertxTransport(context, resp, () -> {
            live.decrementAndGet();
            release(client);
            if (opened[0] != null) {
                channels.remove(opened[0]);
            }
            if (ageTimer[0] >= 0) {
                vertx.cancelTimer(ageTimer[0]);
            }
        });
        startResponse(resp);
        Answers.addHeaders(resp, rules.streamHeaders());
        ChannelOptions options = ChannelOptions.builder().topics(new LinkedHashSet<>(target.value().topics()))
                .lastEventId(target.value().lastEventId()).initialEvent(rules.openingEvent()).build();
        EventChannel channel;
        try {
            channel = hub.open(transport, options);
        } catch (HubClosedException closed) {
            live.decrementAndGet();
            release(client);
            LOG.debug("hub closed while opening a stream; asking the client to come back");
            resp.end(Buffer.buffer(SseFrame.of(rules.overloadEvent()).toByteArray()));
            return;
        }
        opened[0] = channel;
        channels.add(channel);
        if (!channel.isOpen()) {
            channels.remove(channel);
        }
        if (!maxConnectionAge.isZero()) {
            long age = maxConnectionAge.toMillis();
            long at = Math.max(1, age - ThreadLocalRandom.current().nextLong(Math.max(1, age / 5)));
            ageTimer[0] = vertx.setTimer(at, id -> channel.closeAfterDrain(CloseReason.MAX_AGE, (SseEvent) null));
        }
        transport.listen();
    }

    /** Sets up a stream's response: chunked on HTTP/1.1, since its length is unknown. */
    static void startResponse(HttpServerResponse resp) {
        resp.setStatusCode(200);
        if (resp.headers().get("Content-Length") == null) {
            resp.setChunked(true);
        }
    }

    private void release(String client) {
        if (client != null) {
            perClient.computeIfPresent(client, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
        }
    }

    private void shed(HttpServerResponse resp, String why) {
        LOG.debug("stream shed ({}); client told to retry", why);
        Answers.write(resp, rules.shed());
    }

    private void publish(RoutingContext rc, VertxRequestView view) {
        HttpServerResponse resp = rc.response();
        Decision<Void> origin = publishRules.admitOrigin(view, PublishRules.ACTION);
        if (!origin.accepted()) {
            Answers.write(resp, origin.refusal());
            return;
        }
        Answers.addHeaders(resp, origin.headers());
        Decision<PublishRules.Target> target = publishRules.target(view);
        if (!target.accepted()) {
            Answers.write(resp, target.refusal());
            return;
        }
        if (stopping || hub.isClosed()) {
            Answers.write(resp, PublishRules.unavailable(PublishRules.SHUTTING_DOWN));
            return;
        }
        bodies.text(rc, "body", text -> {
            SseEvent.Builder event = SseEvent.builder().data(text);
            if (target.value().event() != null) {
                event.event(target.value().event());
            }
            SseEvent toSend = event.build();
            String topic = target.value().topic();
            // A backplane's broadcast may wait on the network: never on the event loop.
            rc.vertx().executeBlocking(() -> topic == null ? hub.broadcast(toSend) : hub.broadcast(topic, toSend), false)
                    .onComplete(ar -> {
                        if (ar.succeeded()) {
                            Answers.write(resp, PublishRules.published(ar.result()));
                        } else {
                            LOG.warn("broadcast failed: {}", ar.cause().toString());
                            Answers.write(resp, PublishRules.unavailable("the broadcast failed"));
                        }
                    });
        });
    }

    /** Settings by SseServlet's init-param names; see the class comment. */
    public static final class Builder {
        private final Hub hub;
        private Duration retry;
        private Duration retryJitter = Duration.ZERO;
        private Duration overloadRetry = Duration.ofSeconds(10);
        private int maxConnections;
        private int maxConnectionsPerClient;
        private Set<String> topics = Set.of();
        private String topicParameter = "topic";
        private Set<String> allowedTopics = Set.of();
        private Set<String> allowedOrigins = Set.of();
        private boolean allowCredentials;
        private Set<String> allowedHeaders = Set.of();
        private String publicOrigin;
        private boolean ignoreClientLastEventId;
        private String lastEventIdParameter = "lastEventId";
        private String cacheControl = "no-cache, no-transform";
        private Duration maxConnectionAge = Duration.ZERO;
        private Duration drainWindow = Duration.ofSeconds(5);
        private SseEvent farewell;
        private boolean publish;
        private int maxBodyBytes = 1 << 20;
        private Duration bodyDeadline = Duration.ofSeconds(30);
        private Duration bodyGrace = Duration.ofSeconds(5);
        private long minBodyRate = 1024;

        private Builder(Hub hub) {
            this.hub = Objects.requireNonNull(hub, "hub");
        }

        /**
         * Sets one setting by its SseServlet init-param name, in that syntax (durations as {@code 250ms},
         * {@code 15s}, {@code 5m}, {@code PT15S} or plain milliseconds; lists comma-separated).
         *
         * @param name the name, e.g. {@code retry}
         * @param value the value; {@code null} or blank keeps the default
         * @return this
         * @throws IllegalArgumentException for an unknown name or a malformed value, naming it
         */
        public Builder setting(String name, String value) {
            Setting<?> row = SseSettings.named(name);
            if (row == null || !SUPPORTED.contains(name)) {
                throw new IllegalArgumentException("setting " + name + (row == null ? " is not a setting"
                        : " is not one sse-vertx serves (hub settings belong to Hub.builder())")
                        + "; sse-vertx takes " + String.join(", ", SUPPORTED));
            }
            if (value == null || value.isBlank()) {
                return this;
            }
            Object v = row.parse(value, "setting");
            switch (name) {
                case "retry" -> retry = (Duration) v;
                case "retryJitter" -> retryJitter = (Duration) v;
                case "overloadRetry" -> overloadRetry = (Duration) v;
                case "maxConnections" -> maxConnections = (Integer) v;
                case "maxConnectionsPerClient" -> maxConnectionsPerClient = (Integer) v;
                case "topics" -> topics = strings(v);
                case "topicParameter" -> topicParameter = (String) v;
                case "allowedTopics" -> allowedTopics = strings(v);
                case "allowedOrigins" -> allowedOrigins = strings(v);
                case "allowCredentials" -> allowCredentials = (Boolean) v;
                case "allowedHeaders" -> allowedHeaders = strings(v);
                case "publicOrigin" -> publicOrigin = (String) v;
                case "ignoreClientLastEventId" -> ignoreClientLastEventId = (Boolean) v;
                case "lastEventIdParameter" -> lastEventIdParameter = (String) v;
                case "cacheControl" -> cacheControl = (String) v;
                case "maxConnectionAge" -> maxConnectionAge = (Duration) v;
                case "drainWindow" -> drainWindow = (Duration) v;
                case "farewellEvent" -> farewell = (SseEvent) v;
                case "publish" -> {
                    String p = ((String) v).trim();
                    if (!p.equals("open") && !p.equals("off")) {
                        throw new IllegalArgumentException("setting publish must be open or off on sse-vertx (was \""
                                + p + "\")");
                    }
                    publish = p.equals("open");
                }
                case "maxBodyBytes" -> maxBodyBytes = (Integer) v;
                case "bodyDeadline" -> bodyDeadline = (Duration) v;
                case "bodyGrace" -> bodyGrace = (Duration) v;
                case "minBodyRate" -> minBodyRate = (Long) v;
                default -> throw new IllegalStateException("unhandled setting " + name);
            }
            return this;
        }

        @SuppressWarnings("unchecked")
        private static Set<String> strings(Object v) {
            return Set.copyOf((Set<String>) v);
        }

        /**
         * Applies several settings; see {@link #setting(String, String)}.
         *
         * @param settings names to values
         * @return this
         */
        public Builder settings(Map<String, String> settings) {
            settings.forEach(this::setting);
            return this;
        }

        /**
         * @param retry the {@code retry:} hint each stream opens with, or {@code null} for none
         * @return this
         */
        public Builder retry(Duration retry) {
            this.retry = retry;
            return this;
        }

        /**
         * @param max most live streams of this handler; beyond, a stream is shed with 200 and a {@code retry:}
         *            hint; 0 for no limit
         * @return this
         */
        public Builder maxConnections(int max) {
            if (max < 0) {
                throw new IllegalArgumentException("maxConnections must not be negative (was " + max + ")");
            }
            this.maxConnections = max;
            return this;
        }

        /**
         * @param topics the topics every stream subscribes to
         * @return this
         */
        public Builder topics(Collection<String> topics) {
            this.topics = Set.copyOf(topics);
            return this;
        }

        /**
         * @param topics the topics a stream may add with the topic parameter; {@code *} for any
         * @return this
         */
        public Builder allowedTopics(Collection<String> topics) {
            this.allowedTopics = Set.copyOf(topics);
            return this;
        }

        /**
         * @param origins origins allowed besides the server's own, {@code *} for any
         * @param credentials whether cross-origin requests may carry credentials
         * @return this
         */
        public Builder allowedOrigins(Collection<String> origins, boolean credentials) {
            this.allowedOrigins = Set.copyOf(origins);
            this.allowCredentials = credentials;
            return this;
        }

        /**
         * @param publish whether a {@code POST} broadcasts its body ({@code publish=open})
         * @return this
         */
        public Builder publish(boolean publish) {
            this.publish = publish;
            return this;
        }

        /**
         * @param type the type of the event each stream gets when {@link #shutdown()} ends it, or {@code null}
         * @return this
         */
        public Builder farewellEvent(String type) {
            if (type == null) {
                this.farewell = null;
                return this;
            }
            try {
                this.farewell = SseEvent.of(type, "");
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("setting farewellEvent must be a valid event type ("
                        + e.getMessage() + ")", e);
            }
            return this;
        }

        /**
         * @param window how long {@link #shutdown()} spreads the streams' ends over
         * @return this
         */
        public Builder drainWindow(Duration window) {
            this.drainWindow = Objects.requireNonNull(window, "drainWindow");
            return this;
        }

        /** @return the handler */
        public SseHandler build() {
            if (allowCredentials && allowedOrigins.contains("*")) {
                throw new IllegalArgumentException(
                        "allowCredentials cannot be combined with allowedOrigins \"*\": list the origins explicitly");
            }
            return new SseHandler(this);
        }
    }
}
