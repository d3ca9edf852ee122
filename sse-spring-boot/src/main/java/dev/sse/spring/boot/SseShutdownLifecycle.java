package dev.sse.spring.boot;

import dev.sse.core.Hub;
import dev.sse.servlet.SseStreams;
import jakarta.servlet.ServletContext;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;

/**
 * Ends every hub's streams, and the application's per-request streams, when the application stops, before the web
 * server's graceful shutdown starts waiting for in-flight requests (an open stream is one, and would hold it for its
 * whole timeout).
 *
 * <p>Its phase, {@link #PHASE}, is above Boot's {@code WebServerGracefulShutdownLifecycle}
 * ({@code SmartLifecycle.DEFAULT_PHASE - 1024} in Boot 3.x and 4.x), so it stops first. {@link #stop(Runnable)}
 * calls {@code Hub.shutdown(drainWindow, farewell)} on every {@code Hub} bean and
 * {@code SseStreams.shutdown(servletContext, drainWindow, farewell)}, and reports back when all of them have ended
 * their streams, or after the window plus {@value #GRACE_MILLIS} ms at most. Called by Spring's lifecycle
 * processor; the callback runs on a hub's scheduler thread or the streams host's.
 */
final class SseShutdownLifecycle implements SmartLifecycle {

    /** Stops before the web server's graceful shutdown ({@code DEFAULT_PHASE - 1024}). */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 512;

    static final long GRACE_MILLIS = 3000;

    private static final Logger LOG = LoggerFactory.getLogger(SseShutdownLifecycle.class);

    private final ObjectProvider<Hub> hubs;
    private final SseProperties properties;
    private final ObjectProvider<SseStreamsInitializer> streams;
    private volatile List<Hub> started = List.of();
    private volatile boolean running;

    SseShutdownLifecycle(ObjectProvider<Hub> hubs, SseProperties properties,
                         ObjectProvider<SseStreamsInitializer> streams) {
        this.hubs = hubs;
        this.properties = properties;
        this.streams = streams;
    }

    @Override
    public void start() {
        started = hubs.orderedStream().toList();
        running = true;
    }

    @Override
    public void stop() {
        try {
            stopAll().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.warn("SSE hubs did not shut down cleanly", e.getCause());
        }
    }

    @Override
    public void stop(Runnable callback) {
        stopAll().whenComplete((ignored, failure) -> {
            if (failure != null) {
                LOG.warn("SSE hubs did not shut down cleanly", failure);
            }
            callback.run();
        });
    }

    private CompletableFuture<Void> stopAll() {
        running = false;
        List<Hub> all = started;
        Duration window = properties.getDrainWindow();
        LOG.debug("ending the streams of {} hub(s) over {}", all.size(), window);
        CompletableFuture<?>[] done = new CompletableFuture<?>[all.size() + 1];
        for (int i = 0; i < all.size(); i++) {
            done[i] = SseWiring.shutdown(all.get(i), properties);
        }
        SseStreamsInitializer initializer = streams.getIfAvailable();
        ServletContext context = initializer == null ? null : initializer.servletContext();
        done[all.size()] = context == null ? CompletableFuture.completedFuture(null)
                : SseStreams.shutdown(context, window, SseWiring.farewell(properties));
        return CompletableFuture.allOf(done).orTimeout(window.toMillis() + GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
