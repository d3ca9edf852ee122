package dev.sse.servlet;

import dev.sse.core.CloseReason;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry of one servlet's live streams and the threads that serve them: admission against
 * {@code maxConnectionsPerClient}, {@code maxConnections} or, without it, the process's {@link FileLimit}; the writer
 * threads that run drain loops handed off by broadcasts, the timer for maximum connection ages and the write-timeout
 * sweep, and the graceful drain when the servlet stops.
 *
 * <h2>Threads</h2>
 * Container threads call {@link #admit}, {@link #added} and {@link #abandon}; any thread calls {@link #released}
 * (exactly once per added stream, guarded by the stream). The counts (this servlet's, the client's, the file
 * limit's) are exact: every admitted request is either added (and later released) or abandoned, and both give back
 * each place it took. The writer threads ({@code sse-writer-NAME-i}, daemon, as many as the
 * cores by default) run only non-blocking drain loops; the timer ({@code sse-servlet-timer-NAME}) only closes
 * channels. Both stop in {@link #stop()}.
 */
final class LiveStreams {

    private static final Logger LOG = LoggerFactory.getLogger(LiveStreams.class);
    /** Sweeps run four times per write timeout, so a stalled peer is dropped within 1.25 timeouts. */
    private static final int SWEEPS_PER_TIMEOUT = 4;
    private static final long MIN_SWEEP_MILLIS = 50;

    /** The outcome of {@link #admit}. */
    enum Admission { ADMITTED, CLIENT_FULL, SERVLET_FULL, FILES_FULL }

    private final Settings settings;
    private final FileLimit files;
    /** Null when {@code maxConnectionsPerClient} is off. */
    private final ClientCounts clients;
    private final Set<StreamConnection> live = ConcurrentHashMap.newKeySet();
    private final AtomicInteger count = new AtomicInteger();
    private final ScheduledThreadPoolExecutor timer;
    private final WriterThreads writers;

    LiveStreams(Settings settings, String servletName, FileLimit files) {
        this.settings = settings;
        this.files = files;
        this.clients = settings.maxConnectionsPerClient > 0 ? new ClientCounts(settings.maxConnectionsPerClient) : null;
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "sse-servlet-timer-" + servletName);
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        int n = settings.writerThreads > 0 ? settings.writerThreads : Runtime.getRuntime().availableProcessors();
        this.writers = new WriterThreads(n, servletName);
        if (!settings.writeTimeout.isZero()) {
            long period = Math.max(MIN_SWEEP_MILLIS, settings.writeTimeout.toMillis() / SWEEPS_PER_TIMEOUT);
            timer.scheduleWithFixedDelay(this::sweepStalled, period, period, TimeUnit.MILLISECONDS);
        }
    }

    /** @return the writer thread a new stream is pinned to */
    WriterThreads.Worker writerFor() {
        return writers.assign();
    }

    /** @return the key a request is counted under per client, or {@code null} when there is no per-client cap */
    String clientKey(HttpServletRequest req) {
        return clients == null ? null : ClientCounts.key(req);
    }

    /**
     * Takes a place for a request, or says which limit refuses it (and then holds nothing): the client's first, so
     * a client over its cap does not take places from others; then {@code maxConnections} if it was set, else the
     * file limit. Every stream counts towards the file limit, also one of a servlet with {@code maxConnections}.
     *
     * @param client the key from {@link #clientKey}
     */
    Admission admit(String client) {
        if (clients != null && !clients.tryEnter(client)) {
            return Admission.CLIENT_FULL;
        }
        Integer max = settings.maxConnections;
        int n = count.incrementAndGet();
        if (max != null && max > 0 && n > max) {
            count.decrementAndGet();
            exitClient(client);
            return Admission.SERVLET_FULL;
        }
        if (!files.enter(max == null)) {
            count.decrementAndGet();
            exitClient(client);
            files.shed();
            return Admission.FILES_FULL;
        }
        return Admission.ADMITTED;
    }

    /** An admitted request that did not become a stream gives its places back. */
    void abandon(String client) {
        // The servlet's count goes last: once connectionCount() shows a stream gone, its other places are free too.
        exitClient(client);
        files.exit();
        count.decrementAndGet();
    }

    private void exitClient(String client) {
        if (clients != null) {
            clients.exit(client);
        }
    }

    void added(StreamConnection conn) {
        live.add(conn);
    }

    void released(StreamConnection conn) {
        if (live.remove(conn)) {
            exitClient(conn.client());
            files.exit();
            count.decrementAndGet();
        }
    }

    int count() {
        return count.get();
    }

    /** Ends the stream gracefully after a random 80–100% of {@code maxConnectionAge}, if one is set. */
    void scheduleMaxAge(StreamConnection conn, EventChannel channel) {
        if (settings.maxConnectionAge.isZero()) {
            return;
        }
        long age = settings.maxConnectionAge.toMillis();
        long at = age - ThreadLocalRandom.current().nextLong(Math.max(1, age / 5));
        conn.maxAge(timer.schedule(() -> channel.closeAfterDrain(CloseReason.MAX_AGE, (SseEvent) null), at,
                TimeUnit.MILLISECONDS));
    }

    private void sweepStalled() {
        try {
            long limit = settings.writeTimeout.toNanos();
            long now = System.nanoTime();
            for (StreamConnection conn : live) {
                if (conn.stalledLongerThan(limit, now)) {
                    conn.timedOut(settings.writeTimeout.toMillis());
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("write-timeout sweep failed", e);
        }
    }

    /** Ends this servlet's streams on a shared hub, as the hub's own shutdown would; completes when all are closed. */
    CompletableFuture<Void> drain(Hub hub, Duration window, SseEvent farewell) {
        List<EventChannel> channels = new ArrayList<>();
        for (StreamConnection conn : live) {
            EventChannel ch = conn.channel();
            if (ch != null) {
                channels.add(ch);
            }
        }
        return hub.drain(channels, window, farewell);
    }

    /** Drops whatever is still live (after the drain window) and stops the threads. */
    void stop() {
        for (StreamConnection conn : live) {
            conn.gone();
        }
        timer.shutdownNow();
        writers.stop();
    }
}
