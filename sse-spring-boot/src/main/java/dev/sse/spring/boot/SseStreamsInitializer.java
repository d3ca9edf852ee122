package dev.sse.spring.boot;

import dev.sse.servlet.SseStreams;
import jakarta.servlet.ServletContext;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.servlet.ServletContextInitializer;
import org.springframework.core.Ordered;

/**
 * Hands the {@code sse.streams.*} properties to sse-servlet's host of per-request streams as servlet context
 * init-params, and tells the starter's shutdown and metrics which {@link ServletContext} the streams live in.
 *
 * <p>Runs first among the initializers, while the web server starts the application ({@code onStartup}, on the
 * thread starting it), before any request can start a stream and so before the host reads its init-params. The
 * context is published once, after the init-params are set; {@link #whenStarted} may be called from any thread.
 */
final class SseStreamsInitializer implements ServletContextInitializer, Ordered {

    private static final Logger LOG = LoggerFactory.getLogger(SseStreamsInitializer.class);

    private final SseProperties properties;
    private final CompletableFuture<ServletContext> started = new CompletableFuture<>();

    SseStreamsInitializer(SseProperties properties) {
        this.properties = properties;
    }

    @Override
    public void onStartup(ServletContext context) {
        Map<String, String> params = SseWiring.streamParameters(properties.getStreams());
        for (Map.Entry<String, String> p : params.entrySet()) {
            if (!context.setInitParameter(p.getKey(), p.getValue())) {
                LOG.warn("the servlet context init-param {} is already {}; {} from the sse.streams.* properties is not "
                        + "applied", p.getKey(), context.getInitParameter(p.getKey()), p.getValue());
            }
        }
        if (!params.isEmpty()) {
            // Built now, so that a value the host refuses fails start-up (naming it) rather than the first stream.
            SseStreams.host(context);
        }
        started.complete(context);
    }

    /**
     * Runs {@code action} with the application's servlet context once the web server has started it (at once if it
     * has); never in an application without one (a mock environment).
     */
    void whenStarted(Consumer<ServletContext> action) {
        started.thenAccept(context -> {
            try {
                action.accept(context);
            } catch (RuntimeException e) {
                LOG.warn("setting up per-request streams failed", e);
            }
        });
    }

    /** @return the servlet context, or {@code null} before the web server started the application */
    ServletContext servletContext() {
        return started.getNow(null);
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE;
    }
}
