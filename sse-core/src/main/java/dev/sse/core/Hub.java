package dev.sse.core;

import dev.sse.core.spi.Backplane;
import dev.sse.core.spi.EventHistory;
import dev.sse.core.spi.RecordedEvent;
import dev.sse.core.spi.Transport;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What application code calls to push events: to every connected client, to a topic's subscribers, or to one.
 *
 * <pre>{@code
 * Hub hub = Hub.create();
 * hub.broadcast(SseEvent.of("update", "{\"n\":1}"));
 * }</pre>
 *
 * <h2>Delivery</h2>
 * A broadcast is encoded once into an {@link SseFrame} and appended once to the hub's bounded log of broadcasts;
 * each {@link EventChannel} reads that log through a cursor of its own, keeping the frames of its topics. The
 * broadcast then returns: its cost does not depend on how many clients are connected, and it never waits for a
 * socket. The hub's scheduler wakes the clients' writers. A client whose writer, once woken, stays further behind
 * than its limits (see {@link Builder#maxQueuedFrames} and {@link Builder#maxQueuedBytes}) is handled by the
 * {@link SlowClientPolicy} without delaying anyone else.
 *
 * <h2>Ids and resume</h2>
 * Each broadcast with data and no id gets the next number of the hub's sequence as its id; the application's own ids
 * are kept. The sequence starts at the hub's start time in microseconds since the epoch, so ids are decimal numbers
 * that say which incarnation of the hub issued them and keep increasing across restarts
 * ({@code "1733340000123457"}, {@code "1733340000123458"}, ...; the injected {@link Builder#clock clock} decides, so
 * a clock at the epoch numbers from 1). An id from before a restart is then never mistaken for one of this hub's:
 * it resumes with the gap signal and what the history holds, never with a silent skip. Broadcasts with an id are recorded in the {@link EventHistory}. A channel opened
 * with a {@code Last-Event-ID} receives, exactly once and in order, what the history holds after that id and then
 * everything broadcast live, also while broadcasts run concurrently: the channel is registered first, live frames
 * wait behind the replay, then both flow. When the id cannot be fully served (see {@link InMemoryHistory}), the
 * channel's {@link EventChannel#resumeGap()} is set, {@link HubListener#onResumeGap} is called, and, if configured
 * with {@link Builder#gapEvent}, that event is sent to the client ahead of the replay.
 *
 * <h2>Many nodes</h2>
 * With a {@link Builder#backplane Backplane} (e.g. Redis Streams) the hub sends each broadcast to the shared log and
 * delivers to its channels what the log hands back, so hubs on every node deliver the same events, in the same order,
 * with the same ids, and a client resumes on any node.
 *
 * <h2>Threads</h2>
 * All methods are thread-safe. Broadcasts are ordered by one publish lock, held only while a frame is appended (no
 * I/O, no user code: a coalescing key is computed before it is taken); transports are woken and slow clients closed
 * by a walk over the channels on the hub's scheduler, one walk for however many broadcasts came while it waited
 * (a publisher that outruns the walks by a quarter of the log runs one itself). Keep-alives, those walks and
 * graceful shutdown run on the hub's scheduler: one daemon thread of its own, or the one given to {@link Builder#scheduler}. See
 * {@link HubListener} for where callbacks run and CONCURRENCY.md for the whole picture.
 */
public final class Hub implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Hub.class);

    private final EventHistory history;
    private final Backplane backplane;
    private final QueueLimits limits;
    private final Duration keepAlive;
    private final Clock clock;
    private final SseEvent gapEvent;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    private final ScheduledFuture<?> keepAliveTask;

    /** Orders broadcasts, deliveries and channel registration; never held during I/O or user code. */
    private final ReentrantLock publishLock = new ReentrantLock();
    // Guarded by publishLock.
    private long sequence;

    private final Map<Long, EventChannel> channels = new ConcurrentHashMap<>();
    private final TopicIndex topics = new TopicIndex();
    /** Every broadcast's frame, once; each channel reads it through its own cursor. Appended under publishLock. */
    private final FrameLog log;
    private final ChannelContext channelContext;
    private final Resume resume;
    /** A walk over the channels is scheduled and has not started: later appends need no other. */
    private final AtomicBoolean walkScheduled = new AtomicBoolean();
    /** Up to this many channels, a broadcast walks them itself: a few microseconds, less than a thread hand-off. */
    static final int INLINE_WALK_MAX = 64;
    /** The log's end when the latest walk started. */
    private volatile long walkedThrough;
    /** One walk at a time, so that channels are serviced in the log's order. */
    private final ReentrantLock walkLock = new ReentrantLock();
    /** Channels serviced by walks: the per-channel work of broadcasts, none of it on a broadcasting thread. */
    private final LongAdder channelsServiced = new LongAdder();
    private final List<HubListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong channelIds = new AtomicLong();
    private volatile boolean closed;

    private final LongAdder eventsBroadcast = new LongAdder();
    private final ChannelContext.Counters counters = new ChannelContext.Counters();
    private final Map<CloseReason, LongAdder> closes = new EnumMap<>(CloseReason.class);

    private Hub(Builder b) {
        this.backplane = b.backplane;
        if (backplane != null) {
            this.history = backplane.history();
        } else {
            this.history = b.history != null ? b.history
                    : InMemoryHistory.builder().clock(b.clock).build();
        }
        this.limits = new QueueLimits(b.maxQueuedFrames, b.maxQueuedBytes, b.slowClientPolicy);
        // Four times a client's limits, so a cursor is past its limits long before the log loses what it has not
        // read; a writer woken and still behind near the log's end takes references to its entries (see
        // EventChannel#service), so larger limits need no larger log.
        this.log = new FrameLog((int) Math.min(1 << 16, 4L * b.maxQueuedFrames),
                b.maxQueuedBytes > Long.MAX_VALUE / 4 ? Long.MAX_VALUE : 4 * b.maxQueuedBytes);
        this.resume = new Resume(history, limits, b.gapEvent);
        this.channelContext = new ChannelContext(log, topics, limits, this::coalescingKey, counters,
                this::closed, this::fireClosed);
        this.keepAlive = b.keepAlive;
        this.clock = b.clock;
        this.gapEvent = b.gapEvent;
        // A backplane's log issues the ids; a hub of its own numbers from its start, its incarnation's epoch.
        this.sequence = backplane != null ? 0 : idOrigin(clock);
        this.listeners.addAll(b.listeners);
        for (CloseReason r : CloseReason.values()) {
            closes.put(r, new LongAdder());
        }
        if (b.scheduler != null) {
            this.scheduler = b.scheduler;
            this.ownsScheduler = false;
        } else {
            ScheduledThreadPoolExecutor own = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "sse-hub-scheduler");
                t.setDaemon(true);
                return t;
            });
            own.setRemoveOnCancelPolicy(true);
            own.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
            this.scheduler = own;
            this.ownsScheduler = true;
        }
        if (keepAlive.isZero()) {
            this.keepAliveTask = null;
        } else {
            // Ticking at half the interval bounds the silence on an idle stream to one interval.
            long tick = Math.max(1, keepAlive.toMillis() / 2);
            this.keepAliveTask = scheduler.scheduleAtFixedRate(this::sendKeepAlives, tick, tick, TimeUnit.MILLISECONDS);
        }
        if (backplane != null) {
            backplane.start(new Inbound());
        }
    }

    /** The start time in microseconds since the epoch; never negative, so the first id is at least 1. */
    private static long idOrigin(Clock clock) {
        Instant now = clock.instant();
        return Math.max(0, Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000L), now.getNano() / 1000));
    }

    /** @return a hub with every default: in-memory history (see {@link InMemoryHistory#builder()}), disconnect slow
     *  clients, 1000 frames or 1 MiB per client, keep-alive every 15 seconds */
    public static Hub create() {
        return builder().build();
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Registers a client with no topics and no resume.
     *
     * @param transport the connection side
     * @return the open channel
     * @throws HubClosedException if the hub is closed
     */
    public EventChannel open(Transport transport) {
        return open(transport, ChannelOptions.defaults());
    }

    /**
     * Registers a client. It receives broadcasts from the moment this returns, after the options' initial event and
     * the replay of what it missed since {@link ChannelOptions#lastEventId()}. A replay is bounded by half the
     * client's queue limits: beyond that the newest events that fit are replayed and the resume reports a gap.
     *
     * @param transport the connection side; {@link Transport#attach} is called before the channel is registered
     * @param options topics, resume point, initial event, attributes
     * @return the open channel
     * @throws HubClosedException if the hub is closed
     */
    public EventChannel open(Transport transport, ChannelOptions options) {
        return open(transport, options, null);
    }

    /**
     * As {@link #open(Transport, ChannelOptions)}, for an adapter or a test kit that keeps its own record of channels:
     * {@code made} is given the channel before its transport is attached and before anything can close it, so a close
     * during the replay is never missed.
     *
     * <pre>{@code
     * hub.open(transport, options, channel -> live.put(transport, channel));
     * }</pre>
     *
     * @param transport the connection side
     * @param options topics, resume point, initial event, attributes
     * @param made called once, on this thread, with the new channel; must not block
     * @return the open channel
     * @throws HubClosedException if the hub is closed
     */
    public EventChannel open(Transport transport, ChannelOptions options, Consumer<EventChannel> made) {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(options, "options");
        EventChannel channel = new EventChannel(channelContext, transport, channelIds.incrementAndGet(), options,
                clock.instant());
        if (made != null) {
            made.accept(channel);
        }
        transport.attach(channel.source());
        long upTo;
        publishLock.lock();
        try {
            if (closed) {
                throw new HubClosedException();
            }
            channels.put(channel.id(), channel);
            channel.startAt(log.tail());
            topics.subscribe(channel, options.topics());
            upTo = sequence;
        } finally {
            publishLock.unlock();
        }
        try {
            boolean gap = replayInto(channel, options, upTo);
            for (HubListener l : listeners) {
                try {
                    l.onOpen(channel);
                    if (gap) {
                        l.onResumeGap(channel);
                    }
                } catch (RuntimeException e) {
                    LOG.warn("HubListener failed on open of channel {}", channel.id(), e);
                }
            }
            channel.announced();
        } catch (RuntimeException | Error e) {
            channel.close(CloseReason.ERROR);
            channel.announced();
            throw e;
        }
        return channel;
    }

    /** Queues the initial event and the replay ahead of the live frames; returns whether the resume has a gap. */
    private boolean replayInto(EventChannel channel, ChannelOptions options, long upTo) {
        Resume.Plan plan = resume.plan(channel.id(), options, upTo);
        // The cursor starts where the channel registered, so the id a skip waits for cannot slip past it.
        if (channel.finishReplay(plan.frames(), plan.gap(), plan.skip())) {
            channel.wakeTransport();
        }
        return plan.gap();
    }

    /**
     * Sends an event to every open channel and records it in the history.
     *
     * @param event the event; if it has data and no id, the hub's next sequence number becomes its id
     * @return the id the event was sent with, or {@code null} if it has none (e.g. a comment)
     * @throws HubClosedException if the hub is closed
     * @throws RuntimeException if the history or the backplane could not take the event; then no client gets it
     *         and no id is used up
     */
    public String broadcast(SseEvent event) {
        return publish(null, event);
    }

    /**
     * Sends an event to the channels subscribed to a topic and records it in the history for them.
     *
     * @param topic the topic
     * @param event the event; ids as for {@link #broadcast(SseEvent)}
     * @return the id the event was sent with, or {@code null}
     * @throws HubClosedException if the hub is closed
     */
    public String broadcast(String topic, SseEvent event) {
        return publish(Objects.requireNonNull(topic, "topic"), event);
    }

    /**
     * Sends an event to every open channel without waiting for a shared log: on a hub with a {@link Backplane} the
     * append is pipelined (many in flight on one connection, each caller told its own id or failure, one global
     * order); on a hub of its own the event is delivered as {@link #broadcast(SseEvent)} does and the stage is
     * already complete.
     *
     * <pre>{@code
     * hub.broadcastAsync(SseEvent.data(json)).whenComplete((id, failure) -> answer(id, failure));
     * }</pre>
     *
     * @param event the event; ids as for {@link #broadcast(SseEvent)}
     * @return completes with the id the event was sent with (or {@code null}), or exceptionally as
     *         {@link #broadcast(SseEvent)} would throw ({@link HubClosedException}, the log's failure)
     */
    public CompletionStage<String> broadcastAsync(SseEvent event) {
        return publishAsync(null, event);
    }

    /**
     * Sends an event to a topic's subscribers without waiting for a shared log; see {@link #broadcastAsync(SseEvent)}.
     *
     * @param topic the topic
     * @param event the event
     * @return completes with the id, or exceptionally
     */
    public CompletionStage<String> broadcastAsync(String topic, SseEvent event) {
        return publishAsync(Objects.requireNonNull(topic, "topic"), event);
    }

    private CompletionStage<String> publishAsync(String topic, SseEvent event) {
        Objects.requireNonNull(event, "event");
        if (backplane != null && !closed) {
            return backplane.publishAsync(topic, event);
        }
        try {
            return CompletableFuture.completedFuture(publish(topic, event));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Sends an event to one channel only; it is not recorded in the history.
     *
     * @param channelId the channel's {@link EventChannel#id()}
     * @param event the event
     * @return {@code false} if no such channel is open or it did not take the event
     */
    public boolean send(long channelId, SseEvent event) {
        EventChannel channel = channels.get(channelId);
        return channel != null && channel.send(event);
    }

    private String publish(String topic, SseEvent event) {
        Objects.requireNonNull(event, "event");
        if (closed) {
            throw new HubClosedException();
        }
        if (backplane != null) {
            return backplane.publish(topic, event);
        }
        String key = coalescingKey(event);
        String id;
        publishLock.lock();
        try {
            if (closed) {
                throw new HubClosedException();
            }
            SseEvent toSend = event;
            if (event.id() == null && event.data() != null) {
                toSend = event.withId(Long.toString(sequence + 1));
            }
            append(topic, toSend, key, true);
            id = toSend.id();
        } finally {
            publishLock.unlock();
        }
        wakeChannels();
        return id;
    }

    /** Delivers one event of the backplane's log to this node's channels. */
    private void deliver(String topic, SseEvent event) {
        String key = coalescingKey(event);
        publishLock.lock();
        try {
            if (closed) {
                return;
            }
            append(topic, event, key, false);
        } finally {
            publishLock.unlock();
        }
        wakeChannels();
    }

    /**
     * The one way an event reaches this node's channels, from a broadcast of its own or from the backplane: recorded
     * in the history, then appended once to the frame log. Its cost does not depend on how many channels there are.
     * Called under the publish lock.
     *
     * @param historyMustTake whether a failing history fails the broadcast (a hub of its own: nothing was sent yet) or
     *        is only logged (a backplane's event, already in the shared log)
     */
    private void append(String topic, SseEvent event, String key, boolean historyMustTake) {
        SseFrame frame = SseFrame.of(event);
        if (event.id() != null) {
            try {
                // Appended before the sequence moves: a failing store leaves no hole in the ids.
                history.append(new RecordedEvent(sequence + 1, topic, frame, clock.instant()));
            } catch (RuntimeException e) {
                if (historyMustTake) {
                    throw e;
                }
                LOG.warn("backplane history failed to keep delivered event {}", event.id(), e);
            }
            sequence++;
        }
        eventsBroadcast.increment();
        log.append(frame, topic, key);
    }

    /**
     * Hands the channels' side of the broadcasts just appended to a walk on the hub's scheduler: a broadcast does no
     * per-channel work. Appends that come while a walk is scheduled and not yet started ride along with it.
     */
    private void wakeChannels() {
        if (channels.size() <= INLINE_WALK_MAX) {
            // So few channels cost less than handing the walk to another thread; the cost stays bounded.
            walk();
            return;
        }
        if (log.tail() - walkedThrough > log.capacity() / 4) {
            // Publishers outrun the walks: this one helps, so no writer is left behind by more than the log holds
            // for lack of a wake-up. Only under such a flood does a broadcast do per-channel work.
            walk();
            return;
        }
        if (!walkScheduled.compareAndSet(false, true)) {
            return;
        }
        try {
            scheduler.execute(this::walk);
        } catch (RejectedExecutionException e) {
            // The hub is closing and its scheduler stopped: its channels are being closed, none needs waking.
            walkScheduled.set(false);
        }
    }

    /**
     * Services every channel once for what the log gained: each counts what its cursor has not read, meets its
     * limits and policy, and wakes its transport if that waits. Runs on the scheduler.
     */
    void walk() {
        boolean recheck = false;
        walkLock.lock();
        try {
            walkScheduled.set(false);
            walkedThrough = log.tail();
            for (EventChannel channel : channels.values()) {
                channelsServiced.increment();
                try {
                    EventChannel.Offer outcome = channel.service();
                    if (outcome == EventChannel.Offer.WAKE_BEHIND) {
                        recheck = true;
                    }
                    channel.afterOffer(outcome);
                } catch (RuntimeException e) {
                    LOG.warn("servicing channel {} failed", channel.id(), e);
                }
            }
        } finally {
            walkLock.unlock();
        }
        if (recheck) {
            // A writer woken already past its limits had its chance; the next walk applies the policy to it even if
            // nothing more is broadcast.
            recheckLater();
        }
    }

    private void recheckLater() {
        if (walkScheduled.compareAndSet(false, true)) {
            try {
                scheduler.execute(this::walk);
            } catch (RejectedExecutionException e) {
                walkScheduled.set(false);
            }
        }
    }

    /** @return the log; for tests */
    FrameLog frameLog() {
        return log;
    }

    /** @return how many times a walk serviced a channel; for tests that a broadcast itself touches none */
    long channelsServiced() {
        return channelsServiced.sum();
    }

    /** Runs the slow-client policy's key function, never under a lock; a failing one means "no key". */
    String coalescingKey(SseEvent event) {
        if (limits.policy().kind() != SlowClientPolicy.Kind.COALESCE) {
            return null;
        }
        try {
            return limits.policy().key().apply(event);
        } catch (RuntimeException e) {
            LOG.warn("coalesce key function failed for {}; the event is not coalesced", event, e);
            return null;
        }
    }

    /**
     * Finds an open channel.
     *
     * @param channelId the id
     * @return the channel, if open
     */
    public Optional<EventChannel> channel(long channelId) {
        return Optional.ofNullable(channels.get(channelId));
    }

    /** @return the open channels, a snapshot */
    public List<EventChannel> channels() {
        return List.copyOf(channels.values());
    }

    /** @return how many channels are open */
    public int channelCount() {
        return channels.size();
    }

    /**
     * Returns how many open channels subscribe to a topic.
     *
     * @param topic the topic
     * @return the count
     */
    public int subscriberCount(String topic) {
        return topics.subscriberCount(topic);
    }

    /** @return how many topics have at least one subscriber */
    public int topicCount() {
        return topics.topicCount();
    }

    /**
     * Adds a listener; it sees channels opened and closed from now on.
     *
     * @param listener the listener
     */
    public void addListener(HubListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Removes a listener.
     *
     * @param listener the listener
     */
    public void removeListener(HubListener listener) {
        listeners.remove(listener);
    }

    /** @return the counters now */
    public HubStats stats() {
        Map<CloseReason, Long> byReason = new EnumMap<>(CloseReason.class);
        closes.forEach((r, n) -> byReason.put(r, n.sum()));
        return new HubStats(channels.size(), eventsBroadcast.sum(), counters.framesSent.sum(),
                counters.bytesSent.sum(), counters.dropped.sum(), byReason);
    }

    /**
     * Says whether this hub can broadcast now: for a health check.
     *
     * @return why not (closed, or its backplane's shared log cannot be reached), or empty when it can
     */
    public Optional<String> unavailableReason() {
        if (closed) {
            return Optional.of("hub is closed");
        }
        return backplane == null ? Optional.empty() : Optional.ofNullable(backplane.unavailableReason());
    }

    /** @return whether this hub runs on a {@link Backplane} (many nodes as one) */
    public boolean hasBackplane() {
        return backplane != null;
    }

    /** @return the keep-alive interval, zero if disabled */
    public Duration keepAliveInterval() {
        return keepAlive;
    }

    /** @return whether {@link #close()} or {@link #shutdown} was called */
    public boolean isClosed() {
        return closed;
    }

    /** Closes every channel now with {@link CloseReason#HUB_CLOSED}, stops the hub's own scheduler and the backplane. */
    @Override
    public void close() {
        if (!markClosed()) {
            return;
        }
        for (EventChannel channel : channels.values()) {
            channel.close(CloseReason.HUB_CLOSED);
        }
        stopped();
    }

    /**
     * Ends every stream gracefully, spread at random over {@code drainWindow} so that clients do not all reconnect
     * elsewhere in the same instant: each channel gets {@code farewell} (if given), drains, then closes with
     * {@link CloseReason#HUB_CLOSED}. Channels still open half a second after the window ends (clients not reading)
     * are closed then.
     * No channel can open and nothing can be broadcast once this is called.
     *
     * @param drainWindow the time to spread closes over; zero closes all at once
     * @param farewell a last event for every client, or {@code null}
     * @return completes as soon as every channel is closed and the hub's own scheduler has stopped
     */
    public CompletableFuture<Void> shutdown(Duration drainWindow, SseEvent farewell) {
        Objects.requireNonNull(drainWindow, "drainWindow");
        markClosed();
        return GracefulDrain.start(channels.values(), drainWindow, farewell, CloseReason.HUB_CLOSED, scheduler)
                .whenComplete((v, e) -> stopped());
    }

    /**
     * Ends some channels gracefully, as {@link #shutdown} ends all of them, while the hub keeps running: what an
     * adapter does when it stops but the hub is shared (a servlet's {@code destroy}).
     *
     * @param channels the channels to end
     * @param drainWindow the time to spread closes over
     * @param farewell a last event for each, or {@code null}
     * @return completes as soon as every one of them is closed
     */
    public CompletableFuture<Void> drain(Collection<EventChannel> channels, Duration drainWindow, SseEvent farewell) {
        Objects.requireNonNull(channels, "channels");
        Objects.requireNonNull(drainWindow, "drainWindow");
        return GracefulDrain.start(channels, drainWindow, farewell, CloseReason.HUB_CLOSED, scheduler);
    }

    /** @return false if the hub was already closed */
    private boolean markClosed() {
        publishLock.lock();
        try {
            if (closed) {
                return false;
            }
            closed = true;
        } finally {
            publishLock.unlock();
        }
        if (keepAliveTask != null) {
            keepAliveTask.cancel(false);
        }
        return true;
    }

    private void stopped() {
        if (backplane != null) {
            try {
                backplane.close();
            } catch (RuntimeException e) {
                LOG.warn("backplane failed to close", e);
            }
        }
        if (ownsScheduler) {
            scheduler.shutdown();
        }
    }

    /** Queues a keep-alive comment on every channel that has had nothing queued since the previous tick. */
    void sendKeepAlives() {
        for (EventChannel channel : channels.values()) {
            try {
                if (channel.idleSinceLastTick()) {
                    channel.afterOffer(channel.offer(SseFrame.KEEP_ALIVE, null));
                }
            } catch (RuntimeException e) {
                // An exception escaping would cancel the periodic task and end keep-alives for good.
                LOG.warn("keep-alive failed for channel {}", channel.id(), e);
            }
        }
    }

    private void closed(EventChannel channel, CloseReason reason) {
        channels.remove(channel.id());
        closes.get(reason).increment();
    }

    private void fireClosed(EventChannel channel, CloseReason reason) {
        for (HubListener l : listeners) {
            try {
                l.onClose(channel, reason);
            } catch (RuntimeException e) {
                LOG.warn("HubListener.onClose failed", e);
            }
        }
    }

    /** What the backplane calls: its read loop's thread, one at a time. */
    private final class Inbound implements Backplane.Inbound {
        @Override
        public void deliver(String topic, SseEvent event) {
            Hub.this.deliver(topic, event);
        }

        @Override
        public void gap() {
            LOG.warn("backplane lost events between deliveries; telling {} channels", channels.size());
            for (EventChannel channel : channels.values()) {
                for (HubListener l : listeners) {
                    try {
                        l.onResumeGap(channel);
                    } catch (RuntimeException e) {
                        LOG.warn("HubListener.onResumeGap failed", e);
                    }
                }
                if (gapEvent != null) {
                    channel.send(gapEvent);
                }
            }
        }
    }

    /**
     * Builds a {@link Hub}.
     *
     * <pre>{@code
     * Hub hub = Hub.builder().keepAlive(Duration.ofSeconds(20)).slowClientPolicy(SlowClientPolicy.dropOldest()).build();
     * }</pre>
     */
    public static final class Builder {
        private EventHistory history;
        private Backplane backplane;
        private SlowClientPolicy slowClientPolicy = SlowClientPolicy.disconnect();
        private int maxQueuedFrames = 1000;
        private long maxQueuedBytes = 1 << 20;
        private Duration keepAlive = Duration.ofSeconds(15);
        private Clock clock = Clock.systemUTC();
        private ScheduledExecutorService scheduler;
        private SseEvent gapEvent;
        private final List<HubListener> listeners = new ArrayList<>();

        private Builder() {
        }

        /**
         * Makes this hub one of many that act as one over a shared event log; the backplane then also keeps the
         * history, so {@link #history} is not used. The hub closes the backplane when it closes.
         *
         * @param backplane the backplane, e.g. the {@code sse-redis} module's
         * @return this builder
         */
        public Builder backplane(Backplane backplane) {
            this.backplane = Objects.requireNonNull(backplane, "backplane");
            return this;
        }

        /**
         * Where broadcasts are kept for resume; default {@code InMemoryHistory.builder().build()} (1000 events, 5
         * minutes, 64 MiB).
         *
         * @param history the history, e.g. {@link EventHistory#none()}
         * @return this builder
         */
        public Builder history(EventHistory history) {
            this.history = Objects.requireNonNull(history, "history");
            return this;
        }

        /**
         * What to do with a client whose queue is full; default {@link SlowClientPolicy#disconnect()}.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder slowClientPolicy(SlowClientPolicy policy) {
            this.slowClientPolicy = Objects.requireNonNull(policy, "slowClientPolicy");
            return this;
        }

        /**
         * The most frames queued for one client; default 1000.
         *
         * @param maxQueuedFrames at least 1
         * @return this builder
         */
        public Builder maxQueuedFrames(int maxQueuedFrames) {
            if (maxQueuedFrames < 1) {
                throw new IllegalArgumentException("maxQueuedFrames must be at least 1 (was " + maxQueuedFrames + ")");
            }
            this.maxQueuedFrames = maxQueuedFrames;
            return this;
        }

        /**
         * The most bytes queued for one client; default 1 MiB. A single frame larger than this is still queued when
         * the client's queue is empty, so large events can be sent.
         *
         * @param maxQueuedBytes at least 1
         * @return this builder
         */
        public Builder maxQueuedBytes(long maxQueuedBytes) {
            if (maxQueuedBytes < 1) {
                throw new IllegalArgumentException("maxQueuedBytes must be at least 1 (was " + maxQueuedBytes + ")");
            }
            this.maxQueuedBytes = maxQueuedBytes;
            return this;
        }

        /**
         * How often an idle stream gets a keep-alive comment, which keeps proxies from closing it and finds dead
         * peers; default 15 seconds. An idle stream is silent for at most this long.
         *
         * @param interval positive, or zero to disable
         * @return this builder
         */
        public Builder keepAlive(Duration interval) {
            Objects.requireNonNull(interval, "keepAlive");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("keepAlive must not be negative (was " + interval + ")");
            }
            this.keepAlive = interval;
            return this;
        }

        /**
         * The clock for event times and history age; default the system UTC clock.
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The scheduler for the walks that wake clients' writers after broadcasts, keep-alives and graceful shutdown;
         * the hub does not shut it down. A busy scheduler delays deliveries. Default: a daemon
         * thread of the hub's own, stopped by {@link Hub#close()}.
         *
         * @param scheduler the scheduler
         * @return this builder
         */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
            return this;
        }

        /**
         * An event sent to a resuming client, ahead of its replay, when the history cannot fully serve its
         * {@code Last-Event-ID}; default none (the gap is still reported to listeners).
         *
         * @param gapEvent the event, e.g. {@code SseEvent.of("gap", "")}, or {@code null}
         * @return this builder
         */
        public Builder gapEvent(SseEvent gapEvent) {
            this.gapEvent = gapEvent;
            return this;
        }

        /**
         * Adds a listener from the start.
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder listener(HubListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * @return the hub, running
         * @throws IllegalStateException if both a history and a backplane were given
         */
        public Hub build() {
            if (history != null && backplane != null) {
                throw new IllegalStateException("history and backplane are exclusive: a backplane keeps the history");
            }
            return new Hub(this);
        }
    }
}
