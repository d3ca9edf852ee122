package dev.sse.servlet;

import dev.sse.core.ChannelOptions;
import dev.sse.core.CloseReason;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.InMemoryHistory;
import dev.sse.core.SlowClientPolicy;
import dev.sse.core.SseEvent;
import dev.sse.core.SseFrame;
import dev.sse.core.EventHistory;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a {@link Hub}'s events to browsers' {@code EventSource} with Servlet 6 asynchronous, non-blocking I/O.
 *
 * <pre>{@code
 * context.addServlet(new ServletHolder(new SseServlet(hub)), "/events");          // in code, or
 * <servlet-class>dev.sse.servlet.SseServlet</servlet-class> <async-supported>true</async-supported>  // web.xml
 * }</pre>
 *
 * <h2>Requests</h2>
 * <ul>
 *   <li>{@code GET} opens a stream: {@code 200}, {@code Content-Type: text/event-stream;charset=utf-8},
 *       {@code Cache-Control: no-cache, no-transform}, {@code X-Accel-Buffering: no}, flushed at once so that the
 *       browser's {@code open} fires before the first event. The channel is registered in the hub before the headers
 *       go out, so no broadcast is missed. A {@code Last-Event-ID} header (re-decoded as UTF-8) or the
 *       {@code lastEventId} query parameter resumes after that id.</li>
 *   <li>{@code HEAD} answers the same headers without opening a stream; {@code OPTIONS} answers CORS preflights;
 *       any other method gets {@code 405} with {@code Allow: GET, HEAD, OPTIONS}.</li>
 *   <li>A request whose {@code Origin} is not allowed gets {@code 403} before any stream starts; a request without
 *       {@code Origin} (same origin, or not a browser) is allowed.</li>
 *   <li>Beyond {@code maxConnections}, or while the servlet stops, a {@code GET} gets {@code 200}, a
 *       {@code retry:} hint and the end of the stream: the browser comes back later. Never {@code 503}, after which
 *       {@code EventSource} would give up for good.</li>
 *   <li>{@link RequestHook} (or overriding {@link #beforeStream}) can refuse with {@code 401}/{@code 403}, stop the
 *       browser reconnecting with {@code 204}, pick topics and attach values to the channel.</li>
 * </ul>
 *
 * <h2>The hub</h2>
 * The hub lives in a {@link ServletContext} attribute named by the {@code hub} init-param (default
 * {@value #DEFAULT_HUB_ATTRIBUTE}); read it with {@link #hub(ServletContext, String)}. If a hub was given to the
 * constructor, it is used and published there. Otherwise, if the attribute holds one at {@link #init()} (put there by
 * the application's {@code ServletContextListener}), it is used; if not, the servlet builds one from its init-params,
 * stores it there, and shuts it down in {@link #destroy()}. A hub the servlet did not build is never closed by it:
 * only the servlet's own streams end.
 *
 * <h2>Init-params</h2>
 * Durations are written {@code 250ms}, {@code 15s}, {@code 5m}, {@code 1h}, ISO-8601 ({@code PT15S}) or plain
 * milliseconds; lists are comma-separated. Init-params that are present override what a {@link Builder} set.
 * <table>
 * <caption>Init-params</caption>
 * <tr><th>Name</th><th>Default</th><th>Meaning</th></tr>
 * <tr><td>{@code hub}</td><td>{@code dev.sse.core.Hub}</td><td>Context attribute holding the hub</td></tr>
 * <tr><td>{@code keepAlive}</td><td>15s</td><td>Keep-alive comment interval of a hub the servlet builds; also
 *     how soon a vanished client is found. 0 disables</td></tr>
 * <tr><td>{@code maxQueuedFrames}</td><td>1000</td><td>Per-client queue limit, frames (hub the servlet builds)</td></tr>
 * <tr><td>{@code maxQueuedBytes}</td><td>1048576</td><td>Per-client queue limit, bytes (hub the servlet builds)</td></tr>
 * <tr><td>{@code historySize}</td><td>1000</td><td>Events kept for resume (hub the servlet builds); 0 keeps none</td></tr>
 * <tr><td>{@code historyMaxAge}</td><td>5m</td><td>How long events are kept for resume (hub the servlet builds)</td></tr>
 * <tr><td>{@code slowClientPolicy}</td><td>{@code disconnect}</td><td>{@code disconnect}, {@code dropOldest} or
 *     {@code coalesce} (newest per event type) for a client whose queue is full (hub the servlet builds)</td></tr>
 * <tr><td>{@code retry}</td><td>none</td><td>Reconnection delay sent as {@code retry:} when a stream opens</td></tr>
 * <tr><td>{@code retryJitter}</td><td>0</td><td>Random extra added to {@code retry} per client, so clients do not
 *     all reconnect at once</td></tr>
 * <tr><td>{@code overloadRetry}</td><td>10s</td><td>{@code retry:} hint sent when a connection is shed (plus
 *     jitter)</td></tr>
 * <tr><td>{@code maxConnections}</td><td>0 (no limit)</td><td>Most live streams of this servlet</td></tr>
 * <tr><td>{@code topics}</td><td>none</td><td>Topics every stream subscribes to</td></tr>
 * <tr><td>{@code topicParameter}</td><td>{@code topic}</td><td>Query parameter (repeatable or comma-separated)
 *     naming more topics</td></tr>
 * <tr><td>{@code allowedTopics}</td><td>none (parameter ignored)</td><td>Topics a client may ask for by query
 *     parameter; {@code *} allows any. Asking for another gets {@code 204}</td></tr>
 * <tr><td>{@code allowedOrigins}</td><td>none</td><td>Cross-origin callers allowed; {@code *} allows any (not with
 *     credentials). The server's own origin is always allowed</td></tr>
 * <tr><td>{@code allowCredentials}</td><td>false</td><td>Sends {@code Access-Control-Allow-Credentials: true}</td></tr>
 * <tr><td>{@code ignoreClientLastEventId}</td><td>false</td><td>Never resume from the client's id</td></tr>
 * <tr><td>{@code lastEventIdParameter}</td><td>{@code lastEventId}</td><td>Query parameter a first connection can
 *     resume with, since it cannot set the header</td></tr>
 * <tr><td>{@code cacheControl}</td><td>{@code no-cache, no-transform}</td><td>The {@code Cache-Control} header of a
 *     stream; {@code no-transform} keeps proxies from compressing (and so holding back) events</td></tr>
 * <tr><td>{@code maxConnectionAge}</td><td>0 (none)</td><td>A stream ends gracefully after between 80% and 100% of
 *     this, chosen at random per stream, so clients spread over new instances</td></tr>
 * <tr><td>{@code drainWindow}</td><td>5s</td><td>On {@link #destroy()}, streams end spread over this window</td></tr>
 * <tr><td>{@code farewellEvent}</td><td>none</td><td>Event type of an empty event sent to each stream before it ends
 *     on shutdown</td></tr>
 * <tr><td>{@code writeTimeout}</td><td>30s</td><td>A client whose socket takes nothing for this long is dropped;
 *     0 disables</td></tr>
 * </table>
 *
 * <h2>Threads</h2>
 * The container calls {@code service} concurrently; per stream, exactly one thread writes at a time (see the
 * package-private {@code StreamConnection}), never blocking on the socket. A daemon timer thread of each servlet
 * instance handles maximum ages and write timeouts; it stops in {@link #destroy()}.
 */
public class SseServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SseServlet.class);

    /** The default name of the {@link ServletContext} attribute holding the hub. */
    public static final String DEFAULT_HUB_ATTRIBUTE = "dev.sse.core.Hub";

    /** The channel attribute under which the request's {@link Principal} is attached, when there is one. */
    public static final String PRINCIPAL_ATTRIBUTE = "principal";

    private static final String ALLOW = "GET, HEAD, OPTIONS";

    private final transient Hub givenHub;
    private final transient Settings base;
    private final transient RequestHook hook;
    private final transient boolean bypassAggregation;

    private transient Settings settings;
    private transient volatile Hub hub;
    private transient boolean ownsHub;
    private transient FrameWriter writer;
    private transient ScheduledThreadPoolExecutor timer;
    private final transient Set<StreamConnection> live = ConcurrentHashMap.newKeySet();
    private final transient AtomicInteger connections = new AtomicInteger();
    private transient volatile boolean stopping;

    /** For web.xml: everything comes from init-params and the hub from the context (or is built). */
    public SseServlet() {
        this(null, new Settings(), null, true);
    }

    /**
     * For registration in code: streams the given hub.
     *
     * @param hub the hub; the servlet never closes it
     */
    public SseServlet(Hub hub) {
        this(Objects.requireNonNull(hub, "hub"), new Settings(), null, true);
    }

    SseServlet(Hub hub, Settings settings, RequestHook hook, boolean bypassAggregation) {
        this.givenHub = hub;
        this.base = settings;
        this.hook = hook;
        this.bypassAggregation = bypassAggregation;
    }

    /** @return a builder for registration in code */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Finds the hub published under a context attribute.
     *
     * @param context the servlet context
     * @param name the attribute name, as the servlet's {@code hub} init-param
     * @return the hub
     * @throws IllegalStateException if the attribute holds no hub
     */
    public static Hub hub(ServletContext context, String name) {
        Object value = context.getAttribute(name);
        if (value instanceof Hub) {
            return (Hub) value;
        }
        throw new IllegalStateException("servlet context attribute \"" + name + "\" holds no dev.sse.core.Hub (found "
                + (value == null ? "nothing" : value.getClass().getName()) + ")");
    }

    /**
     * Finds the hub published under {@value #DEFAULT_HUB_ATTRIBUTE}.
     *
     * @param context the servlet context
     * @return the hub
     * @throws IllegalStateException if there is none
     */
    public static Hub hub(ServletContext context) {
        return hub(context, DEFAULT_HUB_ATTRIBUTE);
    }

    /** @return the hub this servlet streams; {@code null} before {@link #init()} for a servlet made for web.xml */
    public Hub hub() {
        return hub;
    }

    /** @return how many streams of this servlet are live now */
    public int connectionCount() {
        return connections.get();
    }

    @Override
    public void init() throws ServletException {
        ServletConfig config = getServletConfig();
        Settings s = base.copy();
        try {
            s.apply(config::getInitParameter);
        } catch (IllegalArgumentException e) {
            throw new ServletException("SseServlet " + config.getServletName() + ": " + e.getMessage(), e);
        }
        settings = s;
        ServletContext context = getServletContext();
        if (givenHub != null) {
            hub = givenHub;
            if (context.getAttribute(s.hubAttribute) == null) {
                context.setAttribute(s.hubAttribute, givenHub);
            }
        } else {
            Object existing = context.getAttribute(s.hubAttribute);
            if (existing instanceof Hub) {
                hub = (Hub) existing;
            } else if (existing != null) {
                throw new ServletException("servlet context attribute \"" + s.hubAttribute
                        + "\" holds a " + existing.getClass().getName() + ", not a dev.sse.core.Hub");
            } else {
                hub = buildHub(s);
                ownsHub = true;
                context.setAttribute(s.hubAttribute, hub);
            }
        }
        writer = new FrameWriter(bypassAggregation);
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "sse-servlet-timer-" + config.getServletName());
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        if (!s.writeTimeout.isZero()) {
            long period = Math.max(50, s.writeTimeout.toMillis() / 4);
            timer.scheduleWithFixedDelay(this::sweepStalled, period, period, TimeUnit.MILLISECONDS);
        }
        LOG.debug("SseServlet {} ready ({} hub under \"{}\")", config.getServletName(), ownsHub ? "own" : "shared",
                s.hubAttribute);
    }

    private static Hub buildHub(Settings s) {
        SlowClientPolicy policy;
        switch (s.slowClientPolicy) {
            case "dropOldest":
                policy = SlowClientPolicy.dropOldest();
                break;
            case "coalesce":
                policy = SlowClientPolicy.coalesce(SseEvent::event);
                break;
            default:
                policy = SlowClientPolicy.disconnect();
                break;
        }
        EventHistory history = s.historySize == 0 ? EventHistory.none()
                : InMemoryHistory.create(s.historySize, s.historyMaxAge);
        return Hub.builder().keepAlive(s.keepAlive).maxQueuedFrames(s.maxQueuedFrames)
                .maxQueuedBytes(s.maxQueuedBytes).history(history).slowClientPolicy(policy).build();
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        String method = req.getMethod();
        switch (method) {
            case "GET":
                stream(req, resp);
                break;
            case "HEAD":
                head(req, resp);
                break;
            case "OPTIONS":
                options(req, resp);
                break;
            default:
                resp.setHeader("Allow", ALLOW);
                resp.setStatus(HttpServletResponse.SC_METHOD_NOT_ALLOWED);
                break;
        }
    }

    /**
     * Decides, before any stream starts, whether this request may open one, with which topics and attributes.
     * The default asks the {@link RequestHook} given to the builder, if any, and otherwise allows.
     *
     * @param request the request
     * @param response the response; to refuse, set a status ({@code 401}, {@code 403}, {@code 204}) and return false
     * @param topics the topics chosen so far, modifiable
     * @param attributes the channel attributes so far (the principal, if any), modifiable
     * @return {@code true} to open the stream
     * @throws IOException as the response throws
     */
    protected boolean beforeStream(HttpServletRequest request, HttpServletResponse response, Set<String> topics,
                                   Map<String, Object> attributes) throws IOException {
        return hook == null || hook.beforeStream(request, response, topics, attributes);
    }

    private void stream(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!cors(req, resp)) {
            return;
        }
        Settings s = settings;
        Set<String> topics = new LinkedHashSet<>(s.topics);
        if (!requestedTopics(req, topics)) {
            resp.setStatus(HttpServletResponse.SC_NO_CONTENT);
            return;
        }
        Map<String, Object> attributes = new LinkedHashMap<>();
        Principal principal = req.getUserPrincipal();
        if (principal != null) {
            attributes.put(PRINCIPAL_ATTRIBUTE, principal);
        }
        if (!beforeStream(req, resp, topics, attributes)) {
            if (!resp.isCommitted() && resp.getStatus() == HttpServletResponse.SC_OK) {
                resp.setStatus(HttpServletResponse.SC_NO_CONTENT);
            }
            return;
        }
        Hub h = hub;
        if (stopping || h.isClosed()) {
            shed(resp, "stopping");
            return;
        }
        int n = connections.incrementAndGet();
        if (s.maxConnections > 0 && n > s.maxConnections) {
            connections.decrementAndGet();
            shed(resp, "at maxConnections " + s.maxConnections);
            return;
        }
        boolean opened = false;
        try {
            streamHeaders(resp);
            AsyncContext async = req.startAsync();
            async.setTimeout(0);
            ServletOutputStream out = resp.getOutputStream();
            StreamConnection conn = new StreamConnection(this, async, out, writer);
            async.addListener(conn);
            ChannelOptions.Builder options = ChannelOptions.builder().topics(topics).initialEvent(retryEvent(s.retry))
                    .lastEventId(lastEventId(req));
            attributes.forEach(options::attribute);
            live.add(conn);
            EventChannel channel;
            try {
                channel = h.open(conn, options.build());
            } catch (IllegalStateException closed) {
                live.remove(conn);
                LOG.debug("hub closed while opening a stream; asking the client to come back");
                out.write(retryFrame(s.overloadRetry).toByteArray());
                async.complete();
                connections.decrementAndGet();
                opened = true;
                return;
            }
            conn.attach(channel);
            opened = true;
            if (!s.maxConnectionAge.isZero()) {
                long age = s.maxConnectionAge.toMillis();
                long at = age - ThreadLocalRandom.current().nextLong(Math.max(1, age / 5));
                conn.maxAge(timer.schedule(() -> channel.closeAfterDrain(CloseReason.MAX_AGE, null), at,
                        TimeUnit.MILLISECONDS));
            }
            // From here the container calls onWritePossible, which flushes the headers and drains the channel.
            out.setWriteListener(conn);
        } finally {
            if (!opened) {
                connections.decrementAndGet();
            }
        }
    }

    private void head(HttpServletRequest req, HttpServletResponse resp) {
        if (!cors(req, resp)) {
            return;
        }
        streamHeaders(resp);
    }

    private void options(HttpServletRequest req, HttpServletResponse resp) {
        String origin = req.getHeader("Origin");
        String requestMethod = req.getHeader("Access-Control-Request-Method");
        resp.setHeader("Allow", ALLOW);
        if (origin == null || requestMethod == null) {
            resp.setStatus(HttpServletResponse.SC_NO_CONTENT);
            return;
        }
        resp.addHeader("Vary", "Origin");
        if (!originAllowed(req, origin) || !(requestMethod.equals("GET") || requestMethod.equals("HEAD"))) {
            LOG.debug("CORS preflight refused for origin {} method {}", origin, requestMethod);
            resp.setStatus(HttpServletResponse.SC_FORBIDDEN);
            return;
        }
        allowOrigin(resp, origin);
        resp.setHeader("Access-Control-Allow-Methods", "GET, HEAD");
        String requestHeaders = req.getHeader("Access-Control-Request-Headers");
        if (requestHeaders != null && !requestHeaders.isBlank()) {
            resp.setHeader("Access-Control-Allow-Headers", requestHeaders);
        }
        resp.setHeader("Access-Control-Max-Age", "600");
        resp.setStatus(HttpServletResponse.SC_NO_CONTENT);
    }

    /** @return false if the request was refused with 403 */
    private boolean cors(HttpServletRequest req, HttpServletResponse resp) {
        String origin = req.getHeader("Origin");
        resp.addHeader("Vary", "Origin");
        if (origin == null) {
            return true;
        }
        if (!originAllowed(req, origin)) {
            LOG.debug("stream refused for origin {}", origin);
            resp.setStatus(HttpServletResponse.SC_FORBIDDEN);
            return false;
        }
        allowOrigin(resp, origin);
        return true;
    }

    private void allowOrigin(HttpServletResponse resp, String origin) {
        // Echo, never "*": a credentialed request would be refused by the browser otherwise.
        resp.setHeader("Access-Control-Allow-Origin", origin);
        if (settings.allowCredentials) {
            resp.setHeader("Access-Control-Allow-Credentials", "true");
        }
    }

    private boolean originAllowed(HttpServletRequest req, String origin) {
        Set<String> allowed = settings.allowedOrigins;
        if (allowed.contains(origin) || allowed.contains("*")) {
            return true;
        }
        String self = req.getScheme() + "://" + req.getServerName();
        int port = req.getServerPort();
        boolean defaultPort = (port == 80 && "http".equals(req.getScheme()))
                || (port == 443 && "https".equals(req.getScheme()));
        return origin.equalsIgnoreCase(defaultPort ? self : self + ":" + port);
    }

    private boolean requestedTopics(HttpServletRequest req, Set<String> topics) {
        Settings s = settings;
        if (s.allowedTopics.isEmpty()) {
            return true;
        }
        String[] values = req.getParameterValues(s.topicParameter);
        if (values == null) {
            return true;
        }
        boolean any = s.allowedTopics.contains("*");
        for (String value : values) {
            for (String t : value.split(",")) {
                String topic = t.trim();
                if (topic.isEmpty()) {
                    continue;
                }
                if (!any && !s.allowedTopics.contains(topic)) {
                    LOG.debug("stream refused: topic {} is not allowed", topic);
                    return false;
                }
                topics.add(topic);
            }
        }
        return true;
    }

    private String lastEventId(HttpServletRequest req) {
        if (settings.ignoreClientLastEventId) {
            return null;
        }
        String header = req.getHeader("Last-Event-ID");
        if (header != null) {
            return utf8(header);
        }
        String param = req.getParameter(settings.lastEventIdParameter);
        return param == null || param.isEmpty() ? null : param;
    }

    /** Containers hand header bytes over as ISO-8859-1 characters; an id is UTF-8 on the wire. */
    static String utf8(String header) {
        for (int i = 0; i < header.length(); i++) {
            if (header.charAt(i) > 0xFF) {
                return header;
            }
        }
        return new String(header.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    private void streamHeaders(HttpServletResponse resp) {
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType("text/event-stream");
        resp.setCharacterEncoding("utf-8");
        resp.setHeader("Cache-Control", settings.cacheControl);
        resp.setHeader("X-Accel-Buffering", "no");
    }

    private void shed(HttpServletResponse resp, String why) throws IOException {
        LOG.debug("stream shed ({}); client told to retry", why);
        streamHeaders(resp);
        byte[] body = retryFrame(settings.overloadRetry).toByteArray();
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    private SseFrame retryFrame(Duration retry) {
        return SseFrame.of(retryEvent(retry));
    }

    private SseEvent retryEvent(Duration retry) {
        if (retry == null) {
            return null;
        }
        long jitter = settings.retryJitter.toMillis();
        long extra = jitter <= 0 ? 0 : ThreadLocalRandom.current().nextLong(jitter + 1);
        return SseEvent.builder().retry(retry.plusMillis(extra)).build();
    }

    void released(StreamConnection conn) {
        if (live.remove(conn)) {
            connections.decrementAndGet();
        }
    }

    private void sweepStalled() {
        try {
            long limit = settings.writeTimeout.toNanos();
            long now = System.nanoTime();
            for (StreamConnection conn : live) {
                if (conn.stalledLongerThan(limit, now)) {
                    conn.timedOut(settings.writeTimeout.toMillis());
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("write-timeout sweep failed", e);
        }
    }

    /**
     * Ends this servlet's streams: each gets the farewell event (if configured) and ends, spread at random over the
     * drain window; a hub the servlet built is shut down, a shared one keeps running. Waits at most the window plus
     * one second.
     */
    @Override
    public void destroy() {
        stopping = true;
        Settings s = settings;
        if (s == null) {
            return;
        }
        long window = s.drainWindow.toMillis();
        try {
            if (ownsHub) {
                CompletableFuture<Void> done = hub.shutdown(s.drainWindow, s.farewell);
                done.get(window + 1000, TimeUnit.MILLISECONDS);
                getServletContext().removeAttribute(s.hubAttribute);
            } else {
                for (StreamConnection conn : live) {
                    EventChannel ch = conn.channel();
                    if (ch != null) {
                        long delay = window <= 0 ? 0 : ThreadLocalRandom.current().nextLong(window);
                        timer.schedule(() -> ch.closeAfterDrain(CloseReason.HUB_CLOSED, s.farewell), delay,
                                TimeUnit.MILLISECONDS);
                    }
                }
                timer.schedule(() -> {
                    for (StreamConnection conn : live) {
                        EventChannel ch = conn.channel();
                        if (ch != null) {
                            ch.close(CloseReason.HUB_CLOSED);
                        }
                    }
                }, window, TimeUnit.MILLISECONDS).get(window + 1000, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            LOG.debug("SseServlet {} drain did not finish in time: {}", getServletName(), e.toString());
        } finally {
            for (StreamConnection conn : live) {
                conn.gone();
            }
            timer.shutdownNow();
        }
    }

    /**
     * Decides per request whether a stream may open, as {@link SseServlet#beforeStream} does.
     *
     * <pre>{@code
     * SseServlet.builder().hub(hub).hook((req, resp, topics, attrs) -> req.getUserPrincipal() != null
     *         || refuse(resp, 401)).build();
     * }</pre>
     *
     * <p>Runs on the container thread that serves the request, before any header is sent.
     */
    @FunctionalInterface
    public interface RequestHook {

        /**
         * Decides for one request.
         *
         * @param request the request
         * @param response the response; to refuse, set a status ({@code 401}, {@code 403}, or {@code 204} to stop
         *                 the browser reconnecting) and return false. Status 200 left as is becomes 204
         * @param topics the topics chosen from the configuration and query, modifiable
         * @param attributes the channel attributes ({@value SseServlet#PRINCIPAL_ATTRIBUTE} when authenticated),
         *                   modifiable
         * @return {@code true} to open the stream
         * @throws IOException as the response throws
         */
        boolean beforeStream(HttpServletRequest request, HttpServletResponse response, Set<String> topics,
                             Map<String, Object> attributes) throws IOException;
    }

    /**
     * Configures an {@link SseServlet} in code; init-params, when present, still override.
     *
     * <pre>{@code
     * SseServlet servlet = SseServlet.builder().hub(hub).retry(Duration.ofSeconds(3)).maxConnections(10_000).build();
     * context.addServlet(new ServletHolder(servlet), "/events");
     * }</pre>
     *
     * <p>Not thread-safe; every setting is described in the init-param table of {@link SseServlet}.
     */
    public static final class Builder {
        private Hub hub;
        private final Settings settings = new Settings();
        private RequestHook hook;

        private Builder() {
        }

        /**
         * The hub to stream; without one the servlet finds or builds it at init as for web.xml.
         *
         * @param hub the hub
         * @return this builder
         */
        public Builder hub(Hub hub) {
            this.hub = Objects.requireNonNull(hub, "hub");
            return this;
        }

        /**
         * The context attribute the hub is published under (init-param {@code hub}).
         *
         * @param name the attribute name
         * @return this builder
         */
        public Builder hubAttribute(String name) {
            settings.hubAttribute = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * The {@code retry:} sent when a stream opens, plus a random jitter up to {@code jitter} per client.
         *
         * @param retry the delay, or {@code null} for none
         * @param jitter the most added at random, zero for none
         * @return this builder
         */
        public Builder retry(Duration retry, Duration jitter) {
            settings.retry = retry;
            settings.retryJitter = Objects.requireNonNull(jitter, "jitter");
            return this;
        }

        /**
         * The {@code retry:} hint sent when a stream is shed.
         *
         * @param retry the delay
         * @return this builder
         */
        public Builder overloadRetry(Duration retry) {
            settings.overloadRetry = Objects.requireNonNull(retry, "retry");
            return this;
        }

        /**
         * The most live streams; beyond it a client is told to retry later.
         *
         * @param max at least 1, or 0 for no limit
         * @return this builder
         */
        public Builder maxConnections(int max) {
            if (max < 0) {
                throw new IllegalArgumentException("maxConnections must not be negative (was " + max + ")");
            }
            settings.maxConnections = max;
            return this;
        }

        /**
         * Topics every stream subscribes to.
         *
         * @param topics the topics
         * @return this builder
         */
        public Builder topics(Set<String> topics) {
            settings.topics = Set.copyOf(topics);
            return this;
        }

        /**
         * Topics a client may add with the {@code topic} query parameter; {@code "*"} allows any.
         *
         * @param allowed the allow-list
         * @return this builder
         */
        public Builder allowedTopics(Set<String> allowed) {
            settings.allowedTopics = Set.copyOf(allowed);
            return this;
        }

        /**
         * Cross-origin callers allowed, e.g. {@code https://app.example}; {@code "*"} allows any origin.
         *
         * @param origins the origins
         * @param credentials whether to allow credentials (cookies); not with {@code "*"}
         * @return this builder
         */
        public Builder allowedOrigins(Set<String> origins, boolean credentials) {
            settings.allowedOrigins = Set.copyOf(origins);
            settings.allowCredentials = credentials;
            settings.validate();
            return this;
        }

        /**
         * Whether to ignore the client's {@code Last-Event-ID} and never resume.
         *
         * @param ignore true to ignore
         * @return this builder
         */
        public Builder ignoreClientLastEventId(boolean ignore) {
            settings.ignoreClientLastEventId = ignore;
            return this;
        }

        /**
         * Ends each stream gracefully after between 80% and 100% of this age.
         *
         * @param age the age, zero for none
         * @return this builder
         */
        public Builder maxConnectionAge(Duration age) {
            settings.maxConnectionAge = Objects.requireNonNull(age, "age");
            return this;
        }

        /**
         * How streams end on {@link SseServlet#destroy()}.
         *
         * @param window the window the ends are spread over
         * @param farewell an event sent before the end, or {@code null}
         * @return this builder
         */
        public Builder drain(Duration window, SseEvent farewell) {
            settings.drainWindow = Objects.requireNonNull(window, "window");
            settings.farewell = farewell;
            return this;
        }

        /**
         * How long a client's socket may take nothing before the client is dropped.
         *
         * @param timeout the timeout, zero to disable
         * @return this builder
         */
        public Builder writeTimeout(Duration timeout) {
            settings.writeTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * Decides per request; see {@link RequestHook}.
         *
         * @param hook the hook
         * @return this builder
         */
        public Builder hook(RequestHook hook) {
            this.hook = Objects.requireNonNull(hook, "hook");
            return this;
        }

        /** @return the servlet */
        public SseServlet build() {
            return new SseServlet(hub, settings.copy(), hook, true);
        }
    }
}
