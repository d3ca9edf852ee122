package dev.sse.examples;

import dev.sse.core.InMemoryHistory;
import dev.sse.core.SseEvent;
import dev.sse.core.spi.Backplane;
import dev.sse.core.spi.EventHistory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A backplane that does what the test says on each publish: deliver at once like a healthy log, throw like a Redis
 * that is down, or block like a paused one. Records which threads published.
 */
final class FakeBackplane implements Backplane {

    private final EventHistory history = InMemoryHistory.create(50, Duration.ofMinutes(30));
    private final AtomicLong ids = new AtomicLong();
    final List<String> publishingThreads = new CopyOnWriteArrayList<>();
    volatile Function<SseEvent, String> onPublish = this::deliver;
    volatile Inbound inbound;

    @Override
    public void start(Inbound inbound) {
        this.inbound = inbound;
    }

    @Override
    public String publish(String topic, SseEvent event) {
        publishingThreads.add(Thread.currentThread().getName());
        return onPublish.apply(event);
    }

    /** What a healthy log does: give the event an id and hand it back to the hub. */
    String deliver(SseEvent event) {
        String id = Long.toString(ids.incrementAndGet());
        inbound.deliver(null, event.withId(id));
        return id;
    }

    @Override
    public EventHistory history() {
        return history;
    }

    @Override
    public void close() {
    }
}
