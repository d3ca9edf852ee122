package dev.sse.vertx;

import dev.sse.core.CloseReason;
import dev.sse.core.SseFrame;
import dev.sse.core.spi.FrameSource;
import dev.sse.core.spi.Transport;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stream's {@link Transport} over a Vert.x {@link HttpServerResponse}.
 *
 * <h2>Threads</h2>
 * A response belongs to the event loop of its connection, so the drain loop runs only there:
 * {@link #framesAvailable()} and {@link #close()}, called on any thread (a broadcasting application thread, the hub's
 * scheduler), only schedule it with {@link Context#runOnContext}. One event loop thread means one drain loop at a
 * time without locks, as {@link FrameSource#poll()} requires. The loop never waits: it stops polling while
 * {@link HttpServerResponse#writeQueueFull()} is true and resumes from the {@code drainHandler}, so frames pile up in
 * the channel's bounded queue, where the hub's slow-client policy decides, never in Vert.x's write queue. A drain
 * scheduled while the loop waits for the socket finds the queue still full and returns.
 */
final class VertxTransport implements Transport {

    private static final Logger LOG = LoggerFactory.getLogger(VertxTransport.class);

    /** Queued frames are copied into one buffer up to this size, so a backlog costs one write, not one per frame. */
    static final int BATCH_BYTES = 16 * 1024;

    private final Context context;
    private final HttpServerResponse response;
    private final Runnable onEnd;
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile FrameSource frames;
    private volatile boolean closeRequested;

    // Event loop only.
    private boolean graceful;
    private boolean waitingForSocket;
    private SseFrame carried;

    /**
     * @param context the response's event loop context
     * @param response the response, its status and headers set but not yet written
     * @param onEnd runs once when the stream ends, however it ends (a count to release)
     */
    VertxTransport(Context context, HttpServerResponse response, Runnable onEnd) {
        this.context = context;
        this.response = response;
        this.onEnd = onEnd;
    }

    /** Starts watching the connection; call on the event loop once the channel is open. */
    void listen() {
        response.closeHandler(v -> gone("closed"));
        response.exceptionHandler(e -> {
            LOG.debug("stream {} failed, client gone: {}", source(), e.toString());
            gone("failed");
        });
        response.drainHandler(v -> {
            waitingForSocket = false;
            drain();
        });
        if (!response.headWritten()) {
            // Headers go out at once, so a client (and any proxy) sees the stream open before the first event.
            response.writeHead();
        }
        context.runOnContext(v -> drain());
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
        context.runOnContext(v -> drain());
    }

    @Override
    public boolean finishAfterWrites() {
        graceful = true;
        closeRequested = true;
        return true;
    }

    @Override
    public void close() {
        closeRequested = true;
        context.runOnContext(v -> drain());
    }

    /** The drain loop: on the event loop only. */
    private void drain() {
        if (ended.get()) {
            return;
        }
        if (waitingForSocket) {
            if (closeRequested && !graceful) {
                // Closed while the client does not read (the slow-client policy, a drain window's end): a stalled
                // socket is abandoned, not waited for, so its connection and Vert.x's queued bytes go now.
                gone("abandoned while not reading");
            }
            return;
        }
        try {
            while (!closeRequested || carried != null) {
                if (response.writeQueueFull()) {
                    waitingForSocket = true;
                    return;
                }
                SseFrame first = carried != null ? carried : poll();
                carried = null;
                if (first == null) {
                    if (!closeRequested) {
                        return;
                    }
                    break;
                }
                response.write(batch(first));
            }
            end();
        } catch (RuntimeException e) {
            LOG.debug("stream {} write failed, client gone: {}", source(), e.toString());
            gone("write failed");
        }
    }

    /** The frame and those queued behind it while they fit, as one buffer: one write for a backlog. */
    private Buffer batch(SseFrame first) {
        Buffer buffer = Buffer.buffer(Math.max(first.length(), 256));
        buffer.appendBytes(first.toByteArray());
        while (buffer.length() < BATCH_BYTES && !closeRequested) {
            SseFrame next = poll();
            if (next == null) {
                break;
            }
            if (buffer.length() + next.length() > BATCH_BYTES) {
                carried = next;
                break;
            }
            buffer.appendBytes(next.toByteArray());
        }
        return buffer;
    }

    private SseFrame poll() {
        FrameSource f = frames;
        return f == null ? null : f.poll();
    }

    /** Ends the response; a graceful end closes the channel with its own reason once every byte went out. */
    private void end() {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        boolean reportEnd = graceful;
        if (response.ended() || response.closed()) {
            finish(false);
            return;
        }
        response.end().onComplete(ar -> finish(reportEnd && ar.succeeded()));
    }

    private void finish(boolean reportGraceful) {
        FrameSource f = frames;
        if (f != null) {
            if (reportGraceful) {
                f.finished();
            } else {
                f.close(CloseReason.CLIENT_GONE);
            }
        }
        onEnd.run();
    }

    /** The peer left or the connection failed: the hub forgets the channel. */
    private void gone(String why) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        LOG.debug("stream {} {}, client gone", source(), why);
        finish(false);
        if (!response.ended() && !response.closed()) {
            response.reset();
        }
    }
}
