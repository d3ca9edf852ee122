package dev.sse.webflux;

import dev.sse.core.CloseReason;
import dev.sse.core.SseFrame;
import dev.sse.core.spi.FrameSource;
import dev.sse.core.spi.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import reactor.core.publisher.Mono;

/**
 * One stream's {@link Transport}, and the body WebFlux writes with {@code writeAndFlushWith}: a publisher of groups,
 * each group one batch of frames that the server writes and then flushes.
 *
 * <h2>Why groups are tokens</h2>
 * A group is a lazy {@code Mono}: it polls the channel's queue only when the server subscribes to it, which the server
 * does once the group before it was handed to the socket. So frames wait in the channel's queue, under its limits and
 * slow-client policy, instead of in the server's prefetch (Reactor Netty asks for 32 groups at a time); at most one
 * group is outstanding, and a stalled socket shows up as a growing channel queue, as on the servlet adapter.
 *
 * <h2>Threads</h2>
 * {@link #framesAvailable()} (a broadcasting thread, the hub's scheduler), {@link #request(long)} and
 * {@link #cancel()} (the server) and {@link #close()} (any thread) only set flags and hand {@link #emit()} to the
 * stream's {@link Executor}: on Reactor Netty the connection's own event loop, so a broadcast never writes and the
 * event loop writes without a further hop. {@code emit} is serialised by {@link #wip} on whichever thread runs it;
 * it is the only caller of the subscriber's {@code onNext}/{@code onComplete}. {@link #takeBatch()}, the only caller
 * of {@link FrameSource#poll()}, runs when the server subscribes to a group, one group at a time.
 */
final class GroupedTransport implements Transport, Publisher<Publisher<DataBuffer>>, Subscription {

    private static final Logger LOG = LoggerFactory.getLogger(GroupedTransport.class);

    /** Frames queued behind each other are joined into one write up to about this size. */
    static final int BATCH_BYTES = 16 * 1024;
    private static final byte[] NOTHING = new byte[0];

    private final DataBufferFactory buffers;
    private final Executor executor;
    /** Ends the connection at once when the stream ends abnormally; see {@link Abort}. */
    private final Abort abort;
    private final ServerSide.Writability writability;

    private volatile FrameSource frames;
    private volatile Subscriber<? super Publisher<DataBuffer>> subscriber;
    private final AtomicLong requested = new AtomicLong();
    private final AtomicInteger wip = new AtomicInteger();
    /** The queue may hold frames no group has taken yet (a wake-up, or a batch that stopped before {@code null}). */
    private final AtomicBoolean wanted = new AtomicBoolean(true);
    /** A group was emitted and has not yet seen the queue empty. */
    private final AtomicBoolean groupOut = new AtomicBoolean();
    private final AtomicBoolean terminated = new AtomicBoolean();
    private final AtomicBoolean abandoned = new AtomicBoolean();
    /** {@link #close()} was called: the channel is closed, for whatever reason. */
    private volatile boolean closeCalled;
    /** A graceful end's bytes all went out ({@link #written()}): a close after it has nothing to abandon. */
    private volatile boolean writtenOut;
    private volatile boolean graceful;
    /** The channel closed while nothing was in flight, and the body was completed: nothing left to abandon. */
    private volatile boolean endedOnClose;
    private volatile boolean cancelled;

    /** How an abnormal end closes the connection without waiting for writes the client will never read. */
    interface Abort {
        /**
         * Closes the connection; on return, or later, the server cancels the body.
         *
         * @return {@code false} if this server offers no such thing: the body then fails instead
         */
        boolean abort();
    }

    GroupedTransport(DataBufferFactory buffers, ServerSide side) {
        this.buffers = buffers;
        this.executor = side.executor;
        this.abort = side.abort;
        this.writability = side.writability;
        writability.onWritable(this::schedule);
    }

    @Override
    public void attach(FrameSource source) {
        this.frames = source;
    }

    /** The channel's drain side, named in logs; {@code null} until the hub attached it. */
    FrameSource source() {
        return frames;
    }

    @Override
    public void framesAvailable() {
        wanted.set(true);
        schedule();
    }

    @Override
    public boolean finishAfterWrites() {
        graceful = true;
        return true;
    }

    @Override
    public void close() {
        closeCalled = true;
        schedule();
    }

    /** The server wrote and flushed everything of a graceful end: the channel closes with the graceful reason. */
    void written() {
        FrameSource f = frames;
        if (graceful && f != null) {
            writtenOut = true;
            f.finished();
        }
    }

