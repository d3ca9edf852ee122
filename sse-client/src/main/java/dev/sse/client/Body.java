package dev.sse.client;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One response body: read by the reader thread, and stopped from other threads by closing it, which wakes a blocked
 * {@code read()} with an {@link IOException}. The reader thread is never interrupted, so no stray interrupt can reach
 * a later wait or the listener.
 *
 * <p>An idle watch ({@link #watch}) on the shared {@code sse-client-timer} thread closes the body when one read has
 * waited longer than its limit for a byte. It counts only time spent inside {@link #read}: a consumer that is slow
 * to take events is not an idle server.
 *
 * <p>Threads: {@link #read}, {@link #watch} and {@link #close} on the reader thread; {@link #abort} from any thread.
 * {@link #inRead} and {@link #lastProgress} are written by the reader and read by the timer.
 */
final class Body {

    private static final Logger LOG = LoggerFactory.getLogger(SseClient.class);

    private final InputStream in;
    private final String name;
    private volatile boolean inRead;
    private volatile long lastProgress;
    private IdleWatch watch;

    Body(InputStream in, String name) {
        this.in = in;
        this.name = name;
    }

    /**
     * Closes the body when a read waits longer than {@code limit} for a byte; {@link #idled()} then tells why it
     * failed. At most one watch per body.
     */
    void watch(Duration limit) {
        watch = new IdleWatch(limit.toNanos());
    }

    /** @return whether the idle watch closed the body */
    boolean idled() {
        return watch != null && watch.fired;
    }

    int read(byte[] buffer, int offset, int length) throws IOException {
        lastProgress = System.nanoTime();
        inRead = true;
        try {
            return in.read(buffer, offset, length);
        } finally {
            inRead = false;
            lastProgress = System.nanoTime();
        }
    }

    /** Stops the watch and releases the connection; on the reader thread, when it is done with the body. */
    void close() {
        if (watch != null) {
            watch.stop();
        }
        abort();
    }

    /** Closes the stream from any thread, waking a blocked read; closing it again does nothing. */
    void abort() {
        try {
            in.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("{}: closing the response body failed", name, e);
        }
    }

    private final class IdleWatch implements Runnable {
        private final long limitNanos;
        private volatile boolean fired;
        private volatile boolean stopped;
        private volatile ScheduledFuture<?> next;

        IdleWatch(long limitNanos) {
            this.limitNanos = limitNanos;
            schedule(limitNanos);
        }

        private void schedule(long nanos) {
            if (!stopped) {
                next = Timer.EXECUTOR.schedule(this, Math.max(nanos, TimeUnit.MILLISECONDS.toNanos(1)),
                        TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public void run() {
            if (stopped) {
                return;
            }
            if (!inRead) {
                schedule(limitNanos);
                return;
            }
            long left = lastProgress + limitNanos - System.nanoTime();
            if (left > 0) {
                schedule(left);
                return;
            }
            fired = true;
            LOG.debug("{}: idle for {} ms, dropping the connection", name, TimeUnit.NANOSECONDS.toMillis(limitNanos));
            abort();
        }

        void stop() {
            stopped = true;
            ScheduledFuture<?> f = next;
            if (f != null) {
                f.cancel(false);
            }
        }
    }

    private static final class Timer {
        static final ScheduledExecutorService EXECUTOR;

        static {
            ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "sse-client-timer");
                t.setDaemon(true);
                return t;
            });
            timer.setRemoveOnCancelPolicy(true);
            EXECUTOR = timer;
        }
    }
}
