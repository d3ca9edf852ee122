package dev.sse.core;

import dev.sse.core.spi.FrameSource;
import dev.sse.core.spi.Transport;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connected client as the application sees it: send to it alone, subscribe it to topics, read what it attached,
 * close it. Behind it is a cursor into the hub's shared log of broadcasts, read by the client's {@link Transport}
 * when the connection can take more, and a small queue of its own, ahead of the cursor, for what is sent to it alone
 * (a replay, {@link #send}, keep-alives); the application never blocks.
 *
 * <pre>{@code
 * EventChannel channel = hub.open(transport, ChannelOptions.builder().topics(Set.of("prices")).build());
 * channel.send(SseEvent.of("welcome", "hi"));
 * }</pre>
 *
 * <h2>Threads</h2>
 * Any thread may call every public method. The drain side ({@link FrameSource#poll()}) belongs to the transport's
 * single drain loop. The queue, the cursor, the state and the resume outcome are guarded by a private lock held
 * only for queue operations: never during I/O, never while calling the transport, a listener or other user code.
 * The topic set is written only by the hub's topic index.
 */
public final class EventChannel {

    private static final Logger LOG = LoggerFactory.getLogger(EventChannel.class);

    /** What {@link #offer} and {@link #service} ask the caller to do once it holds no lock. */
    enum Offer { QUEUED, WAKE, WAKE_BEHIND, CLOSE_SLOW, REJECTED }

    /**
     * The one state of a channel. REPLAYING: registered, its replay not yet in place, nothing is written; OPEN takes
     * frames; DRAINING (a graceful end asked) writes what is queued and takes nothing more; FLUSHING: all was handed to
     * a transport that reports when it went out ({@link Transport#finishAfterWrites()}); CLOSED.
     */
    private enum State { REPLAYING, OPEN, DRAINING, FLUSHING, CLOSED }

    private final ChannelContext ctx;
    private final Transport transport;
    private final long id;
    private final Map<String, Object> attributes;
    private final Instant openedAt;
    private final String lastEventId;
    /**
     * Written only by {@link TopicIndex} under its monitor, each time a new immutable set; read anywhere without a
     * lock. Most channels follow one topic or none, so a set of its own per channel would cost more than the copies.
     */
    private volatile Set<String> topics = Set.of();
    private final FrameSource source = new Source();

    private final Object lock = new Object();
    // Guarded by lock.
    private final FrameQueue queue;
    private State state = State.REPLAYING;
    /** The transport was woken and has not yet polled to the end: no other wake-up until it does. */
    private boolean drainRequested;
    private CloseReason closeReason;
    /** Made only when a graceful drain waits for this channel: most channels never need one. */
    private CompletableFuture<CloseReason> closed;
    private boolean announced;
    private boolean resumeGap;
    /** The cursor: the next log position this channel reads; only meaningful from {@link #startAt}. */
    private long next;
    /** Entries below this position were counted into {@link #pendingFrames} / {@link #pendingBytes}. */
    private long scanned;
    /** Entries for this channel between {@link #next} and {@link #scanned}: how far behind the cursor is. */
    private int pendingFrames;
    private long pendingBytes;
    /** Live entries the client already saw elsewhere, when it is ahead of this node; null otherwise. */
    private Resume.Skip skip;
    /** Where in the log each topic subscribed after the channel opened starts reaching it; made on first use. */
    private Map<String, Long> subscribedAt;
    /** A producer waits for room (see {@link #armRoom}); poll tells it once there is. */
    private boolean roomWanted;

    /** The per-request stream over this channel, told of room and of the close; null for a hub's channels. */
    private volatile StreamEvents streamEvents;

    /** Set when a frame is queued or read, cleared by each keep-alive tick: tells the keep-alive which channels idle. */
    private volatile boolean activeSinceTick;

    EventChannel(ChannelContext ctx, Transport transport, long id, ChannelOptions options, Instant openedAt) {
        this.ctx = ctx;
        this.transport = Objects.requireNonNull(transport, "transport");
        this.id = id;
        this.attributes = options.attributes();
        this.openedAt = openedAt;
        this.lastEventId = options.lastEventId();
        this.queue = new FrameQueue(ctx.limits());
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
        return topics;
    }

    /**
     * {@link TopicIndex} only, under its monitor: follows every topic of {@code wanted}, the set replaced once however
     * many there are (a channel may open with many).
     *
     * @return the topics that were new
     */
    Set<String> follow(Collection<String> wanted) {
        Set<String> now = topics;
        Set<String> added = new LinkedHashSet<>();
        for (String topic : wanted) {
            if (!now.contains(topic)) {
                added.add(topic);
            }
        }
        if (!added.isEmpty()) {
            Set<String> next = new HashSet<>(now);
            next.addAll(added);
            topics = Set.copyOf(next);
        }
        return added;
    }

    /** {@link TopicIndex} only, under its monitor: whether the channel followed the topic, which it now does not. */
    boolean unfollow(String topic) {
        Set<String> now = topics;
        if (!now.contains(topic)) {
            return false;
        }
        Set<String> next = new HashSet<>(now);
        next.remove(topic);
        topics = Set.copyOf(next);
        return true;
    }

    /**
     * Starts receiving broadcasts to a topic; no effect once closed.
     *
     * @param topic the topic name
     */
    public void subscribe(String topic) {
        Objects.requireNonNull(topic, "topic");
        synchronized (lock) {
            if (!topics.contains(topic)) {
                if (subscribedAt == null) {
                    subscribedAt = new java.util.HashMap<>(2);
                }
                subscribedAt.put(topic, ctx.log().tail());
            }
        }
        ctx.topics().subscribe(this, List.of(topic));
    }

    /**
     * Stops receiving broadcasts to a topic.
     *
     * @param topic the topic name
     */
    public void unsubscribe(String topic) {
        Objects.requireNonNull(topic, "topic");
        boolean slow;
        synchronized (lock) {
            // What was broadcast to it while subscribed still goes out: queued by reference before the topic goes.
            slow = state == State.OPEN && topics.contains(topic) && !spill(false);
        }
        ctx.topics().unsubscribe(this, topic);
        if (slow) {
            close(CloseReason.SLOW_CLIENT);
        }
    }

    /** Whether a log entry is for this client: for everyone, or for a topic it followed when it was broadcast. */
    private boolean reaches(FrameLog.Entry e) {
        String topic = e.topic();
        if (topic == null) {
            return true;
        }
        if (!topics.contains(topic)) {
            return false;
        }
        Long from = subscribedAt == null ? null : subscribedAt.get(topic);
        return from == null || e.position() >= from;
    }

    /**
     * Queues an event for this client only; it does not enter the history. Never blocks. It is written after the
     * broadcasts that came before it.
     *
     * @param event the event
     * @return {@code false} if the channel is closed, or the {@link SlowClientPolicy} closed it
     */
    public boolean send(SseEvent event) {
        String key = ctx.keyOf().apply(event);
        Offer outcome = offer(SseFrame.of(event), key);
        afterOffer(outcome);
        return outcome == Offer.QUEUED || outcome == Offer.WAKE;
    }

    /** @return whether the channel is open (also while it drains before a graceful close) */
    public boolean isOpen() {
        synchronized (lock) {
            return state != State.CLOSED;
        }
    }

    /** @return how many frames wait to be written: its own queue and the broadcasts its cursor has not read */
    public int queuedFrames() {
        synchronized (lock) {
            return queue.size() + (int) unread(false);
        }
    }

    /** @return how many bytes wait to be written */
    public long queuedBytes() {
        synchronized (lock) {
            return queue.bytes() + unread(true);
        }
    }

    /** Counts the log's entries for this channel past the cursor; called with the lock held. */
    private long unread(boolean bytes) {
        if (state != State.OPEN) {
            return 0;
        }
        FrameLog log = ctx.log();
        long n = 0;
        for (long p = Math.max(next, log.head()), t = log.tail(); p < t; p++) {
            FrameLog.Entry e = log.get(p);
            if (e != null && reaches(e)) {
                n += bytes ? e.frame().length() : 1;
            }
        }
        return n;
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
            ctx.topics().removeClosed(this);
            ctx.onClose().accept(this, reason);
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
            ctx.tellClosed().accept(this, reason);
        }
    }

    /**
     * Closes the channel once what is queued now (and {@code farewell}, if given) has been written: its own queue and
     * every broadcast in the log up to now. Nothing queued or broadcast after this call is sent. If the client does
     * not drain, a later {@link #close(CloseReason)} ends it at once.
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
            if (state == State.REPLAYING) {
                state = State.DRAINING;
                closeReason = reason;
                closeNow = true;
            } else if (state == State.OPEN) {
                // The cursor stops here: what the log holds for this client now is written, the rest never.
                spill(true);
                if (farewell != null) {
                    queue.addLastBeyondLimits(farewell);
                }
                state = State.DRAINING;
                closeReason = reason;
                if (!drainRequested) {
                    if (queue.isEmpty()) {
                        closeNow = true;
                    } else {
                        drainRequested = true;
                        wake = true;
                    }
                }
            } else {
                return;
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

    /**
     * Takes the next frame for the transport's drain loop; see {@link FrameSource#poll()}: its own queue first, then
     * the log through the cursor.
     */
    SseFrame poll() {
        boolean finishDrain = false;
        boolean room = false;
        boolean fellOff = false;
        SseFrame frame;
        CloseReason reason = null;
        synchronized (lock) {
            frame = queue.poll();
            if (frame == null && state == State.OPEN) {
                frame = read();
                fellOff = state == State.OPEN && frame == null && next < ctx.log().head();
            }
            if (frame == null) {
                drainRequested = false;
                finishDrain = state == State.DRAINING;
                reason = closeReason;
            } else if (frame != SseFrame.KEEP_ALIVE) {
                activeSinceTick = true;
            }
            if (roomWanted && state == State.OPEN && queue.hasRoom()) {
                roomWanted = false;
                room = true;
            }
        }
        if (fellOff) {
            close(CloseReason.SLOW_CLIENT);
            return null;
        }
        if (frame != null) {
            ctx.counters().sent(frame);
        } else if (finishDrain) {
            finishDrain(reason);
        }
        if (room) {
            streamEvents.room();
        }
        return frame;
    }

    /**
     * Reads the next log entry for this client, skipping other topics and what the client already has; called with
     * the lock held. A cursor the log has left behind meets the slow-client policy: under {@code disconnect} it stops
     * there (the caller closes the channel), otherwise it moves to the oldest entry held and counts the loss.
     */
    private SseFrame read() {
        FrameLog log = ctx.log();
        long tail = log.tail();
        while (next < tail) {
            FrameLog.Entry e = log.get(next);
            if (e == null) {
                if (!fellBehind()) {
                    return null;
                }
                continue;
            }
            next++;
            boolean reaches = reaches(e);
            if (reaches && next <= scanned) {
                pendingFrames = Math.max(0, pendingFrames - 1);
                pendingBytes = Math.max(0, pendingBytes - e.frame().length());
            }
            // Every id is shown to the skip, whatever its topic: any of them can end it.
            if (passesSkip(e) && reaches) {
                return e.frame();
            }
        }
        if (scanned <= next) {
            scanned = next;
            pendingFrames = 0;
            pendingBytes = 0;
        }
        return null;
    }

    /**
     * The log no longer holds the cursor's position. Called with the lock held.
     *
     * @return whether the cursor moved on (policies that drop), false when the channel must close as too slow
     */
    private boolean fellBehind() {
        if (ctx.limits().policy().kind() == SlowClientPolicy.Kind.DISCONNECT) {
            return false;
        }
        long head = ctx.log().head();
        long lost = head - next;
        LOG.debug("channel {}: the log dropped {} entries its cursor had not read", id, lost);
        queue.countDropped(lost);
        ctx.counters().dropped.add(lost);
        next = head;
        scanned = head;
        pendingFrames = 0;
        pendingBytes = 0;
        return true;
    }

    /** Whether an entry is new to the client, ending a skip when it reaches the id the client has. Lock held. */
    private boolean passesSkip(FrameLog.Entry e) {
        if (skip == null) {
            return true;
        }
        boolean passes = skip.passes(e.frame().event().id());
        if (passes) {
            skip = null;
        }
        return passes;
    }

    /**
     * The hub's waker, after the log grew: wakes a transport that waits; for one that was woken and still has not
     * read up to the end, counts what its cursor has not read and applies the limits and the policy exactly as a
     * queue of its own would (its unread entries are queued by reference, under the policy, see {@link #spill}). Runs on the waker, never on the
     * broadcasting thread; the caller acts on the outcome with no lock held.
     */
    Offer service() {
        synchronized (lock) {
            if (state != State.OPEN) {
                return Offer.QUEUED;
            }
            FrameLog log = ctx.log();
            long tail = log.tail();
            long head = log.head();
            if (next < head && !fellBehind()) {
                return Offer.CLOSE_SLOW;
            }
            for (long p = Math.max(scanned, next); p < tail; p++) {
                FrameLog.Entry e = log.get(p);
                if (e != null && reaches(e)) {
                    pendingFrames++;
                    pendingBytes += e.frame().length();
                }
            }
            scanned = Math.max(scanned, tail);
            QueueLimits limits = ctx.limits();
            int frames = queue.size() + pendingFrames;
            boolean over = frames > 1 && (frames > limits.maxFrames() || queue.bytes() + pendingBytes > limits.maxBytes());
            if (!drainRequested) {
                // A writer that waits has not been told yet: it cannot be slow before it was woken.
                if (queue.isEmpty() && pendingFrames == 0) {
                    return Offer.QUEUED;
                }
                drainRequested = true;
                return over ? Offer.WAKE_BEHIND : Offer.WAKE;
            }
            // A cursor in the older half of what the log holds would soon lose entries it has not read.
            boolean nearTheEnd = next - head < (tail - head) / 2 && log.halfFull();
            if ((over || nearTheEnd) && !spill(false)) {
                return Offer.CLOSE_SLOW;
            }
            return Offer.QUEUED;
        }
    }

    /**
     * Moves the cursor to the log's end, queueing on this channel's own queue (by reference: frames are never copied)
     * what it had not read, under the limits and the policy, or all of it with {@code beyondLimits}. Lock held.
     *
     * @return false if the policy says the client must go
     */
    private boolean spill(boolean beyondLimits) {
        FrameLog log = ctx.log();
        long tail = log.tail();
        if (next < log.head() && !fellBehind()) {
            return false;
        }
        int droppedNow = 0;
        for (; next < tail; next++) {
            FrameLog.Entry e = log.get(next);
            if (e == null || !passesSkip(e) || !reaches(e)) {
                continue;
            }
            if (beyondLimits) {
                queue.addLastBeyondLimits(e.frame());
            } else if (queue.add(e.frame(), e.key()) == FrameQueue.Added.DISCONNECT) {
                return false;
            } else {
                droppedNow += queue.droppedByLastAdd();
            }
        }
        scanned = next;
        pendingFrames = 0;
        pendingBytes = 0;
        if (droppedNow > 0) {
            ctx.counters().dropped.add(droppedNow);
        }
        return true;
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
            if (state != State.OPEN && state != State.REPLAYING) {
                return Room.CLOSED;
            }
            if (!queue.isEmpty() && !queue.fits(frame)) {
                return Room.FULL;
            }
            queue.add(frame, null);
            wake = wantsWake();
        }
        if (wake) {
            wakeTransport();
        }
        return Room.QUEUED;
    }

    /** Lock held: the transport must be woken for what was just queued, unless it already was or a replay runs. */
    private boolean wantsWake() {
        if (drainRequested || state == State.REPLAYING) {
            return false;
        }
        drainRequested = true;
        return true;
    }

    /**
     * Asks to be told ({@link StreamEvents#room}) when the queue next has room for a frame.
     *
     * @return true if there is room now (nothing armed), false once armed (or closed: the close is told instead)
     */
    boolean armRoom() {
        synchronized (lock) {
            if (state != State.OPEN && state != State.REPLAYING) {
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
     * Queues a frame on this channel's own queue under the limits and policy; the caller acts on the outcome once it
     * holds no lock.
     *
     * @param key the frame's coalescing key, computed by the caller before any lock was taken
     */
    Offer offer(SseFrame frame, String key) {
        if (frame != SseFrame.KEEP_ALIVE) {
            activeSinceTick = true;
        }
        int droppedNow;
        boolean wake;
        synchronized (lock) {
            if (state != State.OPEN && state != State.REPLAYING) {
                return Offer.REJECTED;
            }
            // A send keeps its place after the broadcasts before it: their unread entries go onto the queue first, by
            // reference, under the policy. A keep-alive's place does not matter.
            if (frame != SseFrame.KEEP_ALIVE && state == State.OPEN && next < ctx.log().tail() && !spill(false)) {
                return Offer.CLOSE_SLOW;
            }
            if (queue.add(frame, key) == FrameQueue.Added.DISCONNECT) {
                return Offer.CLOSE_SLOW;
            }
            droppedNow = queue.droppedByLastAdd();
            wake = wantsWake();
        }
        if (droppedNow > 0) {
            ctx.counters().dropped.add(droppedNow);
        }
        return wake ? Offer.WAKE : Offer.QUEUED;
    }

    /** Carries out an {@link #offer} outcome; call with no lock held. */
    void afterOffer(Offer outcome) {
        if (outcome == Offer.WAKE || outcome == Offer.WAKE_BEHIND) {
            wakeTransport();
        } else if (outcome == Offer.CLOSE_SLOW) {
            LOG.debug("channel {} is too slow: {} frames, {} bytes queued", id, queuedFrames(), queuedBytes());
            close(CloseReason.SLOW_CLIENT);
        }
    }

    /** Sets the cursor where the log ends at registration, under the hub's publish lock. */
    void startAt(long position) {
        synchronized (lock) {
            next = position;
            scanned = position;
        }
    }

    /**
     * Ends the replay phase: puts {@code replayed} (oldest first, the initial event ahead of them) ahead of what was
     * sent meanwhile; the cursor then reads the live broadcasts from where the channel registered, through
     * {@code aheadSkip} when the client is ahead of this node.
     *
     * @return whether the transport must be woken, which the caller does once it holds no lock
     */
    boolean finishReplay(List<SseFrame> replayed, boolean gap, Resume.Skip aheadSkip) {
        synchronized (lock) {
            resumeGap = gap;
            if (state != State.REPLAYING) {
                return false;
            }
            skip = aheadSkip;
            for (int i = replayed.size() - 1; i >= 0; i--) {
                queue.addFirst(replayed.get(i), null);
            }
            state = State.OPEN;
            if (drainRequested || (queue.isEmpty() && next >= ctx.log().tail())) {
                return false;
            }
            drainRequested = true;
            return true;
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
            ctx.tellClosed().accept(this, late);
        }
    }

    /** Called by the keep-alive tick: true if nothing was queued or read since the previous tick and none waits. */
    boolean idleSinceLastTick() {
        boolean idle = !activeSinceTick;
        activeSinceTick = false;
        if (idle) {
            synchronized (lock) {
                // Broadcasts the writer has not read yet are not silence: a stalled writer needs no keep-alive.
                idle = next >= ctx.log().tail() || state != State.OPEN;
            }
        }
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
        public void close(CloseReason reason) {
            EventChannel.this.close(reason);
        }

        @Override
        public boolean isOpen() {
            return EventChannel.this.isOpen();
        }

        @Override
        public String toString() {
            return EventChannel.this.toString();
        }

        @Override
        public void finished() {
            EventChannel.this.finished();
        }
    }
}