    /** The server ended the body otherwise (the client went away, a write failed): the hub forgets the channel. */
    void ended(Throwable error) {
        FrameSource ch = frames;
        if (ch != null && ch.isOpen()) {
            if (error != null) {
                LOG.debug("stream {} write failed, client gone: {}", ch, error.toString());
            }
            ch.close(CloseReason.CLIENT_GONE);
        }
    }

    @Override
    public void subscribe(Subscriber<? super Publisher<DataBuffer>> s) {
        if (subscriber != null) {
            s.onSubscribe(this);
            s.onError(new IllegalStateException("an event stream's body can be written once"));
            return;
        }
        subscriber = s;
        s.onSubscribe(this);
        schedule();
    }

    @Override
    public void request(long n) {
        if (n <= 0) {
            return;
        }
        for (;;) {
            long r = requested.get();
            long next = r + n < 0 ? Long.MAX_VALUE : r + n;
            if (requested.compareAndSet(r, next)) {
                break;
            }
        }
        schedule();
    }

    @Override
    public void cancel() {
        cancelled = true;
        ended(null);
    }

    /** Runs {@link #emit()} on the executor unless it runs already; then it goes round once more. */
    private void schedule() {
        if (wip.getAndIncrement() != 0) {
            return;
        }
        try {
            executor.execute(this::emit);
        } catch (RuntimeException rejected) {
            // The event loop is shutting down: nothing else will run the loop, so this thread does.
            LOG.debug("stream {}: executor refused, emitting inline: {}", source(), rejected.toString());
            emit();
        }
    }

    private void emit() {
        int missed = 1;
        do {
            Subscriber<? super Publisher<DataBuffer>> s = subscriber;
            if (closeCalled && !writtenOut && !endedOnClose) {
                if (s != null && !cancelled && !groupOut.get() && writability.writable()
                        && terminated.compareAndSet(false, true)) {
                    // Nothing is in flight and the socket takes bytes: end the response properly, so the client
                    // sees a clean end (and reconnects) rather than a reset.
                    endedOnClose = true;
                    s.onComplete();
                } else {
                    // A write is stuck, or the end came while the last bytes were going out: abandon the socket.
                    abandon(s);
                }
            } else if (s != null && !cancelled && !terminated.get()) {
                if (graceful && !groupOut.get()) {
                    // The last frame was in the group just taken (poll handed it out): complete after it.
                    if (terminated.compareAndSet(false, true)) {
                        s.onComplete();
                    }
                } else if (!graceful && wanted.get() && !groupOut.get() && requested.get() > 0
                        && writability.writable()) {
                    wanted.set(false);
                    groupOut.set(true);
                    requested.decrementAndGet();
                    s.onNext(Mono.fromSupplier(this::takeBatch));
                }
            }
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    private void abandon(Subscriber<? super Publisher<DataBuffer>> s) {
        if (!abandoned.compareAndSet(false, true)) {
            return;
        }
        boolean completed = !terminated.compareAndSet(false, true);
        if (abort.abort() || cancelled) {
            return;
        }
        if (!completed && s != null) {
            s.onError(new StreamAbortedException());
        }
    }

    /**
     * Polls one batch: the first frame and those queued behind it up to {@link #BATCH_BYTES}, joined without copying
     * (each frame's bytes are shared by every stream it was broadcast to). Runs when the server subscribes to a group.
     */
    private DataBuffer takeBatch() {
        FrameSource f = frames;
        List<DataBuffer> parts = null;
        DataBuffer first = null;
        int total = 0;
        boolean empty = false;
        while (total < BATCH_BYTES) {
            SseFrame frame = f == null ? null : f.poll();
            if (frame == null) {
                empty = true;
                break;
            }
            DataBuffer part = buffers.wrap(frame.asReadOnlyBuffer());
            total += frame.length();
            if (first == null) {
                first = part;
            } else {
                if (parts == null) {
                    parts = new ArrayList<>();
                    parts.add(first);
                }
                parts.add(part);
            }
        }
        if (!empty) {
            wanted.set(true);
        }
        groupOut.set(false);
        schedule();
        if (first == null) {
            // Nothing queued after all: an empty write still flushes, which is how the headers go out at once.
            return buffers.wrap(NOTHING);
        }
        return parts == null ? first : buffers.join(parts);
    }

    /** Fails the body when the server gives no way to close the connection directly. */
    static final class StreamAbortedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StreamAbortedException() {
            super("event stream ended abnormally", null, false, false);
        }
    }
}
