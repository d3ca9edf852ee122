package dev.sse.test;

import dev.sse.core.ChannelOptions;
import dev.sse.core.CloseReason;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.HubClosedException;
import dev.sse.core.HubListener;
import dev.sse.core.SseEvent;
import dev.sse.core.SseFrame;
import dev.sse.core.SseStream;
import dev.sse.core.spi.FrameSource;
import dev.sse.core.spi.Transport;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * A client of a {@link Hub} (or of a per-request {@link SseStream}) held in memory, for unit tests without a server:
 * it records every frame the hub writes to it, exactly as it would go on the wire.
 *
 * <pre>{@code
 * RecordingChannel client = RecordingChannel.open(hub);
 * hub.broadcast(SseEvent.of("update", "1"));
 * assertThat(client.awaitEvents(1, Duration.ofSeconds(1))).extracting(SseEvent::data).containsExactly("1");
 * }</pre>
 *
 * <p>Like a fast client, it takes what is queued as soon as the hub wakes it, on the waking thread (the one that
 * broadcast or sent, or the hub's scheduler for keep-alives), so after {@code hub.broadcast} returns the event is
 * already recorded, and the awaits are there for what other threads send. A <em>stalled</em> one
 * ({@link #openStalled}, {@link #stall()}) takes nothing, like a client that stopped reading: frames stay in the
 * channel's queue under its limits and slow-client policy until {@link #resume()}.
 *
 * <p>A per-request stream is recorded the same way: {@link #openStream(Hub)} opens an {@link SseStream} on a host hub
 * to hand to the producer under test.
 *
 * <pre>{@code
 * RecordingChannel response = RecordingChannel.openStream(Hub.create());
 * producer.answer(prompt, response.stream());                  // sends tokens, then complete(SseEvent.data("[DONE]"))
 * assertThat(response.awaitClosed(Duration.ofSeconds(1))).isEqualTo(CloseReason.COMPLETED);
 * }</pre>
 *
 * <h2>Threads</h2>
 * Every method may be called from any thread. The recording's monitor guards the frames, the stalled flag and the
 * close reason; it is never held while calling the channel, so a drain (which may close the channel and so run hub
 * listeners) never runs under it. Drains are serialised by a second monitor, so frames are recorded in the order the
 * channel hands them out. The awaits wait with deadlines and throw {@link AssertionError} when one passes; an
 * interrupt while waiting is also an {@code AssertionError}, with the interrupt flag set again.
 */
public final class RecordingChannel implements AutoCloseable {

    private final Object lock = new Object();
    // Guarded by lock.
    private final List<SseFrame> frames = new ArrayList<>();
    /** The frames that are not keep-alives, as events. */
    private final List<SseEvent> events = new ArrayList<>();
    private int keepAlives;
    private boolean stalled;
    private CloseReason closeReason;

    /** Serialises drains: a wake-up from the hub and a {@link #resume()} may come at once. */
    private final Object drainLock = new Object();
    private volatile FrameSource source;
    private volatile SseStream stream;
    /** A hub recording's channel, set by {@code Hub.open} before anything can close it; null for a stream. */
    private volatile EventChannel channel;

    private RecordingChannel(boolean stalled) {
        this.stalled = stalled;
    }

    /**
     * Opens a fresh channel on the hub: no topics, no resume.
     *
     * @param hub the hub
     * @return the recording, open
     * @throws HubClosedException if the hub is closed
     */
    public static RecordingChannel open(Hub hub) {
        return open(hub, ChannelOptions.defaults());
    }

    /**
     * Opens a channel on the hub as an adapter would for a request: topics, {@code Last-Event-ID}, initial event and
     * attributes come from the options. A replay is recorded before this returns.
     *
     * @param hub the hub
     * @param options the request's options
     * @return the recording, open
     * @throws HubClosedException if the hub is closed
     */
    public static RecordingChannel open(Hub hub, ChannelOptions options) {
        return openOn(hub, options, false);
    }

    /**
     * Opens a channel that takes nothing until {@link #resume()}: a client that stopped reading, for slow-client
     * tests. What the hub sends stays in the channel's queue, under its limits and slow-client policy.
     *
     * @param hub the hub
     * @param options the request's options
     * @return the recording, open and stalled
     * @throws HubClosedException if the hub is closed
     */
    public static RecordingChannel openStalled(Hub hub, ChannelOptions options) {
        return openOn(hub, options, true);
    }

    /**
     * Opens a per-request {@link SseStream} on a host hub (its queue limits, keep-alive and statistics apply), as
     * {@code SseStreams.start} does for a servlet request; hand {@link #stream()} to the producer under test.
     *
     * @param host the hub that hosts the stream; nothing needs to be broadcast on it
     * @return the recording, open
     * @throws HubClosedException if the host is closed
     */
    public static RecordingChannel openStream(Hub host) {
        return openStream(host, ChannelOptions.defaults());
    }

    /**
     * Opens a per-request {@link SseStream} on a host hub with the request's options (a {@code Last-Event-ID}, an
     * initial event, attributes).
     *
     * @param host the hub that hosts the stream
     * @param options the request's options
     * @return the recording, open
     * @throws HubClosedException if the host is closed
     */
    public static RecordingChannel openStream(Hub host, ChannelOptions options) {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(options, "options");
        RecordingChannel r = new RecordingChannel(false);
        r.stream = SseStream.open(host, r.new Wire(), options);
        // Told at once if the stream already ended while it opened.
        r.stream.onClose(r::closedBecause);
        return r;
    }

    private static RecordingChannel openOn(Hub hub, ChannelOptions options, boolean stalled) {
        Objects.requireNonNull(hub, "hub");
        Objects.requireNonNull(options, "options");
        RecordingChannel r = new RecordingChannel(stalled);
        CloseWatch watch = CloseWatch.of(hub);
        try {
            hub.open(r.new Wire(), options, channel -> {
                r.channel = channel;
                watch.expected.put(channel, r);
            });
        } catch (RuntimeException e) {
            EventChannel made = r.channel;
            if (made != null) {
                watch.expected.remove(made);
            }
            throw e;
        }
        return r;
    }

    /**
     * Returns the hub's channel, as the application sees it: its id, topics, {@code send}, {@code close}.
     *
     * @return the channel
     * @throws IllegalStateException if this recording is a per-request stream ({@code openStream}): see {@link #stream()}
     */
    public EventChannel channel() {
        EventChannel c = channel;
        if (c == null) {
            throw new IllegalStateException("this recording is a per-request stream; its application side is stream()");
        }
        return c;
    }

    /**
     * Returns the per-request stream to hand to the producer under test.
     *
     * @return the stream
     * @throws IllegalStateException if this recording was opened on a hub with {@code open}, not {@code openStream}
     */
    public SseStream stream() {
        SseStream s = stream;
        if (s == null) {
            throw new IllegalStateException("this recording is a hub's channel; open it with openStream for a stream");
        }
        return s;
    }

    /**
     * Returns the events received so far, in order, as the application sent them; keep-alive comments are left out
     * (see {@link #keepAlives()}), comments the application sent are in.
     *
     * @return a copy
     */
    public List<SseEvent> events() {
        synchronized (lock) {
            return List.copyOf(events);
        }
    }

    /** @return the ids of the events received so far that carry one, in order */
    public List<String> ids() {
        List<String> ids = new ArrayList<>();
        for (SseEvent e : events()) {
            if (e.id() != null) {
                ids.add(e.id());
            }
        }
        return ids;
    }

    /** @return the data of the events received so far that carry data, in order */
    public List<String> data() {
        List<String> data = new ArrayList<>();
        for (SseEvent e : events()) {
            if (e.data() != null) {
                data.add(e.data());
            }
        }
        return data;
    }

    /** @return how many keep-alive comments the hub wrote so far */
    public int keepAlives() {
        synchronized (lock) {
            return keepAlives;
        }
    }

    /**
     * Returns every byte written so far, keep-alives included, decoded as UTF-8 (the encoder writes only valid
     * UTF-8, so this is exact): for assertions on the wire format.
     *
     * <pre>
     * id: 1796378400000001
     * event: update
     * data: 1
     *
     * </pre>
     *
     * @return the bytes as text
     */
    public String wire() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        synchronized (lock) {
            for (SseFrame f : frames) {
                byte[] bytes = f.toByteArray();
                out.write(bytes, 0, bytes.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * Waits until at least {@code count} events have arrived (keep-alives not counted).
     *
     * @param count how many, at least 1
     * @param timeout how long to wait at most
     * @return the first {@code count} events
     * @throws AssertionError if they did not arrive in time, or the channel closed first; the message names what
     *                        arrived
     * @throws IllegalArgumentException if {@code count} is below 1 or the timeout is not positive
     */
    public List<SseEvent> awaitEvents(int count, Duration timeout) {
        requireCount(count);
        long deadline = deadline(timeout);
        String what = count + (count == 1 ? " event" : " events");
        synchronized (lock) {
            waitWhile(() -> events.size() < count, deadline, timeout, what);
            return List.copyOf(events.subList(0, count));
        }
    }

    /**
     * Waits for the first event that matches.
     *
     * @param match what the event must satisfy; called on this thread, with no lock held
     * @param timeout how long to wait at most
     * @return the first matching event
     * @throws AssertionError if none matched in time, or the channel closed first
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public SseEvent awaitEvent(Predicate<? super SseEvent> match, Duration timeout) {
        return awaitEvent("an event matching the predicate", match, timeout);
    }

    /**
     * Waits for the first event that matches, naming it for the failure message.
     *
     * <pre>{@code
     * client.awaitEvent("the [DONE] event", e -> "[DONE]".equals(e.data()), Duration.ofSeconds(1));
     * }</pre>
     *
     * @param description what the predicate looks for, as the failure message should say it
     * @param match what the event must satisfy; called on this thread, with no lock held
     * @param timeout how long to wait at most
     * @return the first matching event
     * @throws AssertionError if none matched in time, or the channel closed first
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public SseEvent awaitEvent(String description, Predicate<? super SseEvent> match, Duration timeout) {
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(match, "match");
        long deadline = deadline(timeout);
        int tested = 0;
        while (true) {
            List<SseEvent> fresh;
            synchronized (lock) {
                int seen = tested;
                waitWhile(() -> events.size() == seen, deadline, timeout, description);
                fresh = List.copyOf(events.subList(seen, events.size()));
            }
            // User code: tested with no lock held, so the hub's threads are never kept waiting by it.
            for (SseEvent e : fresh) {
                tested++;
                if (match.test(e)) {
                    return e;
                }
            }
        }
    }

    /**
     * Waits until the hub has written at least {@code count} keep-alive comments in all.
     *
     * @param count how many, at least 1
     * @param timeout how long to wait at most
     * @return how many there are now
     * @throws AssertionError if they did not come in time, or the channel closed first
     * @throws IllegalArgumentException if {@code count} is below 1 or the timeout is not positive
     */
    public int awaitKeepAlives(int count, Duration timeout) {
        requireCount(count);
        long deadline = deadline(timeout);
        synchronized (lock) {
            waitWhile(() -> keepAlives < count, deadline, timeout, count + " keep-alives (" + keepAlives + " before)");
            return keepAlives;
        }
    }

    /**
     * Waits until the channel has closed, for any reason.
     *
     * @param timeout how long to wait at most
     * @return why it closed
     * @throws AssertionError if it was still open at the deadline
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public CloseReason awaitClosed(Duration timeout) {
        long deadline = deadline(timeout);
        synchronized (lock) {
            while (closeReason == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError(this + ": waited " + timeout.toMillis() + " ms for the channel to "
                            + "close; " + Describe.events(events) + "; still open" + queueState());
                }
                waitLocked(left, "the channel to close");
            }
            return closeReason;
        }
    }

    /** @return whether the channel has closed */
    public boolean closed() {
        synchronized (lock) {
            return closeReason != null;
        }
    }

    /** @return why the channel closed, or {@code null} while it is open */
    public CloseReason closeReason() {
        synchronized (lock) {
            return closeReason;
        }
    }

    /**
     * Stops taking frames, as a client that stopped reading: what is sent from now on stays in the channel's queue
     * (a drain already under way stops at its next frame).
     */
    public void stall() {
        synchronized (lock) {
            stalled = true;
        }
    }

    /** Takes frames again, first everything that queued while stalled; on this thread. */
    public void resume() {
        synchronized (lock) {
            stalled = false;
        }
        drain();
    }

    /**
     * Closes the channel as a client that went away would: {@link CloseReason#CLIENT_GONE}. Does nothing if it is
     * closed already.
     */
    @Override
    public void close() {
        FrameSource s = source;
        if (s != null) {
            s.close(CloseReason.CLIENT_GONE);
        }
    }

    @Override
    public String toString() {
        SseStream st = stream;
        EventChannel c = channel;
        return st != null ? "stream " + st.id() : "channel " + (c == null ? "(opening)" : c.id());
    }

    /**
     * Waits under the lock while the condition holds and the channel is open. At the deadline, or when the channel
     * closed while still waiting (nothing more can arrive then), an {@code AssertionError} says what arrived.
     */
    private void waitWhile(BooleanSupplier condition, long deadline, Duration timeout, String what) {
        while (condition.getAsBoolean()) {
            if (closeReason != null) {
                throw new AssertionError(this + ": waited for " + what + "; " + Describe.events(events)
                        + "; then the channel closed (" + closeReason + ")");
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError(this + ": waited " + timeout.toMillis() + " ms for " + what + "; "
                        + Describe.events(events) + "; still open" + queueState());
            }
            waitLocked(left, what);
        }
    }

    private void waitLocked(long nanos, String what) {
        try {
            lock.wait(Math.max(1, nanos / 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(this + ": interrupted while waiting for " + what, e);
        }
    }

    private String queueState() {
        SseStream st = stream;
        EventChannel c = channel;
        int queued = st != null ? st.queuedFrames() : c != null ? c.queuedFrames() : 0;
        return (stalled ? ", stalled" : "") + (queued > 0 ? ", " + queued + " frames queued" : "");
    }

    private static void requireCount(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1 (was " + count + ")");
        }
    }

    static long deadline(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive (was " + timeout + ")");
        }
        return System.nanoTime() + timeout.toNanos();
    }

    private void drain() {
        FrameSource s = source;
        synchronized (drainLock) {
            while (true) {
                synchronized (lock) {
                    if (stalled) {
                        return; // the wake-up stays outstanding: resume() polls on
                    }
                }
                // Polled with no lock of ours held: the poll may close the channel and run hub listeners.
                SseFrame f = s.poll();
                if (f == null) {
                    return;
                }
                synchronized (lock) {
                    frames.add(f);
                    if (f == SseFrame.KEEP_ALIVE) {
                        keepAlives++;
                    } else {
                        events.add(f.event());
                    }
                    lock.notifyAll();
                }
            }
        }
    }

    private void closedBecause(CloseReason reason) {
        synchronized (lock) {
            if (closeReason == null) {
                closeReason = reason;
            }
            lock.notifyAll();
        }
    }

    /** The transport the hub sees. */
    private final class Wire implements Transport {
        @Override
        public void attach(FrameSource frames) {
            source = frames;
        }

        @Override
        public void framesAvailable() {
            drain();
        }

        @Override
        public void close() {
            // The reason comes right after: from the hub's listener for a channel, from onClose for a stream.
        }
    }

    /**
     * One listener per hub tells each recording why its channel closed; one per hub, not one per recording, so that
     * opening many recordings does not make every close call them all.
     */
    private static final class CloseWatch implements HubListener {
        /** Weak keys: a watch lives as long as its hub (which holds it as a listener), no longer. */
        private static final Map<Hub, CloseWatch> WATCHES = new WeakHashMap<>();

        final Map<EventChannel, RecordingChannel> expected = new ConcurrentHashMap<>();

        static CloseWatch of(Hub hub) {
            synchronized (WATCHES) {
                return WATCHES.computeIfAbsent(hub, h -> {
                    CloseWatch w = new CloseWatch();
                    h.addListener(w);
                    return w;
                });
            }
        }

        @Override
        public void onClose(EventChannel channel, CloseReason reason) {
            RecordingChannel r = expected.remove(channel);
            if (r != null) {
                r.closedBecause(reason);
            }
        }
    }
}
