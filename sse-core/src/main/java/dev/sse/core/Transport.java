package dev.sse.core;

/**
 * The connection side of an {@link EventChannel}: what an adapter (the servlet module, a test) implements to carry
 * frames to one client.
 *
 * <pre>{@code
 * EventChannel channel = hub.open(new MyTransport(socket));
 * // MyTransport.framesAvailable(): while ((frame = channel.poll()) != null) write(frame);
 * }</pre>
 *
 * <p>The contract is a single drain loop per connection:
 * <ul>
 *   <li>{@link #framesAvailable()} is called when the channel's queue goes from empty to non-empty. From then on the
 *       transport must keep calling {@link EventChannel#poll()} (now, or later when its socket can take more)
 *       until it returns {@code null}; only then will the next queued frame call {@code framesAvailable()} again.
 *       It runs on the thread that queued the frame (often a broadcasting application thread, never while a hub
 *       lock is held) and must not block: write without blocking or hand the work to another thread.</li>
 *   <li>{@link #close()} is called exactly once when the channel closes for any reason, including when the
 *       transport itself reported the client gone with {@link EventChannel#close(CloseReason)}. It may be called on
 *       any thread, also from inside {@code poll()} on the draining thread, and must not block: end the response.</li>
 * </ul>
 */
public interface Transport {

    /** The channel's queue went from empty to non-empty: poll until {@code null}, now or when writable. */
    void framesAvailable();

    /** End the connection; frames still queued are discarded. Called once. */
    void close();
}
