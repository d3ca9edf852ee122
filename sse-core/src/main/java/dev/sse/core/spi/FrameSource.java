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
 * <p>{@link #poll()} belongs to the transport's single drain loop: one thread at a time. {@link #send(SseFrame)} and
 * {@link #channel()} may be called from any thread.
 */
public interface FrameSource {

    /**
     * Takes the next frame to write.
     *
     * @return the next frame, or {@code null} when the queue is empty, after which the transport is woken by
     *         {@link Transport#framesAvailable()} when more is queued
     */
    SseFrame poll();

    /**
     * Queues an already encoded frame for this client only, under the channel's limits and slow-client policy.
     * Never blocks.
     *
     * @param frame the frame
     * @return {@code false} if the channel is closed, or the slow-client policy closed it
     */
    boolean send(SseFrame frame);

    /** @return the channel this drains, as applications see it */
    EventChannel channel();

    /**
     * The transport that took over a graceful end ({@link Transport#finishAfterWrites()}) reports that every byte went
     * out: the channel closes with the graceful reason. Any thread; no effect otherwise.
     */
    void finished();
}
