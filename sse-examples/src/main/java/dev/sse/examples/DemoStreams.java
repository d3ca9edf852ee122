package dev.sse.examples;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.core.InMemoryHistory;
import dev.sse.core.spi.Backplane;
import dev.sse.examples.shared.ChatGenerator;
import dev.sse.examples.shared.ClockTicker;
import dev.sse.redis.RedisBackplane;
import dev.sse.servlet.SseStreams;
import jakarta.servlet.ServletContext;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo's two streams, the clock and the notifications, each a {@link Hub}, plus the task that drives the clock,
 * and the {@link ChatGenerator} that answers {@code POST /api/v1/chat} on per-request streams.
 *
 * <p>Created by {@link DemoContextListener} and kept in the servlet context under {@link #ATTRIBUTE}; the hubs are
 * also stored under {@link #CLOCK} and {@link #NOTIFICATIONS}, the names web.xml passes to the servlets as their
 * {@code hub} init-param. {@link #close()} is idempotent and may be called from any thread.
 */
public final class DemoStreams implements AutoCloseable {

    /** The servlet context attribute holding this object. */
    public static final String ATTRIBUTE = DemoStreams.class.getName();
    /** The servlet context attribute (and {@code hub} init-param) of the clock hub. */
    public static final String CLOCK = "clock";
    /** The servlet context attribute (and {@code hub} init-param) of the notifications hub. */
    public static final String NOTIFICATIONS = "notifications";

    private static final Logger LOG = LoggerFactory.getLogger(DemoStreams.class);
    // Spreading the closes a little keeps a restart from making every browser reconnect in the same millisecond,
    // while Ctrl-C still feels instant.
    private static final Duration DRAIN_WINDOW = Duration.ofMillis(250);

    private final Hub clock;
    private final Hub notifications;
    private final ScheduledExecutorService scheduler;
    private final ClockTicker ticker;
    private final ChatGenerator chat = ChatGenerator.create();
    /** The webapp whose per-request (chat) streams {@link #close()} ends; set once by the context listener. */
    private volatile ServletContext context;

    /**
     * What every notification client gets when events it should have had are lost: its resume id is no longer in
     * the history, or the backplane lost events while this node could not read it. {@code event: gap}, no id (so the
     * client keeps its resume position), and data saying so.
     */
    static final SseEvent GAP = SseEvent.of("gap", "{\"message\":\"some notifications were missed\"}");

    private DemoStreams(Clock wallClock, String redis, Backplane backplane) {
        // A minute of clock history lets a browser that lost its connection briefly fill the gap on reconnect.
        this.clock = Hub.builder().history(InMemoryHistory.create(60, Duration.ofMinutes(1))).build();
        // Notifications may be up to 1 MiB each: bound the history by count so that it stays well under 100 MiB,
        // and let a client hold a few large ones queued before it counts as slow.
        Hub.Builder notes = Hub.builder().maxQueuedBytes(8L << 20).gapEvent(GAP);
        if (backplane != null) {
            notes.backplane(backplane);
        } else if (redis == null) {
            notes.history(InMemoryHistory.create(50, Duration.ofMinutes(30)));
        } else {
            // Every node on this Redis shares the stream: a notification posted to one reaches the clients of all,
            // and a client resumes on any node. The stream keeps the last hundred or so: notifications may be 1 MiB.
            notes.backplane(RedisBackplane.builder(redis).streamKey("sse:demo:notifications").maxLength(100)
                    .mirrorSize(50).build());
            LOG.info("notifications shared through {}", redis);
        }
        this.notifications = notes.build();
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "demo-clock");
            t.setDaemon(true);
            return t;
        });
        s.setRemoveOnCancelPolicy(true);
        this.scheduler = s;
        this.ticker = ClockTicker.start(clock, wallClock, scheduler, Duration.ofSeconds(1));
    }

    /**
     * Starts the clock, showing local time.
     *
     * @return the running streams
     */
    public static DemoStreams start() {
        return start(null);
    }

    /**
     * Starts the clock, showing local time, with the notifications shared through Redis.
     *
     * @param redis e.g. {@code redis://127.0.0.1:6379}, or {@code null} for notifications in this process only
     * @return the running streams
     */
    public static DemoStreams start(String redis) {
        return new DemoStreams(Clock.systemDefaultZone(), redis, null);
    }

    /** Starts the clock, with the notifications on the given backplane (tests: one that fails or stalls). */
    static DemoStreams startOn(Backplane backplane) {
        return new DemoStreams(Clock.systemDefaultZone(), null, backplane);
    }

    /**
     * Finds the streams of a running demo.
     *
     * @param context the demo's servlet context
     * @return the streams, or {@code null} if the demo's listener has not run
     */
    public static DemoStreams from(ServletContext context) {
        return (DemoStreams) context.getAttribute(ATTRIBUTE);
    }

    /** @return the hub of the clock stream, {@code GET /api/v1/sse} */
    public Hub clock() {
        return clock;
    }

    /** @return the hub of the notification stream, {@code GET /api/v1/notifications} */
    public Hub notifications() {
        return notifications;
    }

    /** @return the chat's token generator and counters, {@code POST /api/v1/chat} */
    public ChatGenerator chat() {
        return chat;
    }

    /** Lets {@link #close()} end the webapp's per-request streams too; called by the context listener. */
    void hostsStreamsOf(ServletContext webapp) {
        this.context = webapp;
    }

    /**
     * Stops the clock and ends every stream through the hubs' graceful shutdown, waiting at most two seconds. Called
     * before the server stops its connectors, so that streams end with a clean end of response rather than a reset.
     */
    @Override
    public void close() {
        ticker.stop();
        scheduler.shutdown();
        var clockDone = clock.shutdown(DRAIN_WINDOW, null);
        var notificationsDone = notifications.shutdown(DRAIN_WINDOW, null);
        ServletContext webapp = context;
        CompletableFuture<Void> chatsDone = webapp == null ? CompletableFuture.completedFuture(null)
                : SseStreams.shutdown(webapp, DRAIN_WINDOW, null);
        try {
            clockDone.get(2, TimeUnit.SECONDS);
            notificationsDone.get(2, TimeUnit.SECONDS);
            chatsDone.get(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("streams did not all end within 2 s; closing the rest now");
        } finally {
            clock.close();
            notifications.close();
            chat.close();
        }
    }
}
