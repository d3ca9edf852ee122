package dev.sse.spring.boot;

import dev.sse.core.Hub;
import dev.sse.webflux.SseStreams;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;

/**
 * Ends every hub's streams, and the per-request streams, when a reactive application stops, before Reactor Netty's
 * graceful shutdown starts waiting for in-flight requests (an open stream is one). Same phase and bound as
 * {@link SseShutdownLifecycle}; the callback runs on a hub's scheduler thread.
 */
final class SseReactiveShutdownLifecycle implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(SseReactiveShutdownLifecycle.class);

    private final ObjectProvider<Hub> hubs;
    private final ObjectProvider<SseStreams> streams;
    private final SseProperties properties;
    private volatile List<Hub> started = List.of();
    private volatile boolean running;

    SseReactiveShutdownLifecycle(ObjectProvider<Hub> hubs, ObjectProvider<SseStreams> streams,
                                 SseProperties properties) {
        this.hubs = hubs;
        this.streams = streams;
        this.properties = properties;
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
        Duration window = properties.getDrainWindow();
        List<CompletableFuture<?>> done = new ArrayList<>();
        for (Hub hub : started) {
            done.add(SseWiring.shutdown(hub, properties));
        }
        streams.orderedStream().forEach(s -> done.add(s.shutdown(window, SseWiring.farewell(properties))));
        LOG.debug("ending the streams of {} hub(s) and per-request streams over {}", started.size(), window);
        return CompletableFuture.allOf(done.toArray(new CompletableFuture<?>[0]))
                .orTimeout(window.toMillis() + SseShutdownLifecycle.GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return SseShutdownLifecycle.PHASE;
    }
}
