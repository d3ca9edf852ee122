package dev.sse.core.spi;

import dev.sse.core.EventChannel;
import dev.sse.core.SseFrame;

/**
 * The drain side of an {@link EventChannel}, handed to its {@link Transport} by {@link Transport#attach}. For adapter
 * authors: applications use the {@code EventChannel}.
 *
 * <pre>{@code
 * SseFrame frame;
 * while (socketReady() && (frame = frames.poll()) != null) write(frame);
 * }</pre>
 *
 * <p>{@link #poll()} belongs to the transport's single drain loop: one thread at a time. {@link #channel()} and
 * {@link #finished()} may be called from any thread.
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

    /** @return the channel this drains, as applications see it */
    EventChannel channel();

    /**
     * The transport that took over a graceful end ({@link Transport#finishAfterWrites()}) reports that every byte went
     * out: the channel closes with the graceful reason. Any thread; no effect otherwise.
     */
    void finished();
}
