package dev.sse.servlet;

import dev.sse.core.CloseReason;
import dev.sse.core.EventChannel;
import dev.sse.core.SseFrame;
import dev.sse.core.Transport;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One live stream: the {@link Transport} of its channel, the {@link WriteListener} of its response and the
 * {@link AsyncListener} of its request.
 *
 * <h2>Threads</h2>
 * {@link #framesAvailable()} runs on whichever thread queued a frame (a broadcasting application thread, the hub's
 * scheduler); {@link #onWritePossible()} and the async callbacks on container threads; {@link #close()} on any
 * thread. An explicit state in {@link #state}, changed only by CAS, makes sure exactly one of them runs the drain
 * loop at a time and that no wake-up is lost:
 * <ul>
 *   <li>{@code WAIT_SOCKET}: the socket is not ready (or the write listener is not yet installed); only
 *       {@code onWritePossible} resumes the loop. This is the initial state, so frames the hub queues while the
 *       channel opens wait for the container's first {@code onWritePossible}, which also flushes the headers.</li>
 *   <li>{@code IDLE}: the channel's queue was drained; the next {@code framesAvailable} starts the loop.</li>
 *   <li>{@code WRITING}: one thread is in the loop. {@code AGAIN}: it is, and someone asked it to look again
 *       (a frame, a socket callback or a close arrived meanwhile); the loop only leaves through a CAS from
 *       {@code WRITING}, so such a request is never missed.</li>
 *   <li>{@code CLOSED}: the response was completed or abandoned; terminal.</li>
 * </ul>
 * The loop never blocks: it writes only while {@code isReady()} is true and returns otherwise. Fields other than
 * the atomics are written by the drain loop only.
 */
final class StreamConnection implements Transport, WriteListener, AsyncListener {

    private static final Logger LOG = LoggerFactory.getLogger(StreamConnection.class);

    static final int WAIT_SOCKET = 0;
    static final int IDLE = 1;
    static final int WRITING = 2;
    static final int AGAIN = 3;
    static final int CLOSED = 4;

    /** Several queued frames are copied into one write up to this size, so a backlog costs one syscall, not many. */
    private static final int BATCH_BYTES = 16 * 1024;

    private final SseServlet servlet;
    private final AsyncContext async;
    private final ServletOutputStream out;
    private final FrameWriter writer;
    private final AtomicInteger state = new AtomicInteger(WAIT_SOCKET);
    private final AtomicBoolean released = new AtomicBoolean();
    /**
     * Guards {@link #completed}. Held while this class completes the response and while the container reports its
     * completion, so that a late {@code complete()} can never reach a request the container has already finished
     * and may have recycled for another client. Never held while writing.
     */
    private final Object completion = new Object();
    private boolean completed;
    private volatile boolean closeRequested;
    /**
     * Set as soon as the container reports the stream failed: the container may recycle the output stream right
     * after its callback returns, so a drain loop running on another thread must stop touching it at once.
     */
    private volatile boolean dead;
    /** Nano time since the socket has not been ready, or 0 while it is; read by the write-timeout sweep. */
    private volatile long unreadySince;
    private volatile EventChannel channel;
    private volatile ScheduledFuture<?> maxAge;

    // Drain loop only.
    private boolean needsFlush = true;
    private SseFrame carried;

    StreamConnection(SseServlet servlet, AsyncContext async, ServletOutputStream out, FrameWriter writer) {
        this.servlet = servlet;
        this.async = async;
        this.out = out;
        this.writer = writer;
        this.unreadySince = System.nanoTime();
    }

    void attach(EventChannel channel) {
        this.channel = channel;
    }

    EventChannel channel() {
        return channel;
    }

    void maxAge(ScheduledFuture<?> task) {
        this.maxAge = task;
    }

    @Override
    public String toString() {
        EventChannel ch = channel;
        return "state=" + state.get() + " dead=" + dead + " closeRequested=" + closeRequested + " released="
                + released.get() + " channel=" + ch + " open=" + (ch != null && ch.isOpen()) + " carried=" + carried
                + " needsFlush=" + needsFlush + " unready=" + unreadySince;
    }

    int state() {
        return state.get();
    }

    @Override
    public void framesAvailable() {
        // While the socket is not ready, onWritePossible will poll: a frame alone must not start the loop.
        resume(false);
    }

    @Override
    public void onWritePossible() {
        resume(true);
    }

    /** Starts the drain loop on this thread if nobody runs it, or asks the thread that runs it to look again. */
    private void resume(boolean socketReady) {
        for (;;) {
            int s = state.get();
            if (s == IDLE || (socketReady && s == WAIT_SOCKET)) {
                if (state.compareAndSet(s, WRITING)) {
                    drain();
                    return;
                }
            } else if (s == WRITING) {
                if (state.compareAndSet(WRITING, AGAIN)) {
                    return;
                }
            } else {
                // AGAIN: the writer looks again anyway; CLOSED: nothing to do; WAIT_SOCKET: see framesAvailable.
                return;
            }
        }
    }

    @Override
    public void close() {
        closeRequested = true;
        for (;;) {
            int s = state.get();
            if (s == IDLE || s == WAIT_SOCKET) {
                // Nobody is writing; a stalled socket is abandoned rather than waited for.
                if (state.compareAndSet(s, CLOSED)) {
                    complete();
                    return;
                }
            } else if (s == WRITING) {
                if (state.compareAndSet(WRITING, AGAIN)) {
                    return;
                }
            } else {
                return;
            }
        }
    }

    private void drain() {
        try {
            for (;;) {
                if (dead) {
                    state.set(CLOSED);
                    return;
                }
                if (closeRequested && carried == null) {
                    // Graceful end: what was written is flushed first, then the response completes.
                    if (needsFlush && out.isReady()) {
                        needsFlush = false;
                        out.flush();
                    }
                    if (!out.isReady()) {
                        if (park()) {
                            return;
                        }
                        continue;
                    }
                    state.set(CLOSED);
                    complete();
                    return;
                }
                if (!out.isReady()) {
                    if (park()) {
                        return;
                    }
                    continue;
                }
                unreadySince = 0;
                SseFrame frame = carried != null ? carried : channel.poll();
                carried = null;
                if (frame == null) {
                    if (needsFlush) {
                        needsFlush = false;
                        out.flush();
                        continue;
                    }
                    if (state.compareAndSet(WRITING, IDLE)) {
                        return;
                    }
                    state.set(WRITING);
                    continue;
                }
                // A second trip through the container per event only for writes it aggregated.
                needsFlush = !writeBatch(frame);
            }
        } catch (IOException | RuntimeException e) {
            failed(e);
        }
    }

    /** @return true if the loop may return: the socket callback will resume it */
    private boolean park() {
        if (unreadySince == 0) {
            unreadySince = System.nanoTime();
        }
        if (state.compareAndSet(WRITING, WAIT_SOCKET)) {
            return true;
        }
        state.set(WRITING);
        return false;
    }

    /**
     * Writes the frame, and the frames queued behind it while they fit in one batch, in a single write: a backlog
     * (a replay, a burst) then costs one container write instead of one per frame.
     *
     * @return true if the write went out unaggregated (it also carried anything pending), so no flush is needed
     */
    private boolean writeBatch(SseFrame first) throws IOException {
        SseFrame second = first.length() < BATCH_BYTES ? channel.poll() : null;
        if (second == null) {
            return writer.write(out, first);
        }
        int total = first.length() + second.length();
        byte[] batch = new byte[Math.max(total, BATCH_BYTES)];
        int n = copy(first, batch, 0);
        n = copy(second, batch, n);
        while (n < BATCH_BYTES) {
            SseFrame next = channel.poll();
            if (next == null) {
                break;
            }
            if (n + next.length() > batch.length) {
                carried = next;
                break;
            }
            n = copy(next, batch, n);
        }
        return writer.write(out, batch, n);
    }

    private static int copy(SseFrame frame, byte[] into, int at) {
        frame.asReadOnlyBuffer().get(into, at, frame.length());
        return at + frame.length();
    }

    /** The peer is gone or the container failed the write: the hub forgets the channel, the response ends. */
    private void failed(Throwable t) {
        LOG.debug("stream {} write failed, client gone: {}", channel, describe(t));
        gone();
    }

    void gone() {
        dead = true;
        EventChannel ch = channel;
        if (ch != null) {
            ch.close(CloseReason.CLIENT_GONE);
        }
        // Unconditionally: a drain loop on another thread may already have seen dead and set CLOSED, and the
        // response must still be completed, exactly once (complete() guards that).
        state.set(CLOSED);
        complete();
    }

    /** Called by the write-timeout sweep: drops a peer whose socket stayed unwritable for too long. */
    boolean stalledLongerThan(long nanos, long now) {
        long since = unreadySince;
        return since != 0 && state.get() == WAIT_SOCKET && channel != null && now - since > nanos;
    }

    void timedOut(long millis) {
        LOG.debug("stream {} not writable for more than {} ms, client gone", channel, millis);
        gone();
    }

    private void complete() {
        synchronized (completion) {
            if (completed) {
                return;
            }
            completed = true;
            try {
                async.complete();
            } catch (RuntimeException e) {
                // The container is ending it after an error itself (Tomcat refuses other threads then).
                LOG.debug("stream {} already ending: {}", channel, describe(e));
            }
        }
        release();
    }

    private void release() {
        if (released.compareAndSet(false, true)) {
            ScheduledFuture<?> task = maxAge;
            if (task != null) {
                task.cancel(false);
            }
            servlet.released(this);
        }
    }

    @Override
    public void onError(Throwable t) {
        LOG.debug("stream {} write error, client gone: {}", channel, describe(t));
        gone();
    }

    @Override
    public void onComplete(AsyncEvent event) {
        dead = true;
        synchronized (completion) {
            completed = true;
        }
        EventChannel ch = channel;
        if (ch != null) {
            ch.close(CloseReason.CLIENT_GONE);
        }
        state.set(CLOSED);
        release();
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        LOG.debug("stream {} timed out", channel);
        gone();
    }

    @Override
    public void onError(AsyncEvent event) {
        LOG.debug("stream {} failed, client gone: {}", channel, describe(event.getThrowable()));
        gone();
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // A stream is started once; nothing to re-register.
    }

    static String describe(Throwable t) {
        if (t == null) {
            return "no cause";
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == t ? t.toString() : t + " (" + root + ")";
    }
}
