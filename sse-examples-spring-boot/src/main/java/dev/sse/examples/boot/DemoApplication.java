package dev.sse.examples.boot;

import dev.sse.core.Hub;
import dev.sse.core.InMemoryHistory;
import dev.sse.core.SseEvent;
import dev.sse.examples.shared.ChatGenerator;
import dev.sse.examples.shared.ChatRequest;
import dev.sse.servlet.PublishPolicy;
import dev.sse.servlet.RequestBodies;
import dev.sse.servlet.SseServlet;
import dev.sse.servlet.SseStreams;
import jakarta.servlet.ServletContext;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * The clock + notifications demo on Spring Boot and {@code sse-spring-boot-starter}.
 *
 * <p>It has two streams, so it defines its two {@code Hub} beans and their servlet registrations itself (the
 * starter registers a servlet only when there is a single hub); the starter still ends both hubs' streams before
 * the web server stops and binds their meters ({@code hub=clock}, {@code hub=notifications}).
 *
 * <p>{@code POST /api/v1/notifications} publishes: the notification servlet's own publishing, {@code open} as in
 * sse-examples' web.xml, with the library's defaults (1 MiB, 30 s, 5 s grace, 1024 bytes a second, 64 MiB, 2 threads,
 * 32 waiting), so both demos answer alike. {@code POST /api/v1/chat} ({@link ChatController}) answers on per-request
 * streams; their tokens come from one {@link ChatGenerator}, and {@link #endChats} ends them before the web server's
 * graceful shutdown. Pages of other origins may publish, listen and chat when listed in {@code demo.allowed-origins}
 * (comma-separated, or {@code *}).
 */
@SpringBootApplication
@EnableScheduling
public class DemoApplication {

    private static final Logger LOG = LoggerFactory.getLogger(DemoApplication.class);

    /** Created by Spring. */
    public DemoApplication() {
    }

    /**
     * Runs the demo.
     *
     * @param args Spring Boot arguments, e.g. {@code --server.port=9090}
     */
    public static void main(String[] args) {
        SpringApplication.run(DemoApplication.class, args);
    }

    /** @return the clock's hub: a minute of history fills a short reconnect's gap */
    @Bean
    Hub clock() {
        return Hub.builder().history(InMemoryHistory.create(60, Duration.ofMinutes(1))).build();
    }

    /** @return the notifications' hub: up to 1 MiB each, so the history is bounded by count too */
    @Bean
    Hub notifications() {
        // The gap event of the HTTP contract, as in sse-examples: sent ahead of a replay that cannot be whole.
        return Hub.builder().history(InMemoryHistory.create(50, Duration.ofMinutes(30)))
                .gapEvent(SseEvent.of("gap", "{\"message\":\"some notifications were missed\"}")).build();
    }

    /** @return the origins besides the server's own whose pages may publish, listen and chat */
    @Bean
    AllowedOrigins allowedOrigins(@Value("${demo.allowed-origins:}") String allowed) {
        return new AllowedOrigins(Arrays.stream(allowed.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .map(s -> s.endsWith("/") ? s.substring(0, s.length() - 1) : s)
                .collect(Collectors.toUnmodifiableSet()));
    }

    @Bean
    ServletRegistrationBean<SseServlet> clockStream(@Qualifier("clock") Hub clock, AllowedOrigins origins) {
        return stream("clock", SseServlet.builder().hub(clock), origins, "/api/v1/sse");
    }

    /** @return the notification stream, which {@code POST} publishes to, open to anyone as in sse-examples */
    @Bean
    ServletRegistrationBean<SseServlet> notificationStream(@Qualifier("notifications") Hub notifications,
                                                           AllowedOrigins origins) {
        return stream("notifications", SseServlet.builder().hub(notifications).publishing(PublishPolicy.open()),
                origins, "/api/v1/notifications");
    }

    /** @return the chat's token generator: one scheduler thread for every chat */
    @Bean(destroyMethod = "close")
    ChatGenerator chatGenerator() {
        return ChatGenerator.create();
    }

    /** @return the prompt reader: 64 KiB, and the library's deadline, grace, rate and budget, as in sse-examples */
    @Bean(destroyMethod = "close")
    RequestBodies chatBodies(AllowedOrigins origins) {
        return RequestBodies.builder().maxBodyBytes(ChatRequest.MAX_PROMPT_BYTES)
                .allowedOrigins(origins.origins(), false)
                .shedMessage("too many chats are arriving at once; retry later")
                .threadName("demo-chat-deadlines").build();
    }

    @Bean
    FilterRegistrationBean<ChatFilter> chatMethods(RequestBodies chatBodies) {
        FilterRegistrationBean<ChatFilter> registration = new FilterRegistrationBean<>(new ChatFilter(chatBodies));
        registration.addUrlPatterns("/api/v1/chat");
        registration.setAsyncSupported(true);
        return registration;
    }

    /**
     * @return ends every chat's stream before the web server's graceful shutdown, which would otherwise wait for
     *         them as in-flight requests
     */
    @Bean
    SmartLifecycle endChats(ServletContext context) {
        return new SmartLifecycle() {
            private volatile boolean running = true;

            @Override
            public void start() {
                running = true;
            }

            @Override
            public void stop() {
                running = false;
                try {
                    SseStreams.shutdown(context, Duration.ofMillis(250), null).get(2, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (ExecutionException | TimeoutException e) {
                    LOG.warn("chat streams did not all end within 2 s");
                }
            }

            @Override
            public boolean isRunning() {
                return running;
            }
        };
    }

    private static ServletRegistrationBean<SseServlet> stream(String name, SseServlet.Builder servlet,
                                                              AllowedOrigins origins, String path) {
        ServletRegistrationBean<SseServlet> registration =
                new ServletRegistrationBean<>(servlet.allowedOrigins(origins.origins(), false).build(), path);
        registration.setName(name);
        registration.setAsyncSupported(true);
        registration.setLoadOnStartup(1);
        // The demo's HTTP contract names exactly "no-cache"; the library's default adds no-transform.
        registration.addInitParameter("cacheControl", "no-cache");
        return registration;
    }

    /**
     * The {@code demo.allowed-origins} list, parsed once.
     *
     * @param origins the origins, such as {@code https://app.example.com}, or {@code *}
     */
    record AllowedOrigins(Set<String> origins) {
    }
}
