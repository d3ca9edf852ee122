package dev.sse.examples.boot;

import dev.sse.core.Hub;
import dev.sse.core.InMemoryHistory;
import dev.sse.servlet.SseServlet;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * The clock + notifications demo on Spring Boot and {@code sse-spring-boot-starter}.
 *
 * <p>It has two streams, so it defines its two {@code Hub} beans and their servlet registrations itself (the
 * starter registers a servlet only when there is a single hub); the starter still ends both hubs' streams before
 * the web server stops and binds their meters ({@code hub=clock}, {@code hub=notifications}).
 */
@SpringBootApplication
@EnableScheduling
public class DemoApplication {

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
        return Hub.builder().history(InMemoryHistory.create(50, Duration.ofMinutes(30))).build();
    }

    @Bean
    ServletRegistrationBean<SseServlet> clockStream(@Qualifier("clock") Hub clock) {
        return stream("clock", clock, "/api/v1/sse");
    }

    @Bean
    ServletRegistrationBean<SseServlet> notificationStream(@Qualifier("notifications") Hub notifications) {
        return stream("notifications", notifications, "/api/v1/notifications");
    }

    @Bean
    FilterRegistrationBean<PublishFilter> publish(@Qualifier("notifications") Hub notifications) {
        FilterRegistrationBean<PublishFilter> registration =
                new FilterRegistrationBean<>(new PublishFilter(notifications, 1 << 20));
        registration.addUrlPatterns("/api/v1/notifications");
        registration.setAsyncSupported(true);
        return registration;
    }

    private static ServletRegistrationBean<SseServlet> stream(String name, Hub hub, String path) {
        ServletRegistrationBean<SseServlet> registration =
                new ServletRegistrationBean<>(SseServlet.builder().hub(hub).build(), path);
        registration.setName(name);
        registration.setAsyncSupported(true);
        registration.setLoadOnStartup(1);
        // The demo's HTTP contract names exactly "no-cache"; the library's default adds no-transform.
        registration.addInitParameter("cacheControl", "no-cache");
        return registration;
    }
}
