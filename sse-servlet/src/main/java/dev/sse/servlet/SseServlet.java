package dev.sse.servlet;

import dev.sse.core.CloseReason;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.HubClosedException;
import dev.sse.core.SseEvent;
import dev.sse.core.SseFrame;
import dev.sse.core.ChannelOptions;
import dev.sse.core.http.Decision;
import dev.sse.core.http.PublishRules;
import dev.sse.core.http.SseSettings;
import dev.sse.core.http.StreamRules;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.Principal;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 *       {@code POST} publishes when publishing is on (see <em>Publishing over HTTP</em>); any other method gets
 *       {@code 405} with {@code Allow: GET, HEAD, OPTIONS} and {@code {"error":"PUT is not allowed; use GET, HEAD,
 *       OPTIONS","field":"method"}}; when publishing, {@code Allow: GET, HEAD, POST, OPTIONS} and
 *       {@code {"error":"PUT is not supported here; use GET to listen or POST to publish","field":"method"}}.</li>
 *   <li>A request whose {@code Origin} is not allowed gets {@code 403} before any stream starts; a request without
 *       {@code Origin} (same origin, or not a browser) is allowed.</li>
 *   <li>Beyond {@code maxConnections} (by default: beyond what the process's file limit leaves room for, see
 *       <em>Limits</em>), or while the servlet stops, a {@code GET} gets {@code 200}, a {@code retry:} hint and the
 *       end of the stream: the browser comes back later. Never {@code 503}, after which {@code EventSource} would
 *       give up for good.</li>
 *   <li>A client with {@code maxConnectionsPerClient} live streams already gets {@code 429} with
 *       {@code Retry-After} (the {@code overloadRetry}, in whole seconds, at least 1) and a JSON body
 *       {@code {"error":"...","field":"maxConnectionsPerClient"}}; a browser's {@code EventSource} stops there, which
 *       is meant: this is the answer to one client hoarding streams, not to load.</li>
 *   <li>A malformed query (bad percent-encoding, not UTF-8, raw bytes) gets {@code 400} with a JSON body naming the
 *       parameter; a topic not allowed gets {@code 204}, so the browser stops asking.</li>
 *   <li>The {@link RequestHook} (builder, or the {@code requestHook} init-param naming a class) can refuse with
 *       {@code 401}/{@code 403}, stop the browser reconnecting with {@code 204}, pick topics and attach values to the
 *       channel. It is the one way to admit a request.</li>
 * </ul>
 *
 * <h2>The hub</h2>
 * The hub lives in a {@link ServletContext} attribute named by the {@code hub} init-param (default
 * {@value #DEFAULT_HUB_ATTRIBUTE}); application code gets it with {@link #hub(ServletContext, String)}, in any order
 * with the servlet's {@code init}: whichever comes first builds it from this servlet's init-params, so a
 * {@code ServletContextListener} may ask for it at startup. If a hub was given in code, it is used and published
 * there. If the application put its own hub there, it is used, and hub-building init-params ({@code keepAlive},
 * queue limits, history, policy) are ignored with a WARN naming them. A hub built for the servlet is shut down in
 * {@link #destroy()}; one the application made is never closed by it: only the servlet's own streams end. Unknown
 * init-params (typos) are logged at WARN.
 *
 * <h2>Limits</h2>
 * Every stream holds a socket, so streams without a bound take every file descriptor of the process, after which
 * nothing else (pages, API calls, new streams) can be accepted. By default, a servlet without {@code maxConnections}
 * admits a stream only while the streams of <em>all</em> such servlets (all {@code SseServlet}s loaded by the same
 * class loader: one web application, or the whole process when the library sits on the container's class path)
 * number fewer than the process's file limit ({@code ulimit -n}, read once at start through
 * {@code com.sun.management.UnixOperatingSystemMXBean}; HotSpot raises the soft limit to the hard one as it starts)
 * minus a reserve of 64 or a tenth of the limit, whichever is more, for everything else the process opens (measured:
 * 41 files at rest for a JVM serving two such servlets on Jetty with its jars on the class path): with
 * {@code ulimit -n 1200}, 1,080 streams; with 65,536, 58,983. Beyond it streams are shed as at {@code maxConnections},
 * and one WARN a minute says how many were shed. Streams of servlets with an explicit
 * {@code maxConnections} count towards that bound too, but are held only to their own setting; {@code 0} means no
 * limit at all. Where the JVM cannot tell the file limit (not on Unix) there is no default bound. Streams multiplexed
 * over one HTTP/2 connection share one socket but count one each, which errs on the safe side.
 *
 * <p>{@code maxConnectionsPerClient} (off by default) bounds the live streams of one client on this servlet: the
 * client is the authenticated user ({@link HttpServletRequest#getUserPrincipal()}) when there is one, else the remote
 * address. Behind a proxy every client has the proxy's address unless the container takes it from
 * {@code X-Forwarded-For}/{@code Forwarded} (Jetty's {@code ForwardedRequestCustomizer}, Tomcat's
 * {@code RemoteIpValve}): set that up, or the cap applies to everyone at once. A place is given back when the
 * stream ends, however it ends.
 *
 * <h2>Publishing over HTTP</h2>
 * Off by default: {@code POST} is {@code 405}. With a {@link PublishPolicy} (builder {@link Builder#publishing}, or
 * the {@code publish} init-param: {@code open}, or the name of a class implementing it), {@code POST} on the stream's
 * own URL broadcasts its body to the hub:
 * <pre>
 * POST /events?event=alert&amp;topic=news     body: the event's data, read as UTF-8 text
 * 202 {"id":"7"}                             the id the hub gave the event
 * </pre>
 * The body is the data verbatim (any content type; line ends travel as the SSE format normalises them);
 * {@code event} (absent or empty: {@code message}) and the topic ({@code topicParameter}, absent: every stream) come
 * from the query, decoded strictly as percent-encoded UTF-8, never from a form body. Refused, with a JSON body and
 * nothing broadcast:
 * <ul>
 *   <li>{@code 403} {@code {"error":"origin https://evil.example may not publish here"}}: an {@code Origin} that is
 *       not allowed. A request without {@code Origin} (curl, a server) is allowed; so are {@code allowedOrigins}
 *       ({@code *} for any) and {@code publicOrigin}; without {@code publicOrigin} the server's own origin counts
 *       only under {@code localhost} or an IP address, since under a name a DNS-rebinding page controls both
 *       {@code Origin} and {@code Host}. {@code OPTIONS} with {@code Access-Control-Request-Method: POST} is answered
 *       by the same rule ({@code 204} with {@code Access-Control-Allow-Methods: POST}, else {@code 403});</li>
 *   <li>{@code 400} naming the field: an {@code event} with CR, LF or NUL, a raw (not percent-encoded) non-ASCII
 *       byte, a malformed escape or invalid UTF-8 in the query, {@code event} or the topic given twice; a body that
 *       is not valid UTF-8 (naming the byte offset); a malformed chunked body;</li>
 *   <li>{@code 403} {@code {"error":"this request may not publish here"}}: the policy said no (it sees the request,
 *       its principal and headers, the event and the topic, before the body is read);</li>
 *   <li>{@code 413}: a body over {@code maxBodyBytes}; a {@code Content-Length} over it before the body is touched
 *       (no {@code 100 Continue} on Jetty; Tomcat sends its own at once unless the connector's
 *       {@code continueResponseTiming} is {@code onRead}), a chunked body while it arrives;</li>
 *   <li>{@code 408}: a body not whole within {@code bodyDeadline}, or below {@code minBodyRate} bytes a second once
 *       {@code bodyGrace} has passed;</li>
 *   <li>{@code 503} with {@code Retry-After: 1}: the bodies held at once would pass {@code maxPendingBodyBytes}, or
 *       {@code publishQueue} broadcasts already wait for a publish thread; with {@code Retry-After: 5}: the broadcast
 *       failed (the hub is closed, its backplane is unavailable, or anything else it threw; one WARN line, no stack
 *       trace).</li>
 * </ul>
 * Bodies are read by {@link RequestBodies} without holding a container thread while they arrive; the broadcast runs
 * on the servlet's own {@code publishThreads} (bounded queue {@code publishQueue}), never on a container thread, since
 * a backplane may block for its command timeout. {@link Hub} has no asynchronous broadcast yet; this pool stands in.
 * The publish thread answers, and only then is the request completed.
 *
 * <h2>Init-params</h2>
 * Durations are written {@code 250ms}, {@code 15s}, {@code 5m}, {@code 1h}, ISO-8601 ({@code PT15S}) or plain
 * milliseconds; lists are comma-separated. Init-params that are present override what a {@link Builder} set.
 * Each is a row of the one settings table, {@link dev.sse.core.http.SseSettings}, which parses them, holds the
 * builder's values to the same ranges, and is shared with the other adapters and Spring Boot's {@code sse.*}.
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
 * <tr><td>{@code historyMaxBytes}</td><td>67108864 (64 MiB)</td><td>Most bytes of encoded events kept for resume
 *     (hub the servlet builds)</td></tr>
 * <tr><td>{@code backplane}</td><td>none</td><td>URI of a shared log that makes the hub one of many across nodes,
 *     e.g. {@code redis://host:6379} with {@code sse-redis} on the class path, which then keeps the history (hub the
 *     servlet builds; the {@code history*} init-params do not apply)</td></tr>
 * <tr><td>{@code slowClientPolicy}</td><td>{@code disconnect}</td><td>{@code disconnect}, {@code dropOldest} or
 *     {@code coalesce} (newest per event type) for a client whose queue is full (hub the servlet builds)</td></tr>
 * <tr><td>{@code retry}</td><td>none</td><td>Reconnection delay sent as {@code retry:} when a stream opens</td></tr>
 * <tr><td>{@code retryJitter}</td><td>0</td><td>Random extra added to {@code retry} per client, so clients do not
 *     all reconnect at once</td></tr>
 * <tr><td>{@code overloadRetry}</td><td>10s</td><td>{@code retry:} hint sent when a connection is shed (plus
 *     jitter)</td></tr>
 * <tr><td>{@code maxConnections}</td><td>none: the file limit's bound (see <em>Limits</em>)</td><td>Most live
 *     streams of this servlet; replaces the default bound. 0 for no limit at all</td></tr>
 * <tr><td>{@code maxConnectionsPerClient}</td><td>0 (off)</td><td>Most live streams of one client (user, else
 *     address) on this servlet; beyond it {@code 429}</td></tr>
 * <tr><td>{@code topics}</td><td>none</td><td>Topics every stream subscribes to</td></tr>
 * <tr><td>{@code topicParameter}</td><td>{@code topic}</td><td>Query parameter (repeatable or comma-separated)
 *     naming more topics</td></tr>
 * <tr><td>{@code allowedTopics}</td><td>none (parameter ignored)</td><td>Topics a client may ask for by query
 *     parameter; {@code *} allows any. Asking for another gets {@code 204}</td></tr>
 * <tr><td>{@code allowedOrigins}</td><td>none</td><td>Cross-origin callers allowed; {@code *} allows any (not with
 *     credentials). The server's own origin is always allowed</td></tr>
 * <tr><td>{@code allowCredentials}</td><td>false</td><td>Sends {@code Access-Control-Allow-Credentials: true}</td></tr>
 * <tr><td>{@code allowedHeaders}</td><td>none</td><td>Request headers a preflight may ask for besides
 *     {@code Last-Event-ID}</td></tr>
 * <tr><td>{@code publicOrigin}</td><td>derived from the request</td><td>This server's origin as browsers see it,
 *     e.g. {@code https://app.example}. Without it the origin is derived from the {@code Host} header, which a
 *     DNS-rebinding page controls: set it when streams carry anything private</td></tr>
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
 * <tr><td>{@code gapEvent}</td><td>none</td><td>Event type of an empty event sent ahead of the replay to a client
 *     whose {@code Last-Event-ID} the history cannot fully serve, so it can reload its state (hub the servlet
 *     builds)</td></tr>
 * <tr><td>{@code writeTimeout}</td><td>30s</td><td>A client whose socket takes nothing for this long is dropped;
 *     0 disables</td></tr>
 * <tr><td>{@code requestHook}</td><td>none</td><td>Class name of a {@link RequestHook} with a public no-argument
 *     constructor</td></tr>
 * <tr><td>{@code writerThreads}</td><td>the number of cores</td><td>Threads that write to sockets; a broadcast
 *     only queues and hands streams to them</td></tr>
 * <tr><td>{@code publish}</td><td>off</td><td>{@code open}, {@code off}, or the class name of a {@link PublishPolicy}
 *     with a public no-argument constructor: {@code POST} publishes (see <em>Publishing over HTTP</em>)</td></tr>
 * <tr><td>{@code maxBodyBytes}</td><td>1048576 (1 MiB)</td><td>Most bytes of a published body; more is
 *     {@code 413}</td></tr>
 * <tr><td>{@code bodyDeadline}</td><td>30s</td><td>Time a published body may take to arrive; then {@code 408}</td></tr>
 * <tr><td>{@code bodyGrace}</td><td>5s</td><td>Time before {@code minBodyRate} applies</td></tr>
 * <tr><td>{@code minBodyRate}</td><td>1024</td><td>Bytes a second a body must keep after the grace time (it must
 *     have reached {@code rate × (elapsed − grace)} bytes at every moment); below it {@code 408}</td></tr>
 * <tr><td>{@code maxPendingBodyBytes}</td><td>67108864 (64 MiB)</td><td>Memory all published bodies held at once
 *     may take (arriving or waiting for their broadcast); past it {@code 503}</td></tr>
 * <tr><td>{@code publishThreads}</td><td>2</td><td>Threads that run broadcasts of published bodies</td></tr>
 * <tr><td>{@code publishQueue}</td><td>32</td><td>Broadcasts that may wait for a publish thread; more is
 *     {@code 503}</td></tr>
 * </table>
 *
 * <h2>Threads</h2>
 * The container calls {@code service} concurrently. A broadcast only queues frames and hands the streams it woke to
 * the servlet's writer threads; per stream exactly one thread writes at a time (a writer thread, or the container
 * thread reporting the socket writable), never blocking on the socket. A daemon timer thread handles maximum ages
 * and write timeouts. With publishing on, a daemon timer thread enforces body deadlines and {@code publishThreads}
 * threads run broadcasts. All of them stop in {@link #destroy()}. See CONCURRENCY.md.
 */
public final class SseServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SseServlet.class);

    /** The default name of the {@link ServletContext} attribute holding the hub. */
    public static final String DEFAULT_HUB_ATTRIBUTE = "dev.sse.core.Hub";

    /** The channel attribute under which the request's {@link Principal} is attached, when there is one. */
    public static final String PRINCIPAL_ATTRIBUTE = "principal";

    private static final String OFF = "off";
    /** How long {@code destroy} waits beyond the drain window for the last streams to close. */
    private static final long DESTROY_GRACE_MILLIS = 1000;

    private final transient Hub givenHub;
    private final transient Settings base;
    private final transient RequestHook givenHook;
    private final transient PublishPolicy givenPolicy;
    private final transient boolean bypassAggregation;
    private final transient FileLimit fileLimit;

    private transient Settings settings;
    private transient volatile Hub hub;
    private transient boolean ownsHub;
    private transient RequestHook hook;
    /** Null while publishing is off. */
    private transient Publisher publisher;
    private transient StreamRules rules;
    private transient FrameWriter.Paths writePaths;
    private transient LiveStreams live;
    private transient volatile boolean stopping;
    private transient volatile boolean asyncErrorLogged;

    /** For web.xml: everything comes from init-params and the hub from the context (or is built). */
    public SseServlet() {
        this(null, new Settings(), null, null, true, FileLimit.PROCESS);
    }

    /**
     * For registration in code: streams the given hub.
     *
     * @param hub the hub; the servlet never closes it
     */
    public SseServlet(Hub hub) {
        this(Objects.requireNonNull(hub, "hub"), new Settings(), null, null, true, FileLimit.PROCESS);
    }

    private SseServlet(Hub hub, Settings settings, RequestHook hook, PublishPolicy policy, boolean bypassAggregation,
                       FileLimit fileLimit) {
        this.givenHub = hub;
        this.base = settings;
        this.givenHook = hook;
        this.givenPolicy = policy;
        this.bypassAggregation = bypassAggregation;
        this.fileLimit = fileLimit;
    }

    /** @return a builder for registration in code */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the hub published under a context attribute, building it from the init-params of the
     * {@code SseServlet} registered with that {@code hub} name if the servlet has not started yet: so a
     * {@code ServletContextListener} can get it at startup, before any servlet's {@code init}.
     *
     * @param context the servlet context
     * @param name the attribute name, as the servlet's {@code hub} init-param
     * @return the hub
     * @throws IllegalStateException if the attribute holds something else than a hub
     */
    public static Hub hub(ServletContext context, String name) {
        return ContextHubs.findOrBuild(context, name);
    }

    /**
     * Returns the hub published under {@value #DEFAULT_HUB_ATTRIBUTE}, as {@link #hub(ServletContext, String)}.
     *
     * @param context the servlet context
     * @return the hub
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
        LiveStreams l = live;
        return l == null ? 0 : l.count();
    }

    /**
     * The bound this servlet's streams are held to (see <em>Limits</em>): its {@code maxConnections} when set (init-params
     * count only from {@link #init()} on), else the bound derived from the process's file limit, which every servlet
     * without {@code maxConnections} shares, so fewer may be admitted here.
     *
     * @return the most live streams, or 0 for no limit
     */
    public int connectionLimit() {
        Settings s = settings != null ? settings : base;
        return s.maxConnections != null ? s.maxConnections : fileLimit.maxStreams();
    }

    /**
     * The bytes held now by request bodies being published (arriving, or waiting for their broadcast), at most
     * {@code maxPendingBodyBytes}: for a gauge.
     *
     * @return the bytes, 0 when publishing is off or before {@link #init()}
     */
    public long pendingBodyBytes() {
        Publisher p = publisher;
        return p == null ? 0 : p.pendingBodyBytes();
    }

    @Override
    public void init() throws ServletException {
        ServletConfig config = getServletConfig();
        Settings s = base.copy();
        PublishPolicy policy;
        TreeSet<String> hubParams = new TreeSet<>();
        for (String name : Collections.list(config.getInitParameterNames())) {
            if (!Settings.NAMES.contains(name)) {
                LOG.warn("SseServlet {}: unknown init-param \"{}\" is ignored; known: {}", config.getServletName(),
                        name, new TreeSet<>(Settings.NAMES));
            } else if (Settings.HUB_NAMES.contains(name)) {
                hubParams.add(name);
            }
        }
        try {
            s.apply(config::getInitParameter);
            hook = givenHook != null ? givenHook : loadHook(s.requestHook);
            policy = s.publish != null ? loadPolicy(s.publish) : givenPolicy;
            ContextHubs.Resolved resolved = ContextHubs.forServlet(getServletContext(), s, givenHub, hubParams,
                    config.getServletName());
            hub = resolved.hub();
            ownsHub = resolved.owned();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ServletException("SseServlet " + config.getServletName() + ": " + e.getMessage(), e);
        }
        settings = s;
        rules = s.streamRules();
        writePaths = new FrameWriter.Paths(bypassAggregation);
        live = new LiveStreams(s, config.getServletName(), fileLimit);
        if (policy != null) {
            publisher = new Publisher(config.getServletName(), s, policy, () -> hub);
            LOG.info("SseServlet {}: POST publishes to the hub (policy {})", config.getServletName(), policy);
        }
        if (s.maxConnections != null && fileLimit.maxStreams() > 0
                && (s.maxConnections == 0 || s.maxConnections > fileLimit.maxStreams())) {
            LOG.warn("SseServlet {}: maxConnections {} allows more streams than the file limit of {} leaves room for "
                    + "({}); beyond that, accepting a connection fails for the whole process", config.getServletName(),
                    s.maxConnections == 0 ? "0 (no limit)" : s.maxConnections, fileLimit.fileLimit(),
                    fileLimit.maxStreams());
        }
        LOG.debug("SseServlet {} ready ({} hub under \"{}\")", config.getServletName(), ownsHub ? "own" : "shared",
                s.hubAttribute);
    }

    private static RequestHook loadHook(String className) {
        if (className == null) {
            return null;
        }
        try {
            Class<?> type = Class.forName(className, true, Thread.currentThread().getContextClassLoader());
            return (RequestHook) type.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException | LinkageError e) {
            throw new IllegalArgumentException("init-param requestHook must name a public class implementing "
                    + "SseServlet.RequestHook with a public no-argument constructor (was \"" + className + "\"): "
                    + e, e);
        }
    }

    private static PublishPolicy loadPolicy(String value) {
        if (value.equals(OFF)) {
            return null;
        }
        if (value.equals("open")) {
            return PublishPolicy.open();
        }
        try {
            Class<?> type = Class.forName(value, true, Thread.currentThread().getContextClassLoader());
            return (PublishPolicy) type.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException | LinkageError e) {
            throw new IllegalArgumentException("init-param publish must be open, off, or name a public class "
                    + "implementing dev.sse.servlet.PublishPolicy with a public no-argument constructor (was \"" + value
                    + "\"): " + e, e);
        }
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        Publisher p = publisher;
        String allow = p == null ? StreamRules.ALLOW : PublishRules.ALLOW;
        switch (req.getMethod()) {
            case "GET":
                stream(req, resp);
                break;
            case "HEAD":
                if (admitOrigin(req, resp)) {
                    resp.setStatus(HttpServletResponse.SC_OK);
                    ErrorResponse.addHeaders(resp, rules.streamHeaders());
                }
                break;
            case "POST":
                if (p == null) {
                    ErrorResponse.write(resp, StreamRules.methodNotAllowed(req.getMethod(), false));
                } else {
                    p.publish(req, resp);
                }
                break;
            case "OPTIONS":
                if (p != null && "POST".equals(req.getHeader("Access-Control-Request-Method"))) {
                    p.preflight(req, resp);
                } else {
                    ErrorResponse.write(resp, rules.preflight(new ServletRequestView(req), allow));
                }
                break;
            default:
                ErrorResponse.write(resp, StreamRules.methodNotAllowed(req.getMethod(), p != null));
                break;
        }
    }

    /** The cross-origin check of a GET or HEAD: adds the CORS headers, or answers 403. */
    private boolean admitOrigin(HttpServletRequest req, HttpServletResponse resp) {
        Decision<Void> origin = rules.admitOrigin(new ServletRequestView(req));
        if (!origin.accepted()) {
            ErrorResponse.write(resp, origin.refusal());
            return false;
        }
        ErrorResponse.addHeaders(resp, origin.headers());
        return true;
    }

    private void stream(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!admitOrigin(req, resp)) {
            return;
        }
        Settings s = settings;
        Decision<StreamRules.Target> target = rules.target(new ServletRequestView(req));
        if (!target.accepted()) {
            ErrorResponse.write(resp, target.refusal());
            return;
        }
        Set<String> topics = new LinkedHashSet<>(target.value().topics());
        Map<String, Object> attributes = new LinkedHashMap<>();
        Principal principal = req.getUserPrincipal();
        if (principal != null) {
            attributes.put(PRINCIPAL_ATTRIBUTE, principal);
        }
        if (hook != null && !hook.beforeStream(req, resp, topics, attributes)) {
            if (!resp.isCommitted() && resp.getStatus() == HttpServletResponse.SC_OK) {
                resp.setStatus(HttpServletResponse.SC_NO_CONTENT);
            }
            return;
        }
        if (!req.isAsyncSupported()) {
            if (!asyncErrorLogged) {
                asyncErrorLogged = true;
                LOG.error("SseServlet {}: the request is not async-supported, so no stream can open. Add "
                        + "<async-supported>true</async-supported> to this servlet AND to every filter mapped before "
                        + "it in web.xml (or setAsyncSupported(true) on their registrations)", getServletName());
            }
            ErrorResponse.send(resp, HttpServletResponse.SC_INTERNAL_SERVER_ERROR, "async-supported",
                    "the servlet or a filter before it is not async-supported");
            return;
        }
        Hub h = hub;
        if (stopping || h.isClosed()) {
            shed(resp, "stopping");
            return;
        }
        String client = live.clientKey(req);
        switch (live.admit(client)) {
            case CLIENT_FULL:
                LOG.debug("stream refused: {} has {} streams already", client, s.maxConnectionsPerClient);
                ErrorResponse.write(resp, rules.tooManyFromClient());
                return;
            case SERVLET_FULL:
                shed(resp, "at maxConnections " + s.maxConnections);
                return;
            case FILES_FULL:
                shed(resp, "at the file limit's bound of " + fileLimit.maxStreams() + " streams");
                return;
            default:
                break;
        }
        boolean added = false;
        try {
            resp.setStatus(HttpServletResponse.SC_OK);
            ErrorResponse.addHeaders(resp, rules.streamHeaders());
            StreamConnection conn = live.connect(req, resp, writePaths, client);
            added = true;
            ChannelOptions.Builder options = ChannelOptions.builder().topics(topics)
                    .lastEventId(target.value().lastEventId()).initialEvent(rules.openingEvent());
            attributes.forEach(options::attribute);
            EventChannel channel;
            try {
                channel = h.open(conn, options.build(), conn::opened);
            } catch (HubClosedException closed) {
                LOG.debug("hub closed while opening a stream; asking the client to come back");
                conn.writeBeforeListening(SseFrame.of(rules.overloadEvent()).toByteArray());
                conn.close();
                return;
            }
            live.scheduleMaxAge(conn, channel);
            conn.listen();
        } finally {
            if (!added) {
                live.abandon(client);
            }
        }
    }

    /** Load shedding the browser survives: 200, a {@code retry:} hint, end of stream (never 503). */
    private void shed(HttpServletResponse resp, String why) throws IOException {
        LOG.debug("stream shed ({}); client told to retry", why);
        ErrorResponse.writeOrThrow(resp, rules.shed());
    }

    /**
     * Ends this servlet's streams: each gets the farewell event (if configured) and ends, spread at random over the
     * drain window; a hub built for the servlet is shut down, a shared one keeps running. Returns as soon as every
     * stream has ended, and waits at most the window plus one second.
     */
    @Override
    public void destroy() {
        stopping = true;
        Settings s = settings;
        if (s == null) {
            return;
        }
        try {
            CompletableFuture<Void> done = ownsHub ? hub.shutdown(s.drainWindow, s.farewell)
                    : live.drain(hub, s.drainWindow, s.farewell);
            done.get(s.drainWindow.toMillis() + DESTROY_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (TimeoutException | ExecutionException e) {
            LOG.debug("SseServlet {} drain did not finish in time: {}", getServletName(), e.toString());
        } finally {
            if (ownsHub) {
                getServletContext().removeAttribute(s.hubAttribute);
            }
            live.stop();
            if (publisher != null) {
                publisher.stop();
            }
        }
    }

    /**
     * Decides per request whether a stream may open, with which topics and channel attributes: the one admission
     * point of a servlet.
     *
     * <pre>{@code
     * SseServlet.builder().hub(hub).hook((req, resp, topics, attrs) -> {
     *     if (req.getUserPrincipal() == null) { resp.setStatus(401); return false; }
     *     return true;
     * }).build();
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
        private PublishPolicy policy;
        private boolean bypass = true;
        private FileLimit fileLimit = FileLimit.PROCESS;

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
            settings.retry = SseSettings.RETRY.check(retry);
            settings.retryJitter = SseSettings.RETRY_JITTER.check(Objects.requireNonNull(jitter, "jitter"));
            return this;
        }

        /**
         * The {@code retry:} hint sent when a stream is shed.
         *
         * @param retry the delay
         * @return this builder
         */
        public Builder overloadRetry(Duration retry) {
            settings.overloadRetry = SseSettings.OVERLOAD_RETRY.check(Objects.requireNonNull(retry, "retry"));
            return this;
        }

        /**
         * The most live streams of this servlet; beyond it a client is told to retry later. Replaces the default
         * bound derived from the process's file limit (see <em>Limits</em> in {@link SseServlet}).
         *
         * @param max at least 1, or 0 for no limit at all
         * @return this builder
         */
        public Builder maxConnections(int max) {
            settings.maxConnections = SseSettings.MAX_CONNECTIONS.check(max);
            return this;
        }

        /**
         * The most live streams of one client on this servlet (the authenticated user, else the remote address);
         * beyond it the client gets {@code 429} with {@code Retry-After}.
         *
         * @param max at least 1, or 0 for no cap (the default)
         * @return this builder
         */
        public Builder maxConnectionsPerClient(int max) {
            settings.maxConnectionsPerClient = SseSettings.MAX_CONNECTIONS_PER_CLIENT.check(max);
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
            settings.maxConnectionAge = SseSettings.MAX_CONNECTION_AGE.check(Objects.requireNonNull(age, "age"));
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
            settings.drainWindow = SseSettings.DRAIN_WINDOW.check(Objects.requireNonNull(window, "window"));
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
            settings.writeTimeout = SseSettings.WRITE_TIMEOUT.check(Objects.requireNonNull(timeout, "timeout"));
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

        /**
         * Turns publishing over HTTP on: {@code POST} on the servlet's URL broadcasts its body when the policy allows
         * (see <em>Publishing over HTTP</em> in {@link SseServlet}); {@link PublishPolicy#open()} lets anyone publish.
         * Init-param {@code publish}.
         *
         * @param policy who may publish what
         * @return this builder
         */
        public Builder publishing(PublishPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * The most bytes of a published body; more is {@code 413}. Init-param {@code maxBodyBytes}, default 1 MiB.
         *
         * @param bytes from 1 to {@code Integer.MAX_VALUE - 1}
         * @return this builder
         */
        public Builder maxBodyBytes(int bytes) {
            settings.maxBodyBytes = SseSettings.MAX_BODY_BYTES.check(bytes);
            return this;
        }

        /**
         * How long a published body may take to arrive, and the rate it must keep once the grace time has passed;
         * otherwise {@code 408}. Init-params {@code bodyDeadline} (30s), {@code bodyGrace} (5s),
         * {@code minBodyRate} (1024).
         *
         * @param deadline from 1 ms to a day
         * @param grace from 1 ms to a day
         * @param minBytesPerSecond at least 1
         * @return this builder
         */
        public Builder bodyDeadline(Duration deadline, Duration grace, long minBytesPerSecond) {
            Objects.requireNonNull(deadline, "deadline");
            Objects.requireNonNull(grace, "grace");
            settings.minBodyRate = SseSettings.MIN_BODY_RATE.check(minBytesPerSecond);
            settings.bodyDeadline = SseSettings.BODY_DEADLINE.check(deadline);
            settings.bodyGrace = SseSettings.BODY_GRACE.check(grace);
            return this;
        }

        /**
         * The memory all published bodies held at once may take; past it {@code 503}. Init-param
         * {@code maxPendingBodyBytes}, default 64 MiB.
         *
         * @param bytes at least 1
         * @return this builder
         */
        public Builder maxPendingBodyBytes(long bytes) {
            settings.maxPendingBodyBytes = SseSettings.MAX_PENDING_BODY_BYTES.check(bytes);
            return this;
        }

        /**
         * The threads that run broadcasts of published bodies, and how many broadcasts may wait for them (more is
         * {@code 503}). Init-params {@code publishThreads} (2) and {@code publishQueue} (32).
         *
         * @param threads from 1 to 64
         * @param queue from 1 to 100000
         * @return this builder
         */
        public Builder publishThreads(int threads, int queue) {
            settings.publishThreads = SseSettings.PUBLISH_THREADS.check(threads);
            settings.publishQueue = SseSettings.PUBLISH_QUEUE.check(queue);
            return this;
        }

        /**
         * Whether frames may bypass the container's aggregation buffer (on Jetty); only tests turn it off, to
         * measure what it saves.
         */
        Builder aggregationBypass(boolean bypass) {
            this.bypass = bypass;
            return this;
        }

        /** The file-limit bound this servlet shares; only tests give another than the process's. */
        Builder fileLimit(FileLimit limit) {
            this.fileLimit = Objects.requireNonNull(limit, "limit");
            return this;
        }

        /**
         * Request headers a CORS preflight may ask for besides {@code Last-Event-ID}.
         *
         * @param headers the header names
         * @return this builder
         */
        public Builder allowedHeaders(Set<String> headers) {
            settings.allowedHeaders = Set.copyOf(headers);
            return this;
        }

        /**
         * This server's origin as browsers see it, e.g. {@code https://app.example}; without it the origin is
         * derived from the request's {@code Host} header, which a DNS-rebinding page controls.
         *
         * @param origin the origin
         * @return this builder
         */
        public Builder publicOrigin(String origin) {
            settings.publicOrigin = Objects.requireNonNull(origin, "origin");
            return this;
        }

        /**
         * How many threads write to sockets; default the number of cores.
         *
         * @param threads at least 1
         * @return this builder
         */
        public Builder writerThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("writerThreads must be at least 1 (was " + threads + ")");
            }
            settings.writerThreads = threads;
            return this;
        }

        /** @return the servlet */
        public SseServlet build() {
            return new SseServlet(hub, settings.copy(), hook, policy, bypass, fileLimit);
        }
    }
}
