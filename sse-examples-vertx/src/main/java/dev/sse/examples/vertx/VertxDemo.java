package dev.sse.examples.vertx;

import dev.sse.core.Hub;
import dev.sse.core.InMemoryHistory;
import dev.sse.core.SseEvent;
import dev.sse.core.SseStream;
import dev.sse.core.http.Decision;
import dev.sse.core.http.HttpAnswer;
import dev.sse.core.http.PublishRules;
import dev.sse.examples.shared.BadRequest;
import dev.sse.examples.shared.ChatGenerator;
import dev.sse.examples.shared.ChatRequest;
import dev.sse.examples.shared.ClockTicker;
import dev.sse.examples.shared.DemoStats;
import dev.sse.vertx.RequestBodies;
import dev.sse.vertx.SseHandler;
import dev.sse.vertx.SseStreams;
import dev.sse.vertx.VertxRequestView;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo of sse-examples on Vert.x 5: the same page and the same HTTP API (see sse-examples/README.md), served by
 * sse-vertx's {@link SseHandler} and {@link SseStreams}. Listens on 127.0.0.1 unless told otherwise: anyone who can
 * reach the page may broadcast.
 */
public final class VertxDemo implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(VertxDemo.class);

    /** The address the demo listens on unless {@code --host} or {@code HOST} says otherwise. */
    public static final String DEFAULT_HOST = "127.0.0.1";

    static final SseEvent GAP = SseEvent.of("gap", "{\"message\":\"some notifications were missed\"}");

    private static final String GREETING = """
            Hello from the dev.sse demo!

            GET  /api/v1/sse               the clock: an "update" event every second
            GET  /api/v1/notifications     the notification stream (send Last-Event-ID to resume)
            POST /api/v1/notifications     publish the request body; ?event=NAME for a named event
            POST /api/v1/chat              stream the body's words back as tokens; ?tokens=N&interval=MS
            GET  /api/v1/stats             open connections and counters, as JSON

            Try: curl -N localhost:8080/api/v1/sse
            """;

    private final Vertx vertx;
    private final Hub clock;
    private final Hub notifications;
    private final ScheduledExecutorService scheduler;
    private final ClockTicker ticker;
    private final ChatGenerator chat;
    private final SseHandler clockHandler;
    private final SseHandler notificationHandler;
    private final PublishRules chatRules;
    private final RequestBodies prompts;
    private final HttpServer server;

    private VertxDemo(String host, int port, Set<String> allowedOrigins) throws Exception {
        this.clock = Hub.builder().history(InMemoryHistory.create(60, Duration.ofMinutes(1))).build();
        this.notifications = Hub.builder().maxQueuedBytes(8L << 20).gapEvent(GAP)
                .history(InMemoryHistory.create(50, Duration.ofMinutes(30))).build();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "demo-clock");
            t.setDaemon(true);
            return t;
        });
        this.ticker = ClockTicker.start(clock, Clock.systemDefaultZone(), scheduler, Duration.ofSeconds(1));
        this.chat = ChatGenerator.create();
        String origins = String.join(",", allowedOrigins);
        // The demo's HTTP contract names exactly "no-cache"; the library's default adds no-transform.
        this.clockHandler = SseHandler.builder(clock).setting("cacheControl", "no-cache")
                .setting("allowedOrigins", origins).build();
        this.notificationHandler = SseHandler.builder(notifications).setting("cacheControl", "no-cache")
                .setting("allowedOrigins", origins).setting("publish", "open").build();
        this.chatRules = new PublishRules(allowedOrigins, false, null, "topic");
        // The prompt is read without a thread; a trickle is refused as everywhere: 1024 bytes a second after a 5 s
        // grace, the whole body within 30 s.
        this.prompts = RequestBodies.builder().maxBodyBytes(ChatRequest.MAX_PROMPT_BYTES).build();
        this.vertx = Vertx.vertx();
        Router router = Router.router(vertx);
        router.get("/api/v1/").handler(rc -> rc.response().putHeader("Content-Type", "text/plain;charset=utf-8")
                .end(GREETING));
        router.route("/api/v1/sse").handler(clockHandler);
        router.route("/api/v1/notifications").handler(notificationHandler);
        router.route("/api/v1/chat").handler(this::chat);
        router.get("/api/v1/stats").handler(rc -> {
            Map<String, Hub> hubs = new LinkedHashMap<>();
            hubs.put("clock", clock);
            hubs.put("notifications", notifications);
            rc.response().putHeader("Content-Type", HttpAnswer.JSON_TYPE).putHeader("Cache-Control", "no-store")
                    .end(DemoStats.json(hubs, chat.statsJson()));
        });
        router.route("/*").handler(StaticHandler.create("webroot"));
        this.server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
                .requestHandler(router).listen().await(30, TimeUnit.SECONDS);
    }

    /**
     * Starts the demo.
     *
     * @param host the address to listen on
     * @param port the port, 0 for a free one
     * @param allowedOrigins origins besides the server's own whose pages may listen, publish and chat
     * @return the running demo
     * @throws Exception if it cannot listen
     */
    public static VertxDemo start(String host, int port, Set<String> allowedOrigins) throws Exception {
        return new VertxDemo(host, port, allowedOrigins);
    }

    /** @return the port the demo listens on */
    public int port() {
        return server.actualPort();
    }

    /** @return the chat's generator */
    public ChatGenerator chat() {
        return chat;
    }

    /** @return the notifications' hub */
    public Hub notifications() {
        return notifications;
    }

    /** {@code POST /api/v1/chat}: the prompt's words streamed back on the request's own stream. */
    private void chat(RoutingContext rc) {
        HttpServerResponse resp = rc.response();
        VertxRequestView view = VertxRequestView.of(rc.request());
        String method = rc.request().method().name();
        if (method.equals("OPTIONS")) {
            write(resp, chatRules.preflight(view, "POST, OPTIONS", "chat"));
            return;
        }
        if (!method.equals("POST")) {
            write(resp, HttpAnswer.error(405, null, "use POST").with("Allow", "POST, OPTIONS"));
            return;
        }
        Decision<Void> origin = chatRules.admitOrigin(view, "chat");
        if (!origin.accepted()) {
            write(resp, origin.refusal());
            return;
        }
        origin.headers().forEach(h -> resp.headers().add(h.name(), h.value()));
        ChatRequest request;
        try {
            request = ChatRequest.fromQuery(rc.request().query());
        } catch (BadRequest bad) {
            write(resp, HttpAnswer.json(400, bad.json()));
            return;
        }
        prompts.text(rc, "body", prompt -> {
            ChatRequest withPrompt;
            try {
                withPrompt = request.withPrompt(prompt);
            } catch (BadRequest bad) {
                write(resp, HttpAnswer.json(400, bad.json()));
                return;
            }
            // The demo's HTTP contract names exactly "no-cache" for every stream.
            resp.putHeader("Cache-Control", "no-cache");
            SseStream stream = SseStreams.start(rc);
            chat.start(stream, withPrompt);
        });
    }

    private static void write(HttpServerResponse resp, HttpAnswer answer) {
        if (resp.headWritten()) {
            return;
        }
        resp.setStatusCode(answer.status());
        answer.headers().forEach(h -> resp.headers().add(h.name(), h.value()));
        if (answer.bodyLength() > 0) {
            resp.end(Buffer.buffer(answer.body()));
        } else {
            resp.end();
        }
    }

    /** Ends the streams (notifications get no farewell), then stops the server and the hubs. */
    @Override
    public void close() throws Exception {
        CompletableFuture.allOf(clockHandler.shutdown(), notificationHandler.shutdown()).get(10, TimeUnit.SECONDS);
        chat.close();
        ticker.stop();
        scheduler.shutdownNow();
        vertx.close().await(10, TimeUnit.SECONDS);
        clock.close();
        notifications.close();
    }

    /**
     * Runs the demo until the process is stopped.
     *
     * @param args {@code --port N} (default: env {@code PORT}, else 8080), {@code --host NAME} (default: env
     *             {@code HOST}, else {@value #DEFAULT_HOST}), {@code --allow-origin URL} (repeatable)
     * @throws Exception if it cannot start
     */
    public static void main(String[] args) throws Exception {
        String portText = System.getenv("PORT");
        String host = System.getenv("HOST");
        List<String> origins = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String next = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--port" -> portText = required(args[i], next);
                case "--host" -> host = required(args[i], next);
                case "--allow-origin" -> origins.add(stripSlash(required(args[i], next)));
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; usage: java -jar sse-examples-vertx.jar [--port N] [--host NAME] [--allow-origin URL]...");
            }
            i++;
        }
        int port = 8080;
        if (portText != null && !portText.isBlank()) {
            try {
                port = Integer.parseInt(portText.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("port must be a number from 0 to 65535 (was \"" + portText + "\")");
            }
        }
        VertxDemo demo = start(host == null || host.isBlank() ? DEFAULT_HOST : host.trim(), port, Set.copyOf(origins));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                demo.close();
            } catch (Exception e) {
                LOG.warn("demo did not stop cleanly: {}", e.toString());
            }
        }, "demo-stop"));
        LOG.info("dev.sse Vert.x demo at http://localhost:{}/", demo.port());
    }

    private static String required(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    private static String stripSlash(String origin) {
        return origin.endsWith("/") ? origin.substring(0, origin.length() - 1) : origin;
    }
}
