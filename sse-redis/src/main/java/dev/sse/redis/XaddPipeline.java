package dev.sse.redis;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.XAddArgs;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's {@code XADD}s, pipelined on one connection of their own: a call writes its command and returns; replies
 * come back in order on Lettuce's event loop and complete each caller's future with its own entry id or its own
 * failure. Redis numbers entries in the order it runs them, so ids stay in one global order.
 *
 * <p>Flushes are batched: auto-flush is off. A caller that waits for its reply flushes on its own thread at once
 * when nothing flushed is still unanswered (the latency of a reply is its throughput), else leaves its command to
 * the reply that completes the batch in flight, which flushes everything written meanwhile as one batch; one that
 * does not hand the flush to Lettuce's event executor, where one drain at a time flushes until no request is left, so one
 * thread publishing in a loop fills whole packets meanwhile.
 * Flushes of one connection never run at once, so commands reach Redis in the order they were written. (On
 * a Cluster auto-flush stays on: see {@link RedisAccess#batchesFlushes()}.)
 *
 * <p>At most {@value #MAX_IN_FLIGHT} commands wait for replies. A call that finds them all taken waits for one to be
 * answered, at most the command timeout, then fails with {@link RedisUnavailableException}: a publisher in a loop runs
 * at Redis's pace instead of failing, and an outage still fails every call within a bounded time.
 *
 * <p>The connection never replays a command: when it drops, it is closed (which fails everything in flight with
 * "may have been appended") and the next call opens a new one, through Sentinel to the current primary if there is
 * one. Lettuce's own reconnect would send in-flight {@code XADD}s again after a failover, appending them twice.
 *
 * <p>Threads: {@link #append} from any thread; the reply callbacks and the disconnect listener on Lettuce's threads;
 * flushes on Lettuce's event executor. {@code lock} guards opening and closing the connection; the current
 * {@link Line} is published through a volatile field, and each line counts its flush requests in one atomic integer.
 */
final class XaddPipeline {

    private static final Logger LOG = LoggerFactory.getLogger(XaddPipeline.class);
    /** Below {@link RedisAccess#REQUEST_QUEUE}, so Lettuce never refuses a command for its own queue's sake. */
    static final int MAX_IN_FLIGHT = 8192;
    /** How long after a failed connect callers fail without trying again. */
    private static final long RECONNECT_PAUSE_NANOS = 1_000_000_000L;

    private final RedisAccess redis;
    private final String key;
    private final XAddArgs args;
    private final Duration timeout;
    private final String where;
    private final Semaphore slots = new Semaphore(MAX_IN_FLIGHT);

    private final Object lock = new Object();
    private volatile Line line;
    // Guarded by lock.
    private boolean closed;
    private long failedConnectAt;
    /** Why the last call failed, until one succeeds. */
    private volatile String lastFailure;
    /** Flushes sent to Redis, all lines together: what a test of the batching counts. */
    private final LongAdder flushes = new LongAdder();

    XaddPipeline(RedisAccess redis, String key, long maxLength, Duration timeout, String where) {
        this.redis = redis;
        this.key = key;
        this.args = new XAddArgs().maxlen(maxLength).approximateTrimming();
        this.timeout = timeout;
        this.where = where;
    }

    /**
     * Sends one {@code XADD}. Never throws for Redis's sake: a failure completes the future exceptionally with a
     * {@link RedisUnavailableException}.
     *
     * @param fields the entry
     * @param slotWaitNanos how long to wait for a free slot when {@value #MAX_IN_FLIGHT} are in flight
     * @param flushHere whether the caller waits for the reply, so flushes on its own thread if no flush is running
     * @return the entry id, or the failure
     * @throws IllegalStateException if closed
     */
    CompletableFuture<String> append(Map<String, String> fields, long slotWaitNanos, boolean flushHere) {
        try {
            if (!slots.tryAcquire(slotWaitNanos, TimeUnit.NANOSECONDS)) {
                return failed(new RedisUnavailableException(where + " did not take the event within "
                        + timeout.toMillis() + " ms: " + MAX_IN_FLIGHT + " broadcasts are still waiting for it", null));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(new RedisUnavailableException("interrupted while waiting to send to " + where, e));
        }
        Line l;
        try {
            l = line();
        } catch (RedisUnavailableException e) {
            slots.release();
            return failed(e);
        } catch (RuntimeException e) {
            slots.release();
            throw e;
        }
        CompletableFuture<String> out = new CompletableFuture<>();
        l.link.async().xadd(key, args, fields).whenComplete((id, failure) -> {
            // The next batch first, so Redis works on it while the callers wake up; then the caller's future: a
            // place is free only once its call is answered.
            l.answered();
            try {
                if (failure == null) {
                    if (lastFailure != null) {
                        lastFailure = null;
                    }
                    out.complete(id);
                } else {
                    out.completeExceptionally(unavailable(failure));
                }
            } finally {
                slots.release();
            }
        });
        l.requestFlush(flushHere);
        return out;
    }

    private CompletableFuture<String> failed(RedisUnavailableException e) {
        lastFailure = e.getMessage();
        return CompletableFuture.failedFuture(e);
    }

    private RedisUnavailableException unavailable(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        String why = cause instanceof RedisCommandTimeoutException ? "" : ": " + cause.getMessage();
        RedisUnavailableException e = new RedisUnavailableException(where + " did not take the event within "
                + timeout.toMillis() + " ms" + why, cause);
        lastFailure = e.getMessage();
        return e;
    }

    private Line line() {
        Line l = line;
        if (l != null && l.link.connection().isOpen()) {
            return l;
        }
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the RedisBackplane on " + key + " is closed");
            }
            l = line;
            if (l != null && l.link.connection().isOpen()) {
                return l;
            }
            if (l != null) {
                line = null;
                l.close();
            }
            long now = System.nanoTime();
            if (failedConnectAt != 0 && now - failedConnectAt < RECONNECT_PAUSE_NANOS) {
                // Callers queued behind a failed connect fail at once instead of each waiting its own timeout.
                throw new RedisUnavailableException(where + " cannot be reached (tried "
                        + (now - failedConnectAt) / 1_000_000 + " ms ago)", null);
            }
            try {
                l = new Line(redis.connect());
                failedConnectAt = 0;
            } catch (RedisException e) {
                failedConnectAt = System.nanoTime();
                throw new RedisUnavailableException(where + " cannot be reached: " + e.getMessage(), e);
            }
            line = l;
            return l;
        }
    }

    /** Why the connection is not usable now, or {@code null}; no round trip. */
    String unavailableReason() {
        synchronized (lock) {
            Line l = line;
            if (l != null && !l.link.connection().isOpen()) {
                return "connection to " + where + " is down";
            }
            if (l == null && failedConnectAt != 0) {
                return where + " cannot be reached";
            }
        }
        // A paused or overloaded Redis keeps the connection open: the last call tells.
        return lastFailure;
    }

    /** Flushes sent so far (none on a Cluster, where Lettuce flushes each command itself). */
    long flushes() {
        return flushes.sum();
    }

    /** Fails everything in flight and starts closing the connection; the stage completes once it is closed. */
    CompletableFuture<Void> close() {
        Line l;
        synchronized (lock) {
            closed = true;
            l = line;
            line = null;
        }
        return l != null ? l.close() : CompletableFuture.completedFuture(null);
    }

    /** One connection's life: a new one after each drop. */
    private final class Line {
        final RedisAccess.Link link;
        private final boolean batched;
        /** Flushes asked for and not yet covered by a flush; the caller that raises it from 0 starts the drain. */
        private final AtomicInteger flushRequests = new AtomicInteger();
        private final Runnable drain;
        /** Commands written to the connection's buffer so far. */
        private final AtomicLong written = new AtomicLong();
        /** Guarded by this: {@link #written} as of the last flush (at least: a command is counted after it is written). */
        private long flushed;
        /** Guarded by this: commands completed so far, answered, failed or timed out. */
        private long answered;

        Line(RedisAccess.Link link) {
            this.link = link;
            this.batched = redis.batchesFlushes();
            this.drain = this::drain;
            if (batched) {
                link.connection().setAutoFlushCommands(false);
            }
            link.connection().addListener(new RedisConnectionStateListener() {
                @Override
                public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                    LOG.debug("{}: publishing connection dropped; failing what is in flight", where);
                    dropped();
                }
            });
        }

        /**
         * @param here flush on this thread if no flush is running: a caller that waits for its reply wants it sent
         *             at once, one that does not lets the next commands join the batch while the flush is scheduled
         */
        void requestFlush(boolean here) {
            if (!batched) {
                return;
            }
            if (here) {
                flushForCaller();
                return;
            }
            written.incrementAndGet();
            if (flushRequests.getAndIncrement() == 0) {
                try {
                    redis.flusher().execute(drain);
                } catch (RuntimeException e) {
                    // Lettuce is shutting down: flush here so the command still gets its answer or its failure.
                    drain();
                }
            }
        }

        /**
         * Batching for callers that wait: the first command flushes at once (nothing in flight, so its latency is its
         * throughput); commands written while a flushed batch waits for its replies stay in the buffer, and the reply
         * that completes that batch flushes them all, on the event loop ({@link #answered}). One flush per waiting call
         * handed the event loop batches of one: 16 threads reached 24-31k/s while one thread's pipelined calls did
         * 53-68k/s; a group commit that only merged flushes running at the same moment merged 2.4% of them.
         *
         * <p>No command is left in the buffer: a caller counts itself after writing, then flushes unless
         * {@code answered < flushed}, i.e. a flushed command is still to complete; its completion (a reply, a
         * timeout, or the connection's failure) comes, and the completion that brings {@code answered} to
         * {@code flushed} flushes what was written since. {@code flushed} undercounts at worst (a command in the buffer
         * but not yet counted goes out with a flush), which only makes a flush come early.
         */
        private void flushForCaller() {
            written.incrementAndGet();
            synchronized (this) {
                if (answered >= flushed) {
                    flushLocked();
                }
            }
        }

        /** A command of this line completed; on Lettuce's event loop, in reply order (a timeout: on its timer). */
        void answered() {
            if (!batched) {
                return;
            }
            synchronized (this) {
                answered++;
                if (answered >= flushed && written.get() > flushed) {
                    flushLocked();
                }
            }
        }

        /**
         * One drain at a time, so batches reach the event loop in the order they were written; requests that arrive
         * while it flushes are covered by one more flush each round, not by a second drain on another thread.
         */
        private void drain() {
            int covered = flushRequests.get();
            while (true) {
                flush();
                int left = flushRequests.addAndGet(-covered);
                if (left == 0) {
                    return;
                }
                covered = left;
            }
        }

        /**
         * Lettuce hands a flushed batch to the event loop after letting go of its own lock: two flushes at once
         * could overtake each other, and a thread's commands reach Redis out of order.
         */
        private void flush() {
            synchronized (this) {
                flushLocked();
            }
        }

        private void flushLocked() {
            flushed = written.get();
            flushes.increment();
            link.connection().flushCommands();
        }

        private void dropped() {
            synchronized (lock) {
                if (line == this) {
                    line = null;
                }
            }
            close();
        }

        CompletableFuture<Void> close() {
            return link.close();
        }
    }
}
