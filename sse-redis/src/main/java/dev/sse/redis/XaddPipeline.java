package dev.sse.redis;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
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
 * Lettuce's event executor, so one thread publishing in a loop fills whole packets meanwhile. A caller or a reply
 * sends at most {@value #ROUND_HERE} calls and hands the rest to the event executor, so no caller and no reply waits
 * long for other threads' calls. A send on the event loop writes at once, ahead of writes an earlier send from
 * another thread left queued there: the event loop sends only when everything sent before is answered (except while
 * Lettuce's event executor is shut down, when whoever asks sends everything left at once). (On a Cluster
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
 * <p>Threads: {@link #append} from any thread; completions on Lettuce's event loop (replies, and a close's
 * cancellations), its event executor (timeouts), the sender's thread (refusals) or the closing thread (a close); the
 * disconnect listener on Lettuce's threads. Sends run one at a time, wherever a completion or a waiting caller starts
 * one (a caller's thread, the event loop, a closing thread) or on Lettuce's event executor (on the asking thread if
 * that executor is shut down). {@code lock} guards opening the connection and swapping the current
 * {@link Line}, which is published through a volatile field; no close runs under it, since a close completes callers'
 * futures. Each line's queue is lock-free, its sender is whoever raises its send requests from zero, and its counts
 * are atomic.
 */
final class XaddPipeline {

    private static final Logger LOG = LoggerFactory.getLogger(XaddPipeline.class);
    /** Below {@link RedisAccess#REQUEST_QUEUE}, so Lettuce never refuses a command for its own queue's sake. */
    static final int MAX_IN_FLIGHT = 8192;
    /** Most calls a waiting caller or a reply hands to Lettuce before the event executor takes over. */
    private static final int ROUND_HERE = 256;
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
     * @param flushHere whether the caller waits for the reply, so sends on its own thread if nothing sent is unanswered
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
        Line stale = null;
        try {
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
                    stale = l;
                }
                return openLocked();
            }
        } finally {
            if (stale != null) {
                // Outside the lock: the close fails what was still in flight, and its callers' callbacks run here.
                stale.close();
            }
        }
    }

    /** Guarded by lock. */
    private Line openLocked() {
        long now = System.nanoTime();
        if (failedConnectAt != 0 && now - failedConnectAt < RECONNECT_PAUSE_NANOS) {
            // Callers queued behind a failed connect fail at once instead of each waiting its own timeout.
            throw new RedisUnavailableException(where + " cannot be reached (tried "
                    + (now - failedConnectAt) / 1_000_000 + " ms ago)", null);
        }
        Line l;
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
        private final Runnable sendTask = this::sendRound;
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
                if (sendRequests.getAndIncrement() == 0) {
                    sendLater();
                }
            } else if (answered.get() >= sent && sendRequests.getAndIncrement() == 0) {
                sendHere();
            }
        }

        /**
         * A command of this line completed: on Lettuce's event loop in reply order, or wherever Lettuce failed it (a
         * timeout on its event executor, a refusal on the sender's thread, a close on the closing thread).
         */
        void answered() {
            if (answered.incrementAndGet() >= sent && !queue.isEmpty() && sendRequests.getAndIncrement() == 0) {
                // Checked again as the sender: on the event loop a send writes at once, ahead of writes that an
                // earlier sender off the loop left queued there, and those count in sent until they are answered.
                if (answered.get() >= sent) {
                    sendHere();
                } else if (sendRequests.decrementAndGet() != 0) {
                    sendLater();
                }
            }
        }

        /** As the sender, on a caller's thread or the event loop: one bounded round, then the role moves on. */
        private void sendHere() {
            int covered = sendRequests.get();
            endRound(covered, round(ROUND_HERE));
        }

        /** As the sender, on Lettuce's event executor: one round, then a fresh task if more was asked meanwhile. */
        private void sendRound() {
            int covered = sendRequests.get();
            endRound(covered, round(Integer.MAX_VALUE));
        }

        /**
         * Calls left in the queue, or asked for meanwhile, go to the event executor with the sender's role, so a
         * waiting caller or a reply is never held for other threads' calls.
         */
        private void endRound(int covered, boolean drained) {
            if (!drained || sendRequests.addAndGet(-covered) != 0) {
                sendLater();
            }
        }

        private void sendLater() {
            try {
                redis.flusher().execute(sendTask);
            } catch (RuntimeException e) {
                // Lettuce is shutting down: send here so every call still gets its answer or its failure.
                int covered;
                do {
                    covered = sendRequests.get();
                    round(Integer.MAX_VALUE);
                } while (sendRequests.addAndGet(-covered) != 0);
            }
        }

        /**
         * Hands up to {@code limit} queued calls to Lettuce and flushes them as one batch. Only the sender writes to
         * the connection, so calls reach Redis in queue order and Lettuce's own write lock is never contended.
         *
         * @return whether the queue was found empty before {@code limit} calls were taken
         */
        private boolean round(int limit) {
            long handed = 0;
            int taken = 0;
            Pending p;
            while (taken < limit && (p = queue.poll()) != null) {
                taken++;
                dispatch(p.fields(), p.out());
                handed++;
            }
            if (handed > 0) {
                sent += handed;
                flushes.increment();
                try {
                    link.connection().flushCommands();
                } catch (RuntimeException e) {
                    // What was not written fails by its own timeout, which started when it was handed over.
                    LOG.debug("{}: flushing {} broadcasts failed", where, handed, e);
                }
            }
            return taken < limit;
        }

        /**
         * Hands one call to Lettuce. Lettuce refuses a command (connection closed, its queue full) by failing it,
         * which completes the call at once on this thread; a call it throws for is failed here.
         */
        void dispatch(Map<String, String> fields, CompletableFuture<String> out) {
            RedisFuture<String> id;
            try {
                id = link.async().xadd(key, args, fields);
            } catch (RuntimeException e) {
                // No finally needed: the caller of dispatch holds the sender's role, so answered() cannot send here.
                if (batched) {
                    answered();
                }
                finish(out, null, e);
                return;
            }
            id.whenComplete((entry, failure) -> {
                try {
                    if (batched) {
                        answered();
                    }
                } finally {
                    finish(out, entry, failure);
                }
            });
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
