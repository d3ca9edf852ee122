package dev.sse.core;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Ends a set of channels gracefully, spread at random over a window so that clients do not all reconnect elsewhere
 * in the same instant: each gets the farewell (if any), drains, and closes; whatever is still open half a second after
 * the window ends (clients not reading) is closed then. The half second lets a farewell queued at the very end of
 * the window reach a reading client, whose writer thread may be busy. The one implementation behind {@link Hub#shutdown} and
 * {@link Hub#drain}. Runs on the given scheduler; a rejected task (the scheduler stopped) runs on the caller.
 */
final class GracefulDrain {

    static final long FORCE_AFTER_WINDOW_MILLIS = 500;

    private GracefulDrain() {
    }

    static CompletableFuture<Void> start(Collection<EventChannel> channels, Duration window, SseEvent farewell,
                                         CloseReason reason, ScheduledExecutorService scheduler) {
        List<EventChannel> targets = List.copyOf(channels);
        if (targets.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        SseFrame farewellFrame = farewell == null ? null : SseFrame.of(farewell);
        long windowMillis = Math.max(0, window.toMillis());
        CompletableFuture<?>[] closes = new CompletableFuture<?>[targets.size()];
        for (int i = 0; i < closes.length; i++) {
            EventChannel channel = targets.get(i);
            closes[i] = channel.closedFuture();
            long delay = windowMillis == 0 ? 0 : ThreadLocalRandom.current().nextLong(windowMillis);
            run(scheduler, () -> channel.closeAfterDrain(reason, farewellFrame), delay);
        }
        CompletableFuture<Void> done = CompletableFuture.allOf(closes);
        run(scheduler, () -> {
            for (EventChannel channel : targets) {
                channel.close(reason);
            }
        }, windowMillis + FORCE_AFTER_WINDOW_MILLIS);
        return done;
    }

    private static void run(ScheduledExecutorService scheduler, Runnable task, long delayMillis) {
        try {
            scheduler.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }
}
