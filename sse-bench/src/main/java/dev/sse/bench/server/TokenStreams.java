package dev.sse.bench.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The application side of the {@code streams} scenario, the same for every server kind: the token producer of each
 * {@code POST /stream?tokens=N&interval=MS} request, all run by ONE shared {@link ScheduledExecutorService} of
 * {@value #PRODUCER_THREADS} threads (never a thread per stream), and the bookkeeping the bench reads back.
 *
 * <p>Token {@code i} of a stream is sent as {@code event: token}, {@code id: i}, {@code data: <System.nanoTime() of
 * this JVM just before the send>}; after the last token the stream is completed with {@code data: [DONE]}. Producers
 * wait for {@link #go(long)} (the control channel's {@code GO}), so that every stream is open before the first token
 * and the streams are truly concurrent; at {@code GO} their first tokens are spread evenly over a window (the
 * scenario's interval), as independent requests would be.
 *
 * <p>Cancellation: a server kind calls {@link Producer#cancel()} from whatever tells its application that the client
 * left (our {@code onClose}; Spring's {@code onError}/{@code onCompletion}/{@code onTimeout} or a {@code send} that
 * threw). The first call stops the producer and records the time; the produce time of every token is kept, so the
 * bench can count exactly how many were produced after the client's reset.
 *
 * <h2>Threads</h2>
 * {@link #start} runs on a request thread, {@link Producer#run()} on a producer thread, {@link Producer#cancel()} on
 * whichever thread learns of the close, {@link #go(long)} and the queries on the control thread. A producer's fields are
 * written by its producer thread (one run at a time: {@code scheduleAtFixedRate} never overlaps runs) and read by
 * the control thread after the run, through the volatile {@code produced} count.
 */
public final class TokenStreams {

    /** The shared producer pool's size. */
    public static final int PRODUCER_THREADS = 4;
    /** The path streams are POSTed to. */
    public static final String PATH = "/stream";

    /** How one server kind puts a token on its stream. */
    public interface Sink {
        /**
         * Sends one token.
         *
         * @param index the token's index, its {@code id}
         * @param producedNanos its produce time, its {@code data}
         * @return {@code false} if the stream is gone (the producer then stops)
         */
        boolean token(int index, long producedNanos);

        /** Sends {@code data: [DONE]} and ends the response. */
        void done();
    }

    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(PRODUCER_THREADS, r -> {
        Thread t = new Thread(r, "tokens-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
    });
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final Map<Long, Producer> byId = new ConcurrentHashMap<>();
    private final List<Producer> waiting = new ArrayList<>();
    private boolean started;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong tokens = new AtomicLong();
    private final AtomicInteger completed = new AtomicInteger();
    private final AtomicInteger cancelled = new AtomicInteger();

    /**
     * Registers a request's producer; it starts at {@link #go(long)} (at once if that has happened).
     *
     * @param id the client's stream id (its {@code id} query parameter)
     * @param count how many tokens
     * @param intervalMillis the time between tokens
     * @param sink the server kind's stream
     * @return the producer, whose {@link Producer#cancel()} the server kind wires to its close callbacks
     */
    public Producer start(long id, int count, long intervalMillis, Sink sink) {
        if (count < 1 || count > 100_000) {
            throw new IllegalArgumentException("tokens must be 1..100000 (was " + count + ")");
        }
        if (intervalMillis < 1) {
            throw new IllegalArgumentException("interval must be at least 1 ms (was " + intervalMillis + ")");
        }
        Producer p = new Producer(id, count, intervalMillis, sink);
        byId.put(id, p);
        active.incrementAndGet();
        synchronized (waiting) {
            if (!started) {
                waiting.add(p);
                return p;
            }
        }
        p.schedule(0);
        return p;
    }

    /**
     * Starts every waiting producer, their first tokens spread evenly over {@code spreadMillis}.
     *
     * @param spreadMillis the window the first tokens fall in (the scenario's interval)
     * @return how many started
     */
    public int go(long spreadMillis) {
        List<Producer> now;
        synchronized (waiting) {
            started = true;
            now = new ArrayList<>(waiting);
            waiting.clear();
        }
        for (int i = 0; i < now.size(); i++) {
            Producer p = now.get(i);
            p.schedule(TimeUnit.MILLISECONDS.toNanos(spreadMillis) * i / now.size());
        }
        return now.size();
    }

    /** @return streams started that have neither produced every token nor been cancelled */
    public int active() {
        return active.get();
    }

    /** @return {@code "active tokensProduced producedAll cancelled"} (a stream can be both of the last two) */
    public String stats() {
        return active.get() + " " + tokens.get() + " " + completed.get() + " " + cancelled.get();
    }

    /**
     * One stream's record for the bench: {@code id cancelNanos|-1 producedAll(0|1) t0 t1 ...} (the produce times).
     *
     * @param id the client's stream id
     * @return the line, or {@code id -2} if no such stream came
     */
    public String record(long id) {
        Producer p = byId.get(id);
        if (p == null) {
            return id + " -2";
        }
        int n = p.produced;
        StringBuilder sb = new StringBuilder().append(id).append(' ').append(p.cancelledAt).append(' ')
                .append(p.producedAll ? 1 : 0);
        for (int i = 0; i < n; i++) {
            sb.append(' ').append(p.producedAt[i]);
        }
        return sb.toString();
    }

    /** Stops the producer threads. */
    public void stop() {
        scheduler.shutdownNow();
    }

    /** One stream's producer. */
    public final class Producer implements Runnable {
        final long id;
        final int count;
        final long intervalNanos;
        final Sink sink;
        final long[] producedAt;
        volatile int produced;
        volatile long cancelledAt = -1;
        volatile boolean finished;
        volatile boolean producedAll;
        private volatile ScheduledFuture<?> future;

        Producer(long id, int count, long intervalMillis, Sink sink) {
            this.id = id;
            this.count = count;
            this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMillis);
            this.sink = sink;
            this.producedAt = new long[count];
        }

        void schedule(long delayNanos) {
            future = scheduler.scheduleAtFixedRate(this, delayNanos, intervalNanos, TimeUnit.NANOSECONDS);
            if (finished) {
                // Cancelled before it was scheduled.
                future.cancel(false);
            }
        }

        @Override
        public void run() {
            if (finished) {
                stopRunning();
                return;
            }
            int i = produced;
            long t = System.nanoTime();
            producedAt[i] = t;
            produced = i + 1;
            tokens.incrementAndGet();
            if (!sink.token(i, t)) {
                // The stream said it is gone: as good a signal to stop as a close callback.
                cancel();
                return;
            }
            if (i + 1 == count) {
                producedAll = true;
                if (end()) {
                    completed.incrementAndGet();
                }
                sink.done();
                stopRunning();
            }
        }

        private void stopRunning() {
            ScheduledFuture<?> f = future;
            if (f != null) {
                f.cancel(false);
            }
        }

        private synchronized boolean end() {
            if (finished) {
                return false;
            }
            finished = true;
            active.decrementAndGet();
            return true;
        }

        /**
         * The client left, or the stream ended for another reason than its normal end after {@code [DONE]}: stop
         * producing. The first call's time is recorded even if every token had already been produced (they were
         * queued, not yet written), since it is when the application was told.
         */
        public void cancel() {
            long now = System.nanoTime();
            boolean first;
            synchronized (this) {
                first = cancelledAt == -1;
                if (first) {
                    cancelledAt = now;
                }
            }
            if (first) {
                cancelled.incrementAndGet();
            }
            end();
            stopRunning();
        }
    }
}
