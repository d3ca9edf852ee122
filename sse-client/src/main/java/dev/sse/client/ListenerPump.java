package dev.sse.client;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener mode, a pump over the pull side: the reader thread gives it each {@link Item} the {@link Reconnector}
 * returns, and it calls the {@link SseListener}, in order, one call at a time. Without an executor the reader thread
 * makes the call itself, between reads: one item in flight, no queue. With one, the item goes through the
 * {@link HandOff} and a drain task on the executor makes the calls.
 *
 * <p>After the client is closed no more items are delivered but the last, {@link Item.Closed}, which is delivered
 * exactly once and as status 0.
 *
 * <p>Threads: {@link #accept} on the reader thread; the drain task on the executor, at most one at a time:
 * {@link #draining} admits one, and its CAS orders each task after the one before, so {@link #closedDelivered},
 * written only by the thread that delivers, needs no lock.
 */
final class ListenerPump implements Consumer<Item> {

    private static final Logger LOG = LoggerFactory.getLogger(SseClient.class);

    private final SseListener listener;
    /** Null: the listener runs on the reader thread. */
    private final Executor executor;
    private final HandOff handOff;
    private final BooleanSupplier closed;
    /** Closes the client, when the executor refuses a drain task. */
    private final Runnable close;
    private final String name;
    private final AtomicBoolean draining = new AtomicBoolean();
    private boolean closedDelivered;

    ListenerPump(SseListener listener, Executor executor, HandOff handOff, BooleanSupplier closed, Runnable close,
            String name) {
        this.listener = listener;
        this.executor = executor;
        this.handOff = handOff;
        this.closed = closed;
        this.close = close;
        this.name = name;
    }

    @Override
    public void accept(Item item) {
        if (executor == null) {
            deliver(item);
        } else if (item instanceof Item.Closed end) {
            handOff.finish(end);
            scheduleDrain();
        } else if (handOff.put(item)) {
            scheduleDrain();
        }
    }

    private void deliver(Item item) {
        if (closedDelivered) {
            return;
        }
        if (item instanceof Item.Closed) {
            closedDelivered = true;
            call(closed.getAsBoolean() ? Item.Closed.BY_APPLICATION : item);
        } else if (!closed.getAsBoolean()) {
            call(item);
        }
    }

    private void call(Item item) {
        try {
            item.deliverTo(listener);
        } catch (RuntimeException e) {
            LOG.warn("{}: the listener threw; the stream goes on", name, e);
        }
    }

    private void scheduleDrain() {
        if (draining.compareAndSet(false, true)) {
            try {
                executor.execute(this::drain);
            } catch (RejectedExecutionException e) {
                draining.set(false);
                LOG.warn("{}: the listener's executor rejected a task; closing the client", name, e);
                close.run();
            }
        }
    }

    private void drain() {
        while (true) {
            Item item;
            while (!closedDelivered && (item = handOff.poll()) != null) {
                deliver(item);
            }
            draining.set(false);
            // An item queued after the last poll but before draining was cleared found a task running and
            // scheduled none: look again.
            if (closedDelivered || !handOff.ready() || !draining.compareAndSet(false, true)) {
                return;
            }
        }
    }
}
