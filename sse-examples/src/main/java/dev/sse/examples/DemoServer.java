package dev.sse.examples;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import dev.sse.core.spi.Backplane;
import dev.sse.examples.shared.Json;
import dev.sse.servlet.SseServlet;
import jakarta.servlet.ServletException;
import org.eclipse.jetty.ee10.servlet.ErrorHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo on embedded Jetty 12 (EE 10): the webapp in {@code webapp/} on the classpath, deployed through its
 * {@code WEB-INF/web.xml} exactly as a user's WAR would be.
 *
 * <pre>{@code
 * DemoServer demo = DemoServer.start(0);   // 0: any free port
 * URI page = demo.uri();
 * demo.stop();
 * }</pre>
 *
 * <p>It listens on {@value #DEFAULT_HOST} unless told otherwise: the page lets anyone who can reach it broadcast
 * to every open tab. Only the server's own origin may publish, plus the origins given to
 * {@link #start(String, int, Set)}. Errors the container generates (404, 405, ...) are JSON, as the API's own are.
 *
 * <p>A request's header must arrive whole within {@value #DEFAULT_HEADER_DEADLINE_MS} ms of its first byte, or the
 * connection is closed; failed accepts (a process out of file descriptors) are logged once a minute, not once per
 * attempt.
 *
 * <p>Run {@link #main} for the interactive demo. {@link #stop()} may be called from any thread, once or more.
 */
public final class DemoServer {

    private static final Logger LOG = LoggerFactory.getLogger(DemoServer.class);
    private static final int DEFAULT_PORT = 8080;
    /** The interface the demo listens on unless told otherwise: loopback only. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /**
     * The time a request's header may take from its first byte to its end: 15 s. Jetty's idle timeout restarts
     * with every byte, so without it a header sent one byte a second holds its connection for good.
     */
    public static final long DEFAULT_HEADER_DEADLINE_MS = 15_000;
    /**
     * The most threads Jetty's pool may hold: 32, not Jetty's 200. A stream holds no thread between writes, so the
     * pool only needs the selectors, the acceptor and the requests and writes in flight at once; at 10,000 streams
     * on 2 cores 200 bought no latency and cost 170 threads and about 2 KB of RSS per stream (sse-bench/README.md,
     * "The demo through its HTTP API").
     */
    public static final int DEFAULT_MAX_THREADS = 32;

    private final Server server;
    private final ServerConnector connector;
    private final WebAppContext webApp;
    private final HeaderDeadline headerDeadline;

    private DemoServer(Server server, ServerConnector connector, WebAppContext webApp,
                       HeaderDeadline headerDeadline) {
        this.server = server;
        this.connector = connector;
        this.webApp = webApp;
        this.headerDeadline = headerDeadline;
    }

    /**
     * Starts the demo on {@value #DEFAULT_HOST}, publishing allowed from its own origin only.
     *
     * @param port the TCP port, or 0 for any free one
     * @return the running server
     * @throws Exception if Jetty or the webapp fails to start, e.g. a {@link BindException} if the port is taken
     */
    public static DemoServer start(int port) throws Exception {
        return start(DEFAULT_HOST, port, Set.of());
    }

    /**
     * Starts the demo, publishing allowed from its own origin only.
     *
     * @param host the interface to listen on, e.g. {@code 0.0.0.0} for all IPv4 ones; {@code null} for all
     * @param port the TCP port, or 0 for any free one
     * @return the running server
     * @throws Exception if Jetty or the webapp fails to start, e.g. a {@link BindException} if the port is taken
     */
    public static DemoServer start(String host, int port) throws Exception {
        return start(host, port, Set.of());
    }

    /**
     * Starts the demo.
     *
     * @param host the interface to listen on, e.g. {@code 0.0.0.0} for all IPv4 ones; {@code null} for all
     * @param port the TCP port, or 0 for any free one
     * @param allowedOrigins origins other than the server's own that may publish and listen from a browser, such as
     *                       {@code https://app.example.com}; {@code *} allows any
     * @return the running server
     * @throws Exception if Jetty or the webapp fails to start, e.g. a {@link BindException} if the port is taken
     */
    public static DemoServer start(String host, int port, Set<String> allowedOrigins) throws Exception {
        return start(host, port, allowedOrigins, null);
    }

    /**
     * Starts the demo as one node of several: the notification stream runs on a Redis stream shared by every node
     * started with the same Redis (the clock stays per node).
     *
     * @param host the interface to listen on, e.g. {@code 0.0.0.0} for all IPv4 ones; {@code null} for all
     * @param port the TCP port, or 0 for any free one
     * @param allowedOrigins origins other than the server's own that may publish and listen from a browser
     * @param redis e.g. {@code redis://127.0.0.1:6379}, or {@code null} for notifications in this process only
     * @return the running server
     * @throws Exception if Jetty or the webapp fails to start
     */
    public static DemoServer start(String host, int port, Set<String> allowedOrigins, String redis)
            throws Exception {
        Options options = new Options();
        options.host = host;
        options.port = port;
        options.allowedOrigins = allowedOrigins;
        options.redis = redis;
        return start(options);
    }

    /**
     * Starts the demo with its container's thread pool sized by the caller, e.g. to measure it.
     *
     * @param host the interface to listen on, e.g. {@code 0.0.0.0} for all IPv4 ones; {@code null} for all
     * @param port the TCP port, or 0 for any free one
     * @param maxThreads the most threads Jetty's pool may hold, at least 8 (see {@link #DEFAULT_MAX_THREADS})
     * @return the running server
     * @throws IllegalArgumentException if {@code maxThreads} is below 8
     * @throws Exception if Jetty or the webapp fails to start
     */
    public static DemoServer start(String host, int port, int maxThreads) throws Exception {
        Options options = new Options();
        options.host = host;
        options.port = port;
        options.maxThreads = checkMaxThreads(maxThreads);
        return start(options);
    }

    private static int checkMaxThreads(int maxThreads) {
        // Jetty's selectors and acceptor take their threads first; fewer than 8 leaves none for requests on most boxes.
        if (maxThreads < MIN_MAX_THREADS) {
            throw new IllegalArgumentException("maxThreads must be at least " + MIN_MAX_THREADS + " (was " + maxThreads
                    + ")");
        }
        return maxThreads;
    }

    private static final int MIN_MAX_THREADS = 8;

    /** What {@link #start(Options)} sets up; the tests change what the public starts cannot. */
    static final class Options {
        String host = DEFAULT_HOST;
        int port;
        Set<String> allowedOrigins = Set.of();
        String redis;
        long headerDeadlineMillis = DEFAULT_HEADER_DEADLINE_MS;
        int maxThreads = DEFAULT_MAX_THREADS;
        /** A web.xml fragment applied over the webapp's own (Jetty's override descriptor), or null. */
        URI overrideDescriptor;
        /** The notification hub's backplane in place of Redis, or null. */
        Backplane backplane;
    }

    static DemoServer start(Options options) throws Exception {
        QueuedThreadPool threads = new QueuedThreadPool(options.maxThreads, Math.min(8, options.maxThreads));
        Server server = new Server(threads);
        ServerConnector connector = new ThrottledAcceptConnector(server);
        connector.setHost(options.host);
        connector.setPort(options.port);
        // Browsers and load balancers open connections in bursts; Jetty's default backlog (50) drops SYNs, which a
        // client sees as a 1 s (then 3 s) connect stall.
        connector.setAcceptQueueSize(1024);
        HeaderDeadline headerDeadline = new HeaderDeadline(options.headerDeadlineMillis);
        // A bean both ways: the connector starts and stops it, and tells it of every connection.
        connector.addBean(headerDeadline);
        server.addConnector(connector);

        WebAppContext webApp = new WebAppContext();
        webApp.setContextPath("/");
        // Tied to the server, not the webapp: the webapp still reads its base while stopping, and a jar mount
        // owned by the webapp would already be closed then.
        webApp.setBaseResource(ResourceFactory.of(server).newResource(webappRoot()));
        // The demo's classes are on the application class path, not in WEB-INF/classes.
        webApp.setParentLoaderPriority(true);
        webApp.setInitParameter("org.eclipse.jetty.servlet.Default.dirAllowed", "false");
        // A broken web.xml should fail start() loudly instead of serving 503s.
        webApp.setThrowUnavailableOnStartupException(true);
        webApp.setInitParameter(DemoContextListener.ALLOWED_ORIGINS, String.join(",", options.allowedOrigins));
        webApp.setErrorHandler(new JsonErrorHandler());
        if (options.redis != null) {
            webApp.setInitParameter(DemoContextListener.REDIS_PARAMETER, options.redis);
        }
        if (options.backplane != null) {
            webApp.setAttribute(DemoContextListener.BACKPLANE_ATTRIBUTE, options.backplane);
        }
        if (options.overrideDescriptor != null) {
            webApp.addOverrideDescriptor(options.overrideDescriptor.toString());
        }
        server.setHandler(webApp);

        DemoServer demo = new DemoServer(server, connector, webApp, headerDeadline);
        try {
            server.start();
        } catch (Exception e) {
            demo.stop();
            throw e;
        }
        return demo;
    }

    private static URI webappRoot() throws URISyntaxException {
        URL webXml = Objects.requireNonNull(DemoServer.class.getResource("/webapp/WEB-INF/web.xml"),
                "webapp/WEB-INF/web.xml is missing from the class path");
        String s = webXml.toURI().toString();
        return new URI(s.substring(0, s.length() - "WEB-INF/web.xml".length()));
    }

    /** @return the port the server listens on, the actual one if started with 0 */
    public int port() {
        return connector.getLocalPort();
    }

    /** @return the demo's hubs, e.g. to add a {@link dev.sse.core.HubListener}; {@code null} once stopped */
    public DemoStreams streams() {
        return webApp.getServletContext() == null ? null : DemoStreams.from(webApp.getServletContext());
    }

    /** @return Jetty's thread pool, for tests */
    QueuedThreadPool threadPool() {
        return (QueuedThreadPool) server.getThreadPool();
    }

    /** @return the connector, for tests */
    ServerConnector connector() {
        return connector;
    }

    /** @return the connections closed so far for a request header that took too long */
    long headerDeadlineCloses() {
        return headerDeadline.closedConnections();
    }

    /** @return the notification servlet, which publishes too, for tests; null before the webapp started */
    SseServlet notificationServlet() throws ServletException {
        ServletHolder holder = webApp.getServletHandler().getServlet("notifications");
        return holder == null ? null : (SseServlet) holder.getServlet();
    }

    /** @return the page's address, {@code http://localhost:PORT/} */
    public URI uri() {
        return URI.create("http://localhost:" + port() + "/");
    }

    /**
     * Ends every stream through the hubs' graceful shutdown, then stops Jetty. Streams end first so that each
     * client sees a clean end of its response rather than a reset connection.
     */
    public void stop() {
        DemoStreams streams = streams();
        if (streams != null) {
            streams.close();
        }
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("Jetty did not stop cleanly", e);
        }
    }

    /**
     * Blocks until the server has stopped.
     *
     * @throws InterruptedException if interrupted while waiting
     */
    public void join() throws InterruptedException {
        server.join();
    }

    /**
     * Runs the demo until Ctrl-C.
     *
     * @param args {@code --port N} (default: env {@code PORT}, else 8080), {@code --host NAME} (default: env
     *             {@code HOST}, else {@value #DEFAULT_HOST}; {@code 0.0.0.0} for every IPv4 interface) and
     *             {@code --allow-origin URL}, repeatable (default: env {@code ALLOW_ORIGINS}, comma-separated, else
     *             none: only the demo's own page may publish), and {@code --redis URI} (default: env
     *             {@code REDIS_URL}, else notifications stay in this process)
     * @throws Exception if the demo fails to start for a reason other than a taken port
     */
    public static void main(String[] args) throws Exception {
        int port;
        String host;
        Set<String> origins;
        String redis;
        try {
            port = parsePort(option(args, "--port", System.getenv("PORT")));
            host = option(args, "--host", System.getenv("HOST"));
            origins = allowedOrigins(args, System.getenv("ALLOW_ORIGINS"));
            redis = option(args, "--redis", System.getenv("REDIS_URL"));
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println("usage: java -jar sse-examples.jar [--port N] [--host NAME] [--allow-origin URL]... "
                    + "[--redis redis://HOST:PORT]");
            System.exit(2);
            return;
        }
        if (host == null) {
            host = DEFAULT_HOST;
        }
        DemoServer demo;
        try {
            demo = start(host, port, origins, redis);
        } catch (IOException e) {
            if (e instanceof BindException || e.getCause() instanceof BindException) {
                LOG.error("Port {} is in use. Try --port {} (or set PORT).", port, port + 1);
                System.exit(1);
                return;
            }
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("Stopping: ending streams, then Jetty");
            demo.stop();
            LOG.info("Stopped");
        }, "demo-shutdown"));
        LOG.info("SSE demo running at http://localhost:{}/ on interface {}{}  (Ctrl-C to stop)", demo.port(), host,
                origins.isEmpty() ? "" : ", publishing also allowed from " + String.join(", ", origins));
        demo.join();
    }

    private static String option(String[] args, String name, String fallback) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals(name)) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                return args[i + 1];
            }
            if (args[i].startsWith(name + "=")) {
                return args[i].substring(name.length() + 1);
            }
        }
        return fallback == null || fallback.isBlank() ? null : fallback;
    }

    /** Every {@code --allow-origin} value; the environment's list only when there is none. */
    static Set<String> allowedOrigins(String[] args, String env) {
        List<String> given = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--allow-origin")) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--allow-origin needs a value");
                }
                given.add(args[++i]);
            } else if (args[i].startsWith("--allow-origin=")) {
                given.add(args[i].substring("--allow-origin=".length()));
            }
        }
        Set<String> origins = DemoContextListener.parse(given.isEmpty() ? env : String.join(",", given));
        for (String origin : origins) {
            if (!origin.equals("*") && !origin.matches("[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#\\s]+")) {
                throw new IllegalArgumentException("an allowed origin is scheme://host[:port], such as "
                        + "https://app.example.com, or * (was \"" + origin + "\")");
            }
        }
        return origins;
    }

    private static int parsePort(String value) {
        if (value == null) {
            return DEFAULT_PORT;
        }
        try {
            int port = Integer.parseInt(value.trim());
            if (port >= 0 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // Reported below with the same message as an out-of-range number.
        }
        throw new IllegalArgumentException("port must be a number from 0 to 65535 (was \"" + value + "\")");
    }

    /**
     * Answers the errors the container generates itself (an unknown path, a method the default servlet does not
     * serve) with {@code {"error":"Not Found"}} instead of an HTML page, whatever the client accepts, and never
     * names an exception.
     */
    private static final class JsonErrorHandler extends ErrorHandler {

        JsonErrorHandler() {
            setShowStacks(false);
            setShowCauses(false);
        }

        @Override
        public boolean errorPageForMethod(String method) {
            return true;
        }

        @Override
        protected boolean generateAcceptableResponse(Request request, Response response, Callback callback,
                                                     String contentType, List<Charset> charsets, int code,
                                                     String message, Throwable cause) throws IOException {
            return super.generateAcceptableResponse(request, response, callback, "application/json",
                    List.of(StandardCharsets.UTF_8), code, message, cause);
        }

        @Override
        protected void writeErrorJson(Request request, PrintWriter writer, int code, String message,
                                      Throwable cause) {
            // Jetty's own message may carry an exception's text for a 500; the reason phrase is all a client needs.
            String reason = code >= 500 || message == null ? HttpStatus.getMessage(code) : message;
            writer.write(Json.error(reason, null));
        }
    }
}
