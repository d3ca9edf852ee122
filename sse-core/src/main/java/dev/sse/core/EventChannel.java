package dev.sse.core;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connected client as the hub sees it: a bounded queue of frames between the application, which sends
 * without ever blocking, and the {@link Transport}, which writes them when the connection can take more.
 *
 * <pre>{@code
 * EventChannel channel = hub.open(transport, ChannelOptions.builder().topics(Set.of("prices")).build());
 * channel.send(SseEvent.of("welcome", "hi"));
 * }</pre>
 *
 * <h2>Threads</h2>
 * <ul>
 *   <li>Any thread may call {@link #send}, {@link #subscribe}, {@link #unsubscribe}, {@link #close} and the
 *       getters. The hub queues broadcasts from the thread that broadcasts.</li>
 *   <li>{@link #poll()} belongs to the transport's single drain loop: one thread at a time, as the
 *       {@link Transport} contract describes.</li>
 * </ul>
 * The queue, its byte count, the drain flag and the state are guarded by a private lock that is held only for
 * queue operations: never during I/O, never while calling the transport or a listener.
 */
public final class EventChannel {

    private static final Logger LOG = LoggerFactory.getLogger(EventChannel.class);

    /** What {@link #offer} asks the caller to do once it holds no lock. */
    static final int QUEUED = 0;
    static final int WAKE = 1;
    static final int CLOSE_SLOW = 2;
    static final int REJECTED = 3;

    private enum State { OPEN, DRAINING, CLOSED }

    private final Hub hub;
    private final Transport transport;
    private final long id;
    private final Map<String, Object> attributes;
    private final Set<String> topics = ConcurrentHashMap.newKeySet();
    private final Instant openedAt;
    private final String lastEventId;

    private final Object lock = new Object();
    // Guarded by lock.
    private final ArrayDeque<SseFrame> queue = new ArrayDeque<>(4);
    private long queuedBytes;
    private boolean drainRequested;
    private boolean replaying = true;
    private State state = State.OPEN;
    private CloseReason drainReason;
    private long dropped;
    private boolean resumeGap;

    /** Set when a frame is queued, cleared by each keep-alive tick: tells the keep-alive which channels idle. */
    private volatile boolean activeSinceTick;

    EventChannel(Hub hub, Transport transport, long id, ChannelOptions options, Instant openedAt) {
        this.hub = hub;
        this.transport = Objects.requireNonNull(transport, "transport");
        this.id = id;
        this.attributes = options.attributes();
        this.topics.addAll(options.topics());
        this.openedAt = openedAt;
        this.lastEventId = options.lastEventId();
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
     * Set before the replayed events are queued; the hub's listeners see it in
     * {@link HubListener#onResumeGap(EventChannel)}.
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
     * Starts receiving broadcasts to a topic.
     *
     * @param topic the topic name
     */
    public void subscribe(String topic) {
        Objects.requireNonNull(topic, "topic");
        if (topics.add(topic) && isOpen()) {
            hub.subscribed(this, topic);
        }
    }

    /**
     * Stops receiving broadcasts to a topic.
     *
     * @param topic the topic name
     */
    public void unsubscribe(String topic) {
        if (topics.remove(topic)) {
            hub.unsubscribed(this, topic);
        }
    }

    /**
     * Queues an event for this client only; it does not enter the history. Never blocks.
     *
     * @param event the event
     * @return {@code false} if the channel is closed, or the {@link SlowClientPolicy} closed it or dropped the event
     */
    public boolean send(SseEvent event) {
        return send(SseFrame.of(event));
    }

    /**
     * Queues an already encoded frame for this client only. Never blocks.
     *
     * @param frame the frame
     * @return {@code false} if the channel is closed, or the {@link SlowClientPolicy} closed it
     */
    public boolean send(SseFrame frame) {
        Objects.requireNonNull(frame, "frame");
        int outcome = offer(frame);
        afterOffer(outcome);
        return outcome == QUEUED || outcome == WAKE;
    }

    /**
     * Takes the next frame to write. Only the transport's drain loop calls this.
     *
     * @return the next frame, or {@code null} when the queue is empty, after which the transport is woken by
     *         {@link Transport#framesAvailable()} when more is queued
     */
    public SseFrame poll() {
        boolean finishDrain = false;
        SseFrame frame;
        synchronized (lock) {
            frame = queue.pollFirst();
            if (frame != null) {
                queuedBytes -= frame.length();
            } else {
                drainRequested = false;
                finishDrain = state == State.DRAINING;
            }
        }
        if (frame != null) {
            hub.frameSent(frame);
        } else if (finishDrain) {
            close(drainReason);
        }
        return frame;
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
            return queuedBytes;
        }
    }

    /** @return how many frames the slow-client policy discarded for this client */
    public long droppedFrames() {
        synchronized (lock) {
            return dropped;
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
        synchronized (lock) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            queue.clear();
            queuedBytes = 0;
        }
        LOG.debug("channel {} closed: {}", id, reason);
        hub.closed(this, reason);
        try {
            transport.close();
        } catch (RuntimeException e) {
            LOG.warn("transport of channel {} failed to close", id, e);
        }
        hub.fireClosed(this, reason);
    }

    /**
     * Closes the channel once what is queued now (and {@code farewell}, if given) has been written. Nothing queued
     * after this call is sent. If the client does not drain, a later {@link #close(CloseReason)} ends it at once.
     *
     * @param reason why
     * @param farewell a last event to send, or {@code null}
     */
    public void closeAfterDrain(CloseReason reason, SseEvent farewell) {
        Objects.requireNonNull(reason, "reason");
        boolean wake = false;
        boolean closeNow = false;
        synchronized (lock) {
            if (state != State.OPEN) {
                return;
            }
            if (farewell != null) {
                SseFrame f = SseFrame.of(farewell);
                queue.addLast(f);
                queuedBytes += f.length();
            }
            state = State.DRAINING;
            drainReason = reason;
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

    /**
     * Queues a frame under the policy; the caller acts on the outcome once it holds no lock.
     *
     * @return one of QUEUED, WAKE, CLOSE_SLOW, REJECTED
     */
    int offer(SseFrame frame) {
        if (frame != SseFrame.KEEP_ALIVE) {
            activeSinceTick = true;
        }
        SlowClientPolicy policy = hub.slowClientPolicy();
        int droppedNow = 0;
        synchronized (lock) {
            if (state != State.OPEN) {
                return REJECTED;
            }
            if (!queue.isEmpty() && !fits(frame)) {
                switch (policy.kind()) {
                    case DISCONNECT:
                        return CLOSE_SLOW;
                    case COALESCE:
                        droppedNow += coalesce(policy, frame);
                        droppedNow += dropOldestUntilFits(frame);
                        break;
                    default:
                        droppedNow += dropOldestUntilFits(frame);
                        break;
                }
                dropped += droppedNow;
            }
            queue.addLast(frame);
            queuedBytes += frame.length();
            if (drainRequested || replaying) {
                return finishOffer(droppedNow, QUEUED);
            }
            drainRequested = true;
            return finishOffer(droppedNow, WAKE);
        }
    }

    private int finishOffer(int droppedNow, int outcome) {
        if (droppedNow > 0) {
            hub.dropped(droppedNow);
        }
        return outcome;
    }

    /** Carries out an {@link #offer} outcome; call with no lock held. */
    void afterOffer(int outcome) {
        if (outcome == WAKE) {
            wakeTransport();
        } else if (outcome == CLOSE_SLOW) {
            LOG.debug("channel {} is too slow: {} frames, {} bytes queued", id, queuedFrames(), queuedBytes());
            close(CloseReason.SLOW_CLIENT);
        }
    }

    private boolean fits(SseFrame frame) {
        return queue.size() < hub.maxQueuedFrames() && queuedBytes + frame.length() <= hub.maxQueuedBytes();
    }

    private int dropOldestUntilFits(SseFrame frame) {
        int n = 0;
        while (!queue.isEmpty() && !fits(frame)) {
            queuedBytes -= queue.removeFirst().length();
            n++;
        }
        return n;
    }

    /** Drops every queued frame whose key some newer frame (queued, or the one arriving) also has. */
    private int coalesce(SlowClientPolicy policy, SseFrame incoming) {
        Set<String> newer = new HashSet<>();
        String incomingKey = policy.key().apply(incoming.event());
        if (incomingKey != null) {
            newer.add(incomingKey);
        }
        int n = 0;
        for (Iterator<SseFrame> it = queue.descendingIterator(); it.hasNext(); ) {
            SseFrame f = it.next();
            String key = policy.key().apply(f.event());
            if (key != null && !newer.add(key)) {
                it.remove();
                queuedBytes -= f.length();
                n++;
            }
        }
        return n;
    }

    /**
     * Ends the replay phase: puts {@code initial} and the replayed frames ahead of the live frames that arrived
     * meanwhile, and starts the transport.
     */
    void finishReplay(SseFrame initial, List<SseFrame> replayed, boolean gap) {
        boolean wake = false;
        synchronized (lock) {
            resumeGap = gap;
            if (state == State.CLOSED) {
                return;
            }
            for (int i = replayed.size() - 1; i >= 0; i--) {
                SseFrame f = replayed.get(i);
                queue.addFirst(f);
                queuedBytes += f.length();
            }
            if (initial != null) {
                queue.addFirst(initial);
                queuedBytes += initial.length();
            }
            replaying = false;
            if (!queue.isEmpty() && !drainRequested) {
                drainRequested = true;
                wake = true;
            }
        }
        if (wake) {
            wakeTransport();
        }
    }

    /** Called by the keep-alive tick: true if nothing was queued since the previous tick. */
    boolean idleSinceLastTick() {
        boolean idle = !activeSinceTick;
        activeSinceTick = false;
        return idle;
    }

    private void wakeTransport() {
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
}
