package dev.sse.examples.shared;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Broadcasts the time to a hub at a fixed rate, as {@code update} events whose ids the hub assigns:
 *
 * <pre>
 * id: 42
 * event: update
 * data: {"time":"14:03:07","message":"Pushed by the server, not polled"}
 * </pre>
 *
 * <p>Ticks run on the given scheduler; {@link #stop()} may be called from any thread.
 */
public final class ClockTicker {

    private static final Logger LOG = LoggerFactory.getLogger(ClockTicker.class);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
    private static final List<String> MESSAGES = List.of(
            "Hello from the server",
            "Pushed by the server, not polled",
            "One HTTP response, many events",
            "Reload the page: the stream picks up again",
            "Plain HTTP: no WebSocket upgrade needed",
            "A slow client never holds up the others",
            "Every event carries an id for resuming",
            "Open a second tab and post a notification");

    private final Hub hub;
    private final Clock clock;
    // Written once by start(), read by the scheduler thread; volatile because the first tick may run before start()
    // returns.
    private volatile ScheduledFuture<?> task;
    private long ticks;

    private ClockTicker(Hub hub, Clock clock) {
        this.hub = hub;
        this.clock = clock;
    }

    /**
     * Starts ticking at once, then every {@code period}.
     *
     * @param hub where to broadcast
     * @param clock the time to show, in the clock's zone
     * @param scheduler runs the ticks; not shut down by {@link #stop()}
     * @param period time between ticks, positive
     * @return the running ticker
     */
    public static ClockTicker start(Hub hub, Clock clock, ScheduledExecutorService scheduler, Duration period) {
        Objects.requireNonNull(hub, "hub");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(scheduler, "scheduler");
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("period must be positive (was " + period + ")");
        }
        ClockTicker ticker = new ClockTicker(hub, clock);
        ticker.task = scheduler.scheduleAtFixedRate(ticker::tick, 0, period.toMillis(), TimeUnit.MILLISECONDS);
        return ticker;
    }

    /**
     * The data of one update: {@code {"time":"HH:mm:ss","message":"..."}}.
     *
     * @param time the time to show
     * @param tick the tick number, which picks the message
     * @return the JSON text
     */
    public static String updateJson(LocalTime time, long tick) {
        String message = MESSAGES.get((int) (tick % MESSAGES.size()));
        return "{\"time\":" + Json.quote(TIME.format(time)) + ",\"message\":" + Json.quote(message) + "}";
    }

    /** Stops ticking; a tick already running finishes. */
    public void stop() {
        task.cancel(false);
    }

    // Only the scheduler calls this, one tick at a time, so ticks needs no guard.
    private void tick() {
        try {
            String json = updateJson(LocalTime.now(clock), ticks++);
            hub.broadcast(SseEvent.builder().event("update").data(json).build());
        } catch (IllegalStateException e) {
            // The hub closed before this ticker was stopped: shutdown is under way, nothing to report.
            ScheduledFuture<?> t = task;
            if (t != null) {
                t.cancel(false);
            }
        } catch (RuntimeException e) {
            // Rethrowing would cancel the periodic task and the clock would stop without a word.
            LOG.warn("clock tick failed", e);
        }
    }
}
