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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's {@code XADD}s, pipelined on one connection of their own: a call queues its command and returns; replies
 * come back in order on Lettuce's event loop and complete each caller's future with its own entry id or its own
 * failure. Redis numbers entries in the order it runs them, so ids stay in one global order.
 *
 * <p>One sender at a time hands the queued commands to Lettuce and flushes them as one batch (auto-flush is off), so
 * commands reach Redis in queue order and Lettuce's own write lock is never contended: sixteen callers writing to it
 * themselves parked on that lock. A caller that waits for its reply sends at once, on its own thread, when nothing
 * sent is still unanswered (the latency of a reply is its throughput), else leaves its command to the reply that
 * completes the batch in flight, which sends everything queued meanwhile; one that does not wait hands the send to
 * Lettuce's event executor, so one thread publishing in a loop fills whole packets meanwhile. (On a Cluster
 * auto-flush stays on and each call writes its own command: see {@link RedisAccess#batchesFlushes()}.)
 *
 * <p>At most {@value #MAX_IN_FLIGHT} commands are queued or wait for replies. A call that finds them all taken waits
 * for one to be answered, at most the command timeout, then fails with {@link RedisUnavailableException}: a publisher
 * in a loop runs at Redis's pace instead of failing, and an outage still fails every call within a bounded time.
 *
 * <p>The connection never replays a command: when it drops, it is closed (which fails everything in flight with
 * "may have been appended") and the next call opens a new one, through Sentinel to the current primary if there is
 * one. Lettuce's own reconnect would send in-flight {@code XADD}s again after a failover, appending them twice.
 *
 * <p>Threads: {@link #append} from any thread; the reply callbacks and the disconnect listener on Lettuce's threads;
 * sends on a waiting caller's thread, the event loop or Lettuce's event executor, one at a time. {@code lock} guards
 * opening and closing the connection; the current {@link Line} is published through a volatile field; each line's
 * queue is lock-free, its sender is whoever raises its send requests from zero, and its counts are atomic.
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
        if (l.batched) {
            l.submit(new Pending(fields, out), flushHere);
        } else {
            l.dispatch(fields, out);
        }
        return out;
    }

    /** Completes a caller's future; a place is free only once its call is answered. */
    private void finish(CompletableFuture<String> out, String id, Throwable failure) {
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

    /** A call waiting to be handed to Lettuce. */
    private record Pending(Map<String, String> fields, CompletableFuture<String> out) { }

    /** One connection's life: a new one after each drop. */
    private final class Line {
        final RedisAccess.Link link;
        final boolean batched;
        /** Calls not yet handed to Lettuce, in call order. */
        private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
        /** Sends asked for and not yet covered; the thread that raises it from 0 is the one sender until it is 0. */
        private final AtomicInteger sendRequests = new AtomicInteger();
        private final Runnable sendTask = this::send;
        /** Written by the sender only: commands handed to Lettuce and flushed (counted before the flush). */
        private volatile long sent;
        /** Commands completed so far, answered, failed or timed out. */
        private final AtomicLong answered = new AtomicLong();

        Line(RedisAccess.Link link) {
            this.link = link;
            this.batched = redis.batchesFlushes();
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
         * Queues a call and sees that it is sent. No call is left in the queue: a waiting caller queues, then sends
         * unless {@code answered < sent}, i.e. a sent command is still to complete; its completion (a reply, a timeout,
         * or the connection's failure) comes, and a completion that brings {@code answered} to {@code sent} sends
         * what was queued since. Both sides write before they read (queue, then counts; count, then queue), so at
         * least one of them sees the other. One send per waiting call handed the event loop batches of one: 16
         * threads reached 24-31k/s while one thread's pipelined calls did 53-68k/s.
         *
         * @param waiting the caller waits for its reply: it sends at once, on its own thread, if nothing sent is
         *                unanswered (the latency of a reply is its throughput), else leaves its call to the reply
         *                that completes the batch in flight; a caller that does not wait hands the send to Lettuce's
         *                event executor, so a thread publishing in a loop fills whole packets meanwhile
         */
        void submit(Pending p, boolean waiting) {
            queue.offer(p);
            if (!waiting) {
                requestSend(false);
            } else if (answered.get() >= sent) {
                requestSend(true);
            }
        }

        /** A command of this line completed; on Lettuce's event loop, in reply order (a timeout: on its timer). */
        void answered() {
            if (answered.incrementAndGet() >= sent && !queue.isEmpty()) {
                requestSend(true);
            }
        }

        private void requestSend(boolean here) {
            if (sendRequests.getAndIncrement() != 0) {
                return;
            }
            if (here) {
                send();
                return;
            }
            try {
                redis.flusher().execute(sendTask);
            } catch (RuntimeException e) {
                // Lettuce is shutting down: send here so the call still gets its answer or its failure.
                send();
            }
        }

        /**
         * The one sender: hands every queued call to Lettuce and flushes them as one batch, until no request is left.
         * Only this thread writes to the connection, so calls reach Redis in queue order and Lettuce's own write lock
         * is never contended.
         */
        private void send() {
            int covered = sendRequests.get();
            while (true) {
                long n = 0;
                Pending p;
                while ((p = queue.poll()) != null) {
                    if (dispatch(p.fields(), p.out())) {
                        n++;
                    }
                }
                if (n > 0) {
                    sent += n;
                    flushes.increment();
                    link.connection().flushCommands();
                }
                int left = sendRequests.addAndGet(-covered);
                if (left == 0) {
                    return;
                }
                covered = left;
            }
        }

        /** Hands one call to Lettuce; false if Lettuce refused it at once (its caller is told). */
        boolean dispatch(Map<String, String> fields, CompletableFuture<String> out) {
            try {
                link.async().xadd(key, args, fields).whenComplete((id, failure) -> {
                    if (batched) {
                        answered();
                    }
                    finish(out, id, failure);
                });
                return true;
            } catch (RuntimeException e) {
                finish(out, null, e);
                return false;
            }
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
