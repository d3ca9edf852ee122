package dev.sse.examples.webflux;

import dev.sse.core.Hub;
import dev.sse.core.InMemoryHistory;
import dev.sse.core.SseEvent;
import dev.sse.examples.shared.ChatGenerator;
import dev.sse.examples.shared.ClockTicker;
import dev.sse.webflux.NettyBadRequests;
import dev.sse.webflux.SseStreams;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.WebFilter;

/**
 * The clock + notifications + chat demo on Spring WebFlux (Reactor Netty), with {@code sse-spring-boot-starter} and
 * {@code sse-webflux}: the same HTTP API as sse-examples (see its README), routed by {@link DemoRoutes}.
 *
 * <p>Two hubs, so the starter routes none itself; it still ends both hubs' streams and the chats' before Netty's
 * graceful shutdown, and binds their meters.
 */
@SpringBootApplication
public class DemoApplication {

    private static final Logger LOG = LoggerFactory.getLogger(DemoApplication.class);

    static final int DEFAULT_PORT = 8080;
    static final String DEFAULT_HOST = "127.0.0.1";

    /** Sent ahead of the replay to a client whose {@code Last-Event-ID} the history cannot fully serve. */
    static final SseEvent GAP = SseEvent.of("gap", "{\"message\":\"some notifications were missed\"}");

    /** Created by Spring. */
    public DemoApplication() {
    }

    /**
     * Runs the demo until Ctrl-C.
     *
     * @param args {@code --port N} (default: env {@code PORT}, else 8080), {@code --host NAME} (default: env
     *             {@code HOST}, else 127.0.0.1), {@code --allow-origin URL}, repeatable (default: env
     *             {@code ALLOW_ORIGINS}, comma-separated); anything else is handed to Spring Boot
     */
    public static void main(String[] args) {
        SpringApplication app = new SpringApplication(DemoApplication.class);
        List<String> rest = new ArrayList<>();
        Map<String, Object> defaults = new LinkedHashMap<>();
        try {
            defaults.put("server.port", port(option(args, "--port", System.getenv("PORT"))));
            String host = option(args, "--host", System.getenv("HOST"));
            defaults.put("server.address", host == null ? DEFAULT_HOST : host);
            defaults.put("demo.allowed-origins", String.join(",", origins(args, System.getenv("ALLOW_ORIGINS"))));
        } catch (IllegalArgumentException e) {
            LOG.error("{}; usage: java -jar sse-examples-webflux.jar [--port N] [--host NAME] [--allow-origin URL]...",
                    e.getMessage());
            System.exit(2);
            return;
        }
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            boolean ours = a.equals("--port") || a.equals("--host") || a.equals("--allow-origin");
            if (ours) {
                i++;
            } else if (!a.startsWith("--port=") && !a.startsWith("--host=") && !a.startsWith("--allow-origin=")) {
                rest.add(a);
            }
        }
        app.setDefaultProperties(defaults);
        app.run(rest.toArray(new String[0]));
    }

    static String option(String[] args, String name, String fallback) {
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
        return fallback == null || fallback.isBlank() ? null : fallback.trim();
    }

    static int port(String value) {
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

    static Set<String> origins(String[] args, String env) {
        List<String> given = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--allow-origin") && i + 1 < args.length) {
                given.add(args[++i]);
            } else if (args[i].startsWith("--allow-origin=")) {
                given.add(args[i].substring("--allow-origin=".length()));
            }
        }
        String all = given.isEmpty() ? (env == null ? "" : env) : String.join(",", given);
        Set<String> out = new LinkedHashSet<>();
        for (String o : all.split(",")) {
            String t = o.trim();
            if (t.isEmpty()) {
                continue;
            }
            if (!t.equals("*") && !t.matches("[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#\\s]+/?")) {
                throw new IllegalArgumentException("an allowed origin is scheme://host[:port], such as "
                        + "https://app.example.com, or * (was \"" + t + "\")");
            }
            out.add(t.endsWith("/") ? t.substring(0, t.length() - 1) : t);
        }
        return out;
    }

    /** @return the clock's hub: a minute of history fills a short reconnect's gap */
    @Bean
    Hub clock() {
        return Hub.builder().history(InMemoryHistory.create(60, Duration.ofMinutes(1))).build();
    }

    /** @return the notifications' hub: up to 1 MiB each, so the history is bounded by count too */
    @Bean
    Hub notifications() {
        return Hub.builder().maxQueuedBytes(8L << 20).gapEvent(GAP)
                .history(InMemoryHistory.create(50, Duration.ofMinutes(30))).build();
    }

    /** @return the thread that ticks the clock */
    @Bean(destroyMethod = "shutdownNow")
    ScheduledExecutorService clockThread() {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "demo-clock");
            t.setDaemon(true);
            return t;
        });
    }

    /** @return the clock, ticking every second */
    @Bean(destroyMethod = "stop")
    ClockTicker clockTicker(@Qualifier("clock") Hub clock, ScheduledExecutorService clockThread) {
        return ClockTicker.start(clock, Clock.systemDefaultZone(), clockThread, Duration.ofSeconds(1));
    }

    /** @return the chat's token generator: one scheduler thread for every chat */
    @Bean(destroyMethod = "close")
    ChatGenerator chatGenerator() {
        return ChatGenerator.create();
    }

    /** @return the origins besides the server's own whose pages may publish, listen and chat */
    @Bean
    DemoOrigins demoOrigins(@Value("${demo.allowed-origins:}") String allowed) {
        return new DemoOrigins(origins(new String[0], allowed));
    }

    /** @return the demo's handlers */
    @Bean
    DemoRoutes demo(@Qualifier("clock") Hub clock, @Qualifier("notifications") Hub notifications, SseStreams streams,
                    ChatGenerator chat, DemoOrigins origins) {
        return new DemoRoutes(clock, notifications, streams, chat, origins);
    }

    /** @return every route of the demo's HTTP API */
    @Bean
    RouterFunction<ServerResponse> demoRoutes(DemoRoutes demo) {
        return demo.routes();
    }

    /** @return JSON answers for the malformed requests Reactor Netty would refuse with an empty 400 */
    @Bean
    NettyServerCustomizer jsonBadRequests() {
        return NettyBadRequests::install;
    }

    /** @return the publish and chat preflights, answered by the demo's origin rules rather than WebFlux's CORS */
    @Bean
    WebFilter demoPreflights(DemoRoutes demo) {
        return demo.preflights();
    }

}
