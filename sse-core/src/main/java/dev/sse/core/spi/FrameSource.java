package dev.sse.core.spi;

import dev.sse.core.CloseReason;
import dev.sse.core.SseFrame;

/**
 * The drain side of a hub's channel, handed to its {@link Transport} by {@link Transport#attach}. For adapter
 * authors: applications use the {@code EventChannel} that {@code Hub.open} returns. The spi sees the
 * channel only through this interface, so it depends on nothing in {@code dev.sse.core} but values;
 * Its {@code toString()} names the channel, for an adapter's logs.
 *
 * <pre>{@code
 * SseFrame frame;
 * while (socketReady() && (frame = frames.poll()) != null) write(frame);
 * }</pre>
 *
 * <p>{@link #poll()} belongs to the transport's single drain loop: one thread at a time. {@link #close(CloseReason)},
 * {@link #isOpen()} and {@link #finished()} may be called from any thread.
 */
public interface FrameSource {

    /**
     * Takes the next frame to write.
     *
     * @return the next frame (what was sent to this client alone first, then the broadcasts its cursor reads from the
     *         hub's shared log), or {@code null} when there is none, after which the transport is woken by
     *         {@link Transport#framesAvailable()} when there is more
     */
    SseFrame poll();

    /**
     * The transport reports that its connection ended otherwise than by {@link #finished()}: the client went away
     * ({@link CloseReason#CLIENT_GONE}) or a write timed out ({@link CloseReason#WRITE_TIMEOUT}). The channel closes
     * with that reason, once, and calls {@link Transport#close()}. Any thread; no effect once the channel is closed.
     *
     * @param reason why the connection ended
     */
    void close(CloseReason reason);

    /** @return whether the channel is still open: false once it closed, for any reason */
    boolean isOpen();

    /**
     * The transport that took over a graceful end ({@link Transport#finishAfterWrites()}) reports that every byte went
     * out: the channel closes with the graceful reason. Any thread; no effect otherwise.
     */
    void finished();
}
