package dev.sse.servlet;

import dev.sse.core.CloseReason;
import dev.sse.core.EventChannel;
import dev.sse.core.SseFrame;
import dev.sse.core.spi.FrameSource;
import dev.sse.core.spi.Transport;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One live stream: the {@link Transport} of its channel, the {@link WriteListener} of its response and the
 * {@link AsyncListener} of its request.
 *
 * <h2>Threads</h2>
 * {@link #framesAvailable()} runs on whichever thread queued a frame (a broadcasting application thread, the hub's
 * scheduler) and only hands the drain loop to the servlet's writer threads, so a broadcast never writes to a socket;
 * {@link #onWritePossible()} runs the loop on the container thread that calls it; the async callbacks run on
 * container threads; {@link #close()} on any thread. The {@link Drain} state, changed only by CAS, makes sure exactly
 * one of them runs the drain loop at a time and that no wake-up is lost:
 * <ul>
 *   <li>{@code WAIT_SOCKET}: the socket is not ready (or the write listener is not yet installed); only
 *       {@code onWritePossible} resumes the loop. This is the initial state, so frames the hub queues while the
 *       channel opens wait for the container's first {@code onWritePossible}, which also flushes the headers.</li>
 *   <li>{@code IDLE}: the channel's queue was drained; the next {@code framesAvailable} starts the loop.</li>
 *   <li>{@code WRITING}: one thread is in the loop, or the loop is handed to a writer thread and about to run.
 *       {@code AGAIN}: so, and someone asked it to look again (a frame, a socket callback or a close arrived
 *       meanwhile); the loop only leaves through a CAS from {@code WRITING}, so such a request is never missed.</li>
 *   <li>{@code CLOSED}: the response was completed or abandoned; terminal.</li>
 * </ul>
 * The loop never blocks: it writes only while {@code isReady()} is true and returns otherwise. Fields other than
 * the {@code VarHandle} and volatile ones are touched by the drain loop only.
 *
 * <p>Beside the loop's {@link Drain}, two more small state machines, each one field: {@link Ending} (what the stream
 * was asked to do at its end: nothing yet, close, or finish after its writes; set from any thread, read by the loop)
 * and {@link Completion} (who completed the response, guarded by {@link #completionLock}, so that the response is
 * completed exactly once and a late {@code complete()} never reaches a recycled request). {@code dead} is the one
 * flag a container callback raises to stop the loop touching the output; {@code released} makes the registry's
 * removal happen once.
 */
final class StreamConnection implements Transport, WriteListener, AsyncListener {

    private static final Logger LOG = LoggerFactory.getLogger(StreamConnection.class);

    /** Several queued frames are copied into one write up to this size, so a backlog costs one syscall, not many. */
    private static final int BATCH_BYTES = 16 * 1024;

    enum Drain { WAIT_SOCKET, IDLE, WRITING, AGAIN, CLOSED }

    /**
     * {@code NONE} until the stream is asked to end: {@code CLOSE} (the channel closed: flush what was written, then
     * complete; a stalled socket is abandoned) or {@code FINISH} (a graceful end took the last frame: the channel
     * closes with its own reason only once the response completed after every byte went out). {@code FINISH} is
     * final; {@code CLOSE} only replaces {@code NONE}.
     */
    enum Ending { NONE, CLOSE, FINISH }

    /** Who completed the response: nobody yet, this class ({@link #complete()}), or the container. */
    enum Completion { OPEN, HERE, BY_CONTAINER }

    private static final VarHandle STATE;
    private static final VarHandle ENDING;
    private static final VarHandle RELEASED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(StreamConnection.class, "state", Drain.class);
            ENDING = l.findVarHandle(StreamConnection.class, "ending", Ending.class);
            RELEASED = l.findVarHandle(StreamConnection.class, "released", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final LiveStreams registry;
    private final AsyncContext async;
    private final ServletOutputStream out;
    private final FrameWriter frameWriter;
    private final WriterThreads.Worker writer;
    /** The key this stream is counted under per client, or {@code null}. */
    private final String client;
    // Through VarHandles rather than atomics: no object of their own per stream.
    private volatile Drain state = Drain.WAIT_SOCKET;
    private volatile Ending ending = Ending.NONE;
    private volatile boolean released;
    /**
     * Held by the drain loop while it touches the output; see {@link #quiesce()}. A monitor rather than a
     * {@code ReentrantLock}: it is almost never contended, and costs no object per stream.
     */
    private final Object output = this;
    /**
     * Guards {@link #completion}. Held while this class completes the response and while the container reports its
     * completion, so that a late {@code complete()} can never reach a request the container has already finished
     * and may have recycled for another client. Never held while writing.
     */
    private final Object completionLock = new Object();
    private Completion completion = Completion.OPEN;
    /**
     * Set as soon as the container reports the stream failed: the container may recycle the output stream right
     * after its callback returns, so a drain loop running on another thread must stop touching it at once.
     */
    private volatile boolean dead;
    /** Nano time since the socket has not been ready, or 0 while it is; read by the write-timeout sweep. */
    private volatile long unreadySince;
    private volatile FrameSource frames;
    /** Set once by {@link #opened}, from the opening thread; read by a drain at the servlet's end. */
    private volatile EventChannel channel;
    private volatile ScheduledFuture<?> maxAge;

    // Drain loop only.
    private SseFrame carried;

    StreamConnection(LiveStreams registry, AsyncContext async, ServletOutputStream out, FrameWriter.Paths paths,
                     WriterThreads.Worker writer, String client) {
        this.registry = registry;
        this.client = client;
        this.async = async;
        this.out = out;
        this.frameWriter = new FrameWriter(out, paths);
        this.writer = writer;
        this.unreadySince = System.nanoTime();
    }

    @Override
    public void attach(FrameSource source) {
        this.frames = source;
    }

    String client() {
        return client;
    }

    /** The channel's drain side, named in logs; {@code null} until the hub attached it. */
    FrameSource source() {
        return frames;
    }

    /** The channel as the hub's API sees it, for a graceful drain; {@code null} until {@link #opened}. */
    EventChannel channel() {
        return channel;
    }

    /** The servlet's channel, once {@code Hub.open} made it (a per-request stream's is its host's business). */
    void opened(EventChannel channel) {
        this.channel = channel;
    }

    /** Hands the response to the container: from here {@code onWritePossible} flushes the headers and drains. */
    void listen() {
        out.setWriteListener(this);
    }

    /** Writes bytes before {@link #listen()}, while the stream is still the caller's (a refusal's retry hint). */
    void writeBeforeListening(byte[] bytes) throws IOException {
        out.write(bytes);
    }

    void maxAge(ScheduledFuture<?> task) {
        this.maxAge = task;
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

    /** Starts the drain loop if nobody runs it, or asks the thread that runs it to look again. */
    private void resume(boolean socketReady) {
        for (;;) {
            Drain s = state;
            if (s == Drain.IDLE || (socketReady && s == Drain.WAIT_SOCKET)) {
                if (STATE.compareAndSet(this, s, Drain.WRITING)) {
                    if (socketReady) {
                        drain();
                    } else {
                        handOff();
                    }
                    return;
                }
            } else if (s == Drain.WRITING) {
                if (STATE.compareAndSet(this, Drain.WRITING, Drain.AGAIN)) {
                    return;
                }
            } else {
                // AGAIN: the writer looks again anyway; CLOSED: nothing to do; WAIT_SOCKET: see framesAvailable.
                return;
            }
        }
    }

    private void handOff() {
        writer.submit(this);
    }

    /** The writer thread's entry: the loop was handed to it in state {@code WRITING}. */
    void drainOnWriter() {
        drain();
    }

    /** Called from inside {@code poll()} on the drain loop, which then flushes and completes as for a close. */
    @Override
    public boolean finishAfterWrites() {
        ending = Ending.FINISH;
        return true;
    }

    @Override
    public void close() {
        ENDING.compareAndSet(this, Ending.NONE, Ending.CLOSE);
        for (;;) {
            Drain s = state;
            if (s == Drain.IDLE || s == Drain.WAIT_SOCKET) {
                // Nobody is writing; a stalled socket is abandoned rather than waited for.
                if (STATE.compareAndSet(this, s, Drain.CLOSED)) {
                    complete();
                    return;
                }
            } else if (s == Drain.WRITING) {
                if (STATE.compareAndSet(this, Drain.WRITING, Drain.AGAIN)) {
                    return;
                }
            } else {
                return;
            }
        }
    }

    /**
     * Runs the drain loop holding {@link #output}; the response is completed, on success or failure, only after the
     * lock is released, so completion never waits on a container callback that waits for this loop.
     */
    private void drain() {
        boolean finished;
        try {
            synchronized (output) {
                finished = drainLocked();
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("stream {} write failed, client gone: {}", source(), describe(e));
            gone();
            return;
        }
        if (finished) {
            complete();
        }
    }

    /** @return true if the stream ended gracefully and the response must now be completed */
    private boolean drainLocked() throws IOException {
        for (;;) {
            if (dead) {
                state = Drain.CLOSED;
                return false;
            }
            if (ending != Ending.NONE && carried == null) {
                // Graceful end: what was written is flushed first, then the response completes.
                if (out.isReady() && frameWriter.flushIfNeeded()) {
                    continue;
                }
                if (!out.isReady()) {
                    if (park()) {
                        return false;
                    }
                    continue;
                }
                state = Drain.CLOSED;
                return true;
            }
            if (!out.isReady()) {
                if (park()) {
                    return false;
                }
                continue;
            }
            unreadySince = 0;
            SseFrame frame = carried != null ? carried : poll();
            carried = null;
            if (frame == null) {
                if (frameWriter.flushIfNeeded()) {
                    continue;
                }
                if (STATE.compareAndSet(this, Drain.WRITING, Drain.IDLE)) {
                    return false;
                }
                state = Drain.WRITING;
                continue;
            }
            writeBatch(frame);
        }
    }

    /**
     * Called first whenever the stream ends abnormally (every container callback, the write-timeout sweep, a failed
     * write): after it returns, no drain loop touches the output, which the container may recycle for another
     * request as soon as its callback returns. The loop sees
     * {@link #dead} before its next write, and its writes never block, so the wait is short.
     */
    private void quiesce() {
        dead = true;
        synchronized (output) {
            // Entering is the point: a drain loop that was running has now left the output.
        }
    }

    private SseFrame poll() {
        FrameSource f = frames;
        return f == null ? null : f.poll();
    }

    /** @return true if the loop may return: the socket callback will resume it */
    private boolean park() {
        if (unreadySince == 0) {
            unreadySince = System.nanoTime();
        }
        if (STATE.compareAndSet(this, Drain.WRITING, Drain.WAIT_SOCKET)) {
            return true;
        }
        state = Drain.WRITING;
        return false;
    }

    /**
     * Writes the frame, and the frames queued behind it while they fit in one batch, in a single write: a backlog
     * (a replay, a burst) then costs one container write instead of one per frame.
     */
    private void writeBatch(SseFrame first) throws IOException {
        SseFrame second = first.length() < BATCH_BYTES ? poll() : null;
        if (second == null) {
            frameWriter.write(first);
            return;
        }
        int total = first.length() + second.length();
        byte[] batch = new byte[Math.max(total, BATCH_BYTES)];
        int n = copy(first, batch, 0);
        n = copy(second, batch, n);
        while (n < BATCH_BYTES) {
            SseFrame next = poll();
            if (next == null) {
                break;
            }
            if (n + next.length() > batch.length) {
                carried = next;
                break;
            }
            n = copy(next, batch, n);
        }
        frameWriter.write(batch, n);
    }

    private static int copy(SseFrame frame, byte[] into, int at) {
        frame.asReadOnlyBuffer().get(into, at, frame.length());
        return at + frame.length();
    }

    /** The peer is gone or the container failed the stream: the hub forgets the channel, the response ends. */
    void gone() {
        gone(CloseReason.CLIENT_GONE);
    }

    private void gone(CloseReason reason) {
        quiesce();
        FrameSource f = frames;
        if (f != null) {
            f.close(reason);
        }
        // Unconditionally: a drain loop on another thread may already have seen dead and set CLOSED, and the
        // response must still be completed, exactly once (complete() guards that).
        state = Drain.CLOSED;
        complete();
    }

    /** Called by the write-timeout sweep. */
    boolean stalledLongerThan(long nanos, long now) {
        long since = unreadySince;
        return since != 0 && state == Drain.WAIT_SOCKET && frames != null && now - since > nanos;
    }

    void timedOut(long millis) {
        LOG.debug("stream {} not writable for more than {} ms, client gone", source(), millis);
        gone(CloseReason.WRITE_TIMEOUT);
    }

    private void complete() {
        boolean ok = false;
        synchronized (completionLock) {
            if (completion != Completion.OPEN) {
                return;
            }
            completion = Completion.HERE;
            try {
                async.complete();
                ok = true;
            } catch (RuntimeException e) {
                // The container is ending it after an error itself (Tomcat refuses other threads then).
                LOG.debug("stream {} already ending: {}", source(), describe(e));
            }
        }
        release();
        if (ok) {
            finishedGracefully();
        }
    }

    /** Everything was written and the response completed: a graceful end closes the channel with its own reason. */
    private void finishedGracefully() {
        FrameSource f = frames;
        if (ending == Ending.FINISH && f != null) {
            f.finished();
        }
    }

    private void release() {
        if (RELEASED.compareAndSet(this, false, true)) {
            ScheduledFuture<?> task = maxAge;
            if (task != null) {
                task.cancel(false);
            }
            registry.released(this);
        }
    }

    @Override
    public void onError(Throwable t) {
        LOG.debug("stream {} write error, client gone: {}", source(), describe(t));
        gone();
    }

    @Override
    public void onComplete(AsyncEvent event) {
        quiesce();
        boolean here;
        synchronized (completionLock) {
            here = completion == Completion.HERE;
            if (!here) {
                completion = Completion.BY_CONTAINER;
            }
        }
        FrameSource f = frames;
        if (f != null) {
            if (here && ending == Ending.FINISH) {
                finishedGracefully();
            } else {
                f.close(CloseReason.CLIENT_GONE);
            }
        }
        state = Drain.CLOSED;
        release();
    }

    @Override
    public void onTimeout(AsyncEvent event) {
        LOG.debug("stream {} timed out", source());
        gone();
    }

    @Override
    public void onError(AsyncEvent event) {
        LOG.debug("stream {} failed, client gone: {}", source(), describe(event.getThrowable()));
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
