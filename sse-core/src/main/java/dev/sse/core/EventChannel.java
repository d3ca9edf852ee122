package dev.sse.core;

import dev.sse.core.spi.FrameSource;
import dev.sse.core.spi.Transport;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connected client as the application sees it: send to it alone, subscribe it to topics, read what it attached,
 * close it. Behind it is a bounded queue between the application, which never blocks, and the client's
 * {@link Transport}, which writes when the connection can take more.
 *
 * <pre>{@code
 * EventChannel channel = hub.open(transport, ChannelOptions.builder().topics(Set.of("prices")).build());
 * channel.send(SseEvent.of("welcome", "hi"));
 * }</pre>
 *
 * <h2>Threads</h2>
 * Any thread may call every public method. The drain side ({@link FrameSource#poll()}) belongs to the transport's
 * single drain loop. The queue, the drain flag, the state and the resume outcome are guarded by a private lock held
 * only for queue operations: never during I/O, never while calling the transport, a listener or other user code.
 * The topic set is written only by the hub's topic index.
 */
public final class EventChannel {

    private static final Logger LOG = LoggerFactory.getLogger(EventChannel.class);

    /** What {@link #offer} asks the caller to do once it holds no lock. */
    enum Offer { QUEUED, WAKE, CLOSE_SLOW, REJECTED }

    /**
     * OPEN takes frames; DRAINING (a graceful end asked) writes what is queued and takes nothing more; FLUSHING: all
     * was handed to a transport that reports when it went out ({@link Transport#finishAfterWrites()}); CLOSED.
     */
    private enum State { OPEN, DRAINING, FLUSHING, CLOSED }

    private final Hub hub;
    private final Transport transport;
    private final long id;
    private final Map<String, Object> attributes;
    private final Instant openedAt;
    private final String lastEventId;
    /** Written only by the hub's {@link TopicIndex}, under its lock. */
    final Set<String> topics = ConcurrentHashMap.newKeySet();
    private final FrameSource source = new Source();

    private final Object lock = new Object();
    // Guarded by lock.
    private final FrameQueue queue;
    private boolean drainRequested;
    private boolean replaying = true;
    private State state = State.OPEN;
    private CloseReason closeReason;
    /** Made only when a graceful drain waits for this channel: most channels never need one. */
    private CompletableFuture<CloseReason> closed;
    private boolean announced;
    private boolean resumeGap;
    /** Live frames up to and including this id were already seen by the client elsewhere; see finishReplay. */
    private String skipThrough;
    /** The log's order of ids, which tells a frame before {@link #skipThrough} from one past it. */
    private Comparator<String> skipOrder;

    /** A producer waits for room (see {@link #armRoom}); poll tells it once there is. Guarded by lock. */
    private boolean roomWanted;
    /** The per-request stream over this channel, told of room and of the close; null for a hub's channels. */
    private volatile StreamEvents streamEvents;

    /** Set when a frame is queued, cleared by each keep-alive tick: tells the keep-alive which channels idle. */
    private volatile boolean activeSinceTick;

    EventChannel(Hub hub, Transport transport, long id, ChannelOptions options, Instant openedAt, QueueLimits limits) {
        this.hub = hub;
        this.transport = Objects.requireNonNull(transport, "transport");
        this.id = id;
        this.attributes = options.attributes();
        this.openedAt = openedAt;
        this.lastEventId = options.lastEventId();
        this.queue = new FrameQueue(limits);
    }

    /** @return a number that identifies this channel within its hub */
    public long id() {
        return id;
    }

    /** @return when the channel was opened */
    public Instant openedAt() {
        return openedAt;
    }

    /** @return the {@code Last-Event-ID} the client resumed from, or {@code null} for a fresh connection */
    public String resumedFrom() {
        return lastEventId;
    }

    /**
     * Whether the client asked to resume from an id the history could not fully serve, so it may have missed events.
     * Final once {@link HubListener#onOpen} runs.
     *
     * @return whether a gap was found on resume
     */
    public boolean resumeGap() {
        synchronized (lock) {
            return resumeGap;
        }
    }

    /**
     * Returns an attribute the adapter or application attached when opening (a principal, a session id).
     *
     * @param name the attribute name
     * @return the value, or {@code null}
     */
    public Object attribute(String name) {
        return attributes.get(name);
    }

    /** @return all attributes, unmodifiable */
    public Map<String, Object> attributes() {
        return attributes;
    }

    /** @return the topics this channel receives topic broadcasts for, as an unmodifiable snapshot */
    public Set<String> topics() {
        return Set.copyOf(topics);
    }

    /**
     * Starts receiving broadcasts to a topic; no effect once closed.
     *
     * @param topic the topic name
     */
    public void subscribe(String topic) {
        hub.subscribe(this, Objects.requireNonNull(topic, "topic"));
    }

    /**
     * Stops receiving broadcasts to a topic.
     *
     * @param topic the topic name
     */
    public void unsubscribe(String topic) {
        hub.unsubscribe(this, Objects.requireNonNull(topic, "topic"));
    }

    /**
     * Queues an event for this client only; it does not enter the history. Never blocks.
     *
     * @param event the event
     * @return {@code false} if the channel is closed, or the {@link SlowClientPolicy} closed it
     */
    public boolean send(SseEvent event) {
        String key = hub.coalescingKey(event);
        return send(SseFrame.of(event), key);
    }

    private boolean send(SseFrame frame, String key) {
        Offer outcome = offer(frame, key);
        afterOffer(outcome);
        return outcome == Offer.QUEUED || outcome == Offer.WAKE;
    }

    /** @return whether the channel is open (also while it drains before a graceful close) */
    public boolean isOpen() {
        synchronized (lock) {
            return state != State.CLOSED;
        }
    }

    /** @return how many frames wait to be written */
    public int queuedFrames() {
        synchronized (lock) {
            return queue.size();
        }
    }

    /** @return how many bytes wait to be written */
    public long queuedBytes() {
        synchronized (lock) {
            return queue.bytes();
        }
    }

    /** @return how many frames the slow-client policy discarded for this client */
    public long droppedFrames() {
        synchronized (lock) {
            return queue.dropped();
        }
    }

    /** Closes the channel now because the application decided so; same as {@code close(CLOSED_BY_APP)}. */
    public void close() {
        close(CloseReason.CLOSED_BY_APP);
    }

    /**
     * Closes the channel now: queued frames are discarded, the hub forgets the channel, the transport is closed and
     * listeners are told, each exactly once however many threads call this. Transports call it with
     * {@link CloseReason#CLIENT_GONE} when the client went away.
     *
     * @param reason why
     */
    public void close(CloseReason reason) {
        Objects.requireNonNull(reason, "reason");
        boolean tell;
        synchronized (lock) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            closeReason = reason;
            queue.clear();
            tell = announced;
        }
        LOG.debug("channel {} closed: {}", id, reason);
        try {
            hub.closed(this, reason);
            try {
                transport.close();
            } catch (RuntimeException e) {
                LOG.warn("transport of channel {} failed to close", id, e);
            }
        } finally {
            CompletableFuture<CloseReason> waiting;
            synchronized (lock) {
                waiting = closed;
            }
            if (waiting != null) {
                waiting.complete(reason);
            }
        }
        StreamEvents events = streamEvents;
        if (events != null) {
            events.closed(reason);
        }
        if (tell) {
            hub.fireClosed(this, reason);
        }
    }

    /**
     * Closes the channel once what is queued now (and {@code farewell}, if given) has been written. Nothing queued
     * after this call is sent. If the client does not drain, a later {@link #close(CloseReason)} ends it at once.
     *
     * @param reason why
     * @param farewell a last event to send, or {@code null}
     */
    public void closeAfterDrain(CloseReason reason, SseEvent farewell) {
        closeAfterDrain(reason, farewell == null ? null : SseFrame.of(farewell));
    }

    void closeAfterDrain(CloseReason reason, SseFrame farewell) {
        Objects.requireNonNull(reason, "reason");
        boolean wake = false;
        boolean closeNow = false;
        synchronized (lock) {
            if (state != State.OPEN) {
                return;
            }
            if (farewell != null) {
                queue.addLastBeyondLimits(farewell);
            }
            state = State.DRAINING;
            closeReason = reason;
            if (replaying) {
                closeNow = true;
            } else if (!drainRequested) {
                if (queue.isEmpty()) {
                    closeNow = true;
                } else {
                    drainRequested = true;
                    wake = true;
                }
            }
        }
        if (closeNow) {
            close(reason);
        } else if (wake) {
            wakeTransport();
        }
    }

    /** @return completes with the reason once the channel is closed */
    CompletableFuture<CloseReason> closedFuture() {
        synchronized (lock) {
            if (closed == null) {
                closed = new CompletableFuture<>();
                if (state == State.CLOSED) {
                    closed.complete(closeReason);
                }
            }
            return closed;
        }
    }

    FrameSource source() {
        return source;
    }

    /** Takes the next frame for the transport's drain loop; see {@link FrameSource#poll()}. */
    SseFrame poll() {
        boolean finishDrain = false;
        boolean room = false;
        SseFrame frame;
        CloseReason reason = null;
        synchronized (lock) {
            frame = queue.poll();
            if (frame == null) {
                drainRequested = false;
                finishDrain = state == State.DRAINING;
                reason = closeReason;
            }
            if (roomWanted && state == State.OPEN && queue.hasRoom()) {
                roomWanted = false;
                room = true;
            }
        }
        if (frame != null) {
            hub.frameSent(frame);
        } else if (finishDrain) {
            finishDrain(reason);
        }
        if (room) {
            streamEvents.room();
        }
        return frame;
    }

    /**
     * The queue of a graceful end is empty: the channel closes now, or, when the transport reports the end itself,
     * once it says the bytes went out ({@link #finished()}) or closes the channel with the real reason.
     */
    private void finishDrain(CloseReason reason) {
        boolean handedOver;
        try {
            handedOver = transport.finishAfterWrites();
        } catch (RuntimeException e) {
            LOG.warn("transport of channel {} failed to finish; closing it", id, e);
            handedOver = false;
        }
        if (!handedOver) {
            close(reason);
            return;
        }
        synchronized (lock) {
            if (state == State.DRAINING) {
                state = State.FLUSHING;
            }
        }
    }

    /** See {@link FrameSource#finished()}. */
    void finished() {
        CloseReason reason;
        synchronized (lock) {
            if (state != State.FLUSHING && state != State.DRAINING) {
                return;
            }
            reason = closeReason;
        }
        close(reason);
    }

    /** What a per-request stream over this channel hears: room for more, and the close. */
    interface StreamEvents {
        /** The queue has room again after {@link #armRoom} said it had none; called on the drain thread. */
        void room();

        /** The channel closed; called once, on the closing thread, with no lock held. */
        void closed(CloseReason reason);
    }

    void streamEvents(StreamEvents events) {
        this.streamEvents = events;
    }

    /** What {@link #offerIfRoom} did. */
    enum Room { QUEUED, FULL, CLOSED }

    /**
     * Queues a frame only if it fits the limits now: a producer that can wait is told instead of the slow-client
     * policy acting on its client.
     */
    Room offerIfRoom(SseFrame frame) {
        activeSinceTick = true;
        boolean wake;
        synchronized (lock) {
            if (state != State.OPEN) {
                return Room.CLOSED;
            }
            if (!queue.isEmpty() && !queue.fits(frame)) {
                return Room.FULL;
            }
            queue.add(frame, null);
            wake = !drainRequested && !replaying;
            if (wake) {
                drainRequested = true;
            }
        }
        if (wake) {
            wakeTransport();
        }
        return Room.QUEUED;
    }

    /**
     * Asks to be told ({@link StreamEvents#room}) when the queue next has room for a frame.
     *
     * @return true if there is room now (nothing armed), false once armed (or closed: the close is told instead)
     */
    boolean armRoom() {
        synchronized (lock) {
            if (state != State.OPEN) {
                return false;
            }
            if (queue.hasRoom()) {
                return true;
            }
            roomWanted = true;
            return false;
        }
    }

    /**
     * Queues a frame under the limits and policy; the caller acts on the outcome once it holds no lock.
     *
     * @param key the frame's coalescing key, computed by the caller before any lock was taken
     */
    Offer offer(SseFrame frame, String key) {
        if (frame != SseFrame.KEEP_ALIVE) {
            activeSinceTick = true;
        }
        int droppedNow;
        synchronized (lock) {
            if (state != State.OPEN) {
                return Offer.REJECTED;
            }
            if (skipThrough != null && frame.event().id() != null) {
                int c = skipOrder.compare(frame.event().id(), skipThrough);
                if (c <= 0) {
                    // The client has it already; the id itself ends the skip.
                    if (c == 0) {
                        endSkip();
                    }
                    return Offer.QUEUED;
                }
                // Past the id the client has (the id itself never came here): the skip is over, this one is new.
                endSkip();
            }
            if (queue.add(frame, key) == FrameQueue.Added.DISCONNECT) {
                return Offer.CLOSE_SLOW;
            }
            droppedNow = queue.droppedByLastAdd();
            if (drainRequested || replaying) {
                frame = null;
            } else {
                drainRequested = true;
            }
        }
        if (droppedNow > 0) {
            hub.dropped(droppedNow);
        }
        return frame == null ? Offer.QUEUED : Offer.WAKE;
    }

    /** Carries out an {@link #offer} outcome; call with no lock held. */
    void afterOffer(Offer outcome) {
        if (outcome == Offer.WAKE) {
            wakeTransport();
        } else if (outcome == Offer.CLOSE_SLOW) {
            LOG.debug("channel {} is too slow: {} frames, {} bytes queued", id, queuedFrames(), queuedBytes());
            close(CloseReason.SLOW_CLIENT);
        }
    }

    /**
     * Ends the replay phase: puts {@code replayed} (oldest first, the initial event ahead of them) before the live
     * frames that arrived meanwhile. With {@code aheadThrough}, the client already saw the live frames up to that id
     * in {@code order}: those queued meanwhile are dropped, and later ones are too until a frame at or past that id
     * is delivered (see {@link #passed}); the hub calls this under its publish lock then, so that no delivery slips
     * between.
     *
     * @return whether the transport must be woken, which the caller does once it holds no lock
     */
    boolean finishReplay(List<SseFrame> replayed, boolean gap, String aheadThrough, Comparator<String> order) {
        boolean wake = false;
        synchronized (lock) {
            resumeGap = gap;
            if (state == State.CLOSED) {
                return false;
            }
            if (aheadThrough != null && !queue.dropThrough(aheadThrough, order)) {
                skipThrough = aheadThrough;
                skipOrder = order;
            }
            for (int i = replayed.size() - 1; i >= 0; i--) {
                queue.addFirst(replayed.get(i), null);
            }
            replaying = false;
            if (!queue.isEmpty() && !drainRequested) {
                drainRequested = true;
                wake = true;
            }
        }
        return wake;
    }

    /** Called with the lock held. */
    private void endSkip() {
        skipThrough = null;
        skipOrder = null;
    }

    /** @return whether live frames are being skipped until an id the client already has is delivered */
    boolean skipping() {
        synchronized (lock) {
            return skipThrough != null;
        }
    }

    /**
     * Told by the hub, under its publish lock, of every id it delivers while this channel skips (whatever its topic,
     * since the id the client has may be of a topic this channel no longer follows). Any id at or past the one the
     * client has ends the skip: the node's delivery has caught up with the client.
     *
     * @return true once the skip is over (caught up, or the channel closed)
     */
    boolean passed(String id) {
        synchronized (lock) {
            if (skipThrough != null && skipOrder.compare(id, skipThrough) >= 0) {
                endSkip();
            }
            return skipThrough == null || state == State.CLOSED;
        }
    }

    /**
     * Marks the channel as announced to listeners ({@code onOpen} has run); a close that happened before is only now
     * reported, so every listener sees {@code onOpen} before {@code onClose}.
     */
    void announced() {
        CloseReason late;
        synchronized (lock) {
            announced = true;
            late = state == State.CLOSED ? closeReason : null;
        }
        if (late != null) {
            hub.fireClosed(this, late);
        }
    }

    /** Called by the keep-alive tick: true if nothing was queued since the previous tick. */
    boolean idleSinceLastTick() {
        boolean idle = !activeSinceTick;
        activeSinceTick = false;
        return idle;
    }

    void wakeTransport() {
        try {
            transport.framesAvailable();
        } catch (RuntimeException e) {
            LOG.warn("transport of channel {} failed; closing it", id, e);
            close(CloseReason.ERROR);
        }
    }

    @Override
    public String toString() {
        return "EventChannel#" + id;
    }

    /** The drain side, handed to the transport. */
    private final class Source implements FrameSource {
        @Override
        public SseFrame poll() {
            return EventChannel.this.poll();
        }

        @Override
        public boolean send(SseFrame frame) {
            Objects.requireNonNull(frame, "frame");
            return EventChannel.this.send(frame, hub.coalescingKey(frame.event()));
        }

        @Override
        public EventChannel channel() {
            return EventChannel.this;
        }

        @Override
        public void finished() {
            EventChannel.this.finished();
        }
    }
}
