package dev.sse.spring.boot;

import dev.sse.core.Hub;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
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
 * calls {@code Hub.shutdown(drainWindow, farewell)} on every {@code Hub} bean and ends the per-request streams
 * (the servlet stack's {@code SseStreams.shutdown(servletContext, ..)}, the reactive stack's
 * {@code SseStreams.shutdown(..)}: each auto-configuration passes its own), and reports back when all of them have
 * ended their streams, or after the window plus {@value #GRACE_MILLIS} ms at most. Called by Spring's lifecycle
 * processor; the callback runs on a hub's scheduler thread or the streams host's.
 */
final class SseShutdownLifecycle implements SmartLifecycle {

    /** Stops before the web server's graceful shutdown ({@code DEFAULT_PHASE - 1024}). */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 512;

    static final long GRACE_MILLIS = 3000;

    private static final Logger LOG = LoggerFactory.getLogger(SseShutdownLifecycle.class);

    private final ObjectProvider<Hub> hubs;
    private final SseProperties properties;
    private final Function<SseProperties, Stream<CompletableFuture<?>>> perRequestStreams;
    private volatile List<Hub> started = List.of();
    private volatile boolean running;

    /**
     * @param hubs the hub beans, whose streams end
     * @param properties the drain window and the farewell event
     * @param perRequestStreams ends the web stack's per-request streams with these properties; one future each
     */
    SseShutdownLifecycle(ObjectProvider<Hub> hubs, SseProperties properties,
                         Function<SseProperties, Stream<CompletableFuture<?>>> perRequestStreams) {
        this.hubs = hubs;
        this.properties = properties;
        this.perRequestStreams = perRequestStreams;
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
        } catch (ExecutionException e) {
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
        LOG.debug("ending the streams of {} hub(s) and the per-request streams over {}", all.size(), window);
        List<CompletableFuture<?>> done = new ArrayList<>();
        for (Hub hub : all) {
            done.add(SseWiring.shutdown(hub, properties));
        }
        perRequestStreams.apply(properties).forEach(done::add);
        return CompletableFuture.allOf(done.toArray(new CompletableFuture<?>[0])).orTimeout(window.toMillis() + GRACE_MILLIS, TimeUnit.MILLISECONDS);
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
