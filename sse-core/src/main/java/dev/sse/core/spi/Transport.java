package dev.sse.core.spi;

import dev.sse.core.CloseReason;

/**
 * The connection side of a hub's channel (an {@code EventChannel}): what an adapter (the servlet module, a test) implements to carry
 * frames to one client. For adapter authors; applications never call it.
 *
 * <pre>{@code
 * EventChannel channel = hub.open(new MyTransport(socket), ChannelOptions.defaults());
 * // MyTransport.framesAvailable(): hand the connection to a writer thread, which polls its FrameSource until null
 * }</pre>
 *
 * <p>The contract is a single drain loop per connection:
 * <ul>
 *   <li>{@link #attach(FrameSource)} is called once, inside {@code Hub.open}, before the channel is registered and
 *       before any other method: keep the source, it is the drain side of the channel.</li>
 *   <li>{@link #framesAvailable()} is called when the channel has something to write and its drain loop waits. From
 *       then on the transport must keep calling {@link FrameSource#poll()} (now, or later when its socket can take
 *       more) until it returns {@code null}; only then will more frames call {@code framesAvailable()} again.
 *       It runs on the hub's scheduler for broadcasts (one walk wakes every waiting stream after the broadcasts it
 *       covers), or on the thread that sent to this channel alone ({@code send}, a keep-alive), never while a hub
 *       lock is held, and must return at once: it should only hand the connection to a thread of the adapter's that
 *       writes without blocking.</li>
 *   <li>{@link #close()} is called exactly once when the channel closes for any reason, including when the
 *       transport itself reported the client gone with {@link FrameSource#close(CloseReason)}. It may be called on
 *       any thread, also from inside {@code poll()} on the draining thread, and must not block: end the response.</li>
 * </ul>
 */
public interface Transport {

    /**
     * Receives the drain side of the channel being opened; called once, before anything else.
     *
     * @param frames what to poll
     */
    void attach(FrameSource frames);

    /** The channel has frames for a drain loop that waits: poll until {@code null}, now or when writable. */
    void framesAvailable();

    /** End the connection; frames still queued are discarded. Called once. */
    void close();

    /**
     * A graceful end ({@code complete}, a farewell, a maximum age) has handed the transport its last frame: the
     * transport may take over the end, so that the channel's reason says what really happened. Returning {@code true}
     * promises to call {@link FrameSource#finished()} once every written byte has gone out (the channel then closes
     * with the graceful reason), or to close the channel with the real reason ({@code CLIENT_GONE},
     * {@code WRITE_TIMEOUT}) when they cannot. By default a transport does not, and the channel closes at once.
     * Called on the draining thread, from inside {@code poll()}; must not block.
     *
     * @return whether the transport reports the end itself
     */
    default boolean finishAfterWrites() {
        return false;
    }
}
